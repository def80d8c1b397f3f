import Foundation
import Testing

@testable import NoxRuntime

@Suite("AES-256-GCM")
struct AESGCMTests {
    static func hex(_ text: String) -> Data {
        var data = Data()
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            data.append(UInt8(text[index..<next], radix: 16)!)
            index = next
        }
        return data
    }

    /// The GCM specification's test case 16 (McGrew & Viega): AES-256, 96-bit IV, with AAD.
    @Test func matchesThePublishedTestVector() throws {
        let key = try AESGCM.Key(Self.hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"))
        let nonce = Self.hex("cafebabefacedbaddecaf888")
        let plaintext = Self.hex(
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39")
        let aad = Self.hex("feedfacedeadbeeffeedfacedeadbeefabaddad2")
        let box = try AESGCM.seal(plaintext, key: key, nonce: nonce, associatedData: aad)
        let expected =
            "cafebabefacedbaddecaf888"
            + "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
            + "76fc6ece0f4e1768cddf8853bb2d551b"
        #expect(box == Self.hex(expected))
        #expect(try AESGCM.open(box, key: key, associatedData: aad) == plaintext)
    }

    @Test(arguments: [0, 1, 15, 16, 17, 65536])
    func roundTripsWithAFreshNonceEachTime(size: Int) throws {
        let key = AESGCM.Key.random()
        let plaintext = SecureRandom.bytes(size)
        let aad = Data("alice\u{0}TOKEN".utf8)
        let first = try AESGCM.seal(plaintext, key: key, associatedData: aad)
        let second = try AESGCM.seal(plaintext, key: key, associatedData: aad)
        #expect(first.count == size + AESGCM.nonceByteCount + AESGCM.tagByteCount)
        #expect(first != second)  // random nonces
        #expect(try AESGCM.open(first, key: key, associatedData: aad) == plaintext)
        #expect(try AESGCM.open(second, key: key, associatedData: aad) == plaintext)
    }

    @Test func refusesOtherAssociatedDataKeyOrChangedBytes() throws {
        let key = AESGCM.Key.random()
        let box = try AESGCM.seal(Data("hunter2".utf8), key: key, associatedData: Data("alice\u{0}TOKEN".utf8))
        #expect(throws: CryptoError.self) { try AESGCM.open(box, key: key, associatedData: Data("bob\u{0}TOKEN".utf8)) }
        #expect(throws: CryptoError.self) { try AESGCM.open(box, key: key, associatedData: Data("alice\u{0}OTHER".utf8)) }
        #expect(throws: CryptoError.self) { try AESGCM.open(box, key: AESGCM.Key.random(), associatedData: Data("alice\u{0}TOKEN".utf8)) }
        for index in [0, AESGCM.nonceByteCount, box.count - 1] {
            var changed = box
            changed[index] ^= 1
            #expect(throws: CryptoError.self) { try AESGCM.open(changed, key: key, associatedData: Data("alice\u{0}TOKEN".utf8)) }
        }
        #expect(throws: CryptoError.self) { try AESGCM.open(box.prefix(20), key: key, associatedData: Data()) }
    }

    @Test func refusesKeysOfTheWrongSize() {
        #expect(throws: CryptoError.self) { try AESGCM.Key(Data(count: 16)) }
        #expect(throws: CryptoError.self) { try AESGCM.Key(Data(count: 33)) }
    }
}
