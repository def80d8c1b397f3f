import Foundation
import Testing

@testable import NoxRuntime

@Suite struct CryptoTests {
    @Test func base64URLRoundTripsAndRejectsForeignAlphabets() throws {
        let data = Data((0...255).map(UInt8.init))
        let text = Base64URL.encode(data)
        #expect(!text.contains("+") && !text.contains("/") && !text.contains("="))
        #expect(Base64URL.decode(text) == data)
        #expect(Base64URL.decode("a+b/") == nil)
        #expect(Base64URL.decode("abcde") == nil)
    }

    @Test func sha256MatchesTheKnownVector() {
        #expect(Digest.sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func constantTimeEqualComparesContentAndLength() {
        #expect(Digest.constantTimeEqual(Data([1, 2, 3]), Data([1, 2, 3])))
        #expect(!Digest.constantTimeEqual(Data([1, 2, 3]), Data([1, 2, 4])))
        #expect(!Digest.constantTimeEqual(Data([1, 2]), Data([1, 2, 3])))
    }

    @Test func ed25519MatchesRFC8032TestVector1() throws {
        // RFC 8032 §7.1, TEST 1 (empty message).
        let secret = Data(hex: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
        let key = try Ed25519.PrivateKey(rawRepresentation: secret)
        #expect(try key.publicKey.rawRepresentation == Data(hex: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"))
        let signature = try key.signature(for: Data())
        #expect(
            signature
                == Data(
                    hex:
                        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
                ))
        #expect(try key.publicKey.isValidSignature(signature, for: Data()))
        #expect(try !key.publicKey.isValidSignature(signature, for: Data([0])))
    }

    @Test func scryptVerifiesOnlyTheRightPassword() throws {
        let hasher = Scrypt(log2N: 10)
        let hash = try hasher.hash(password: "correct horse")
        #expect(hash.hasPrefix("scrypt$10$8$1$"))
        #expect(Scrypt.verify(password: "correct horse", encoded: hash))
        #expect(!Scrypt.verify(password: "correct horsf", encoded: hash))
        #expect(!Scrypt.verify(password: "x", encoded: "scrypt$99$8$1$AAAA$AAAA"))
        #expect(!Scrypt.verify(password: "x", encoded: "garbage"))
        // Two hashes of one password differ (random salt).
        #expect(try hasher.hash(password: "correct horse") != hash)
    }
}

@Suite struct JWTTests {
    let key = Ed25519.PrivateKey()
    var keys: [String: Ed25519.PublicKey] { [JWT.keyID(for: try! key.publicKey): try! key.publicKey] }
    var kid: String { JWT.keyID(for: try! key.publicKey) }

    func token(exp: Int = 2000, nbf: Int? = nil) throws -> String {
        try JWT.sign(JWT.Claims(sub: "alice", iat: 1000, nbf: nbf, exp: exp, jti: "j", role: "user"), kid: kid, key: key)
    }

    @Test func signedTokenVerifiesAndCarriesItsClaims() throws {
        let claims = try JWT.verify(try token(), keys: keys, now: 1500)
        #expect(claims.sub == "alice")
        #expect(claims.exp == 2000)
        let header = try #require(Base64URL.decode(try token().split(separator: ".")[0]))
        let json = try #require(try JSONSerialization.jsonObject(with: header) as? [String: String])
        #expect(json["alg"] == "EdDSA")
        #expect(json["kid"] == kid)
    }

    @Test func expiredTokenIsRefused() throws {
        #expect(throws: JWT.VerificationError.expired) { try JWT.verify(try token(exp: 1100), keys: keys, now: 1200) }
    }

    @Test func tokenFromTheFutureIsRefused() throws {
        #expect(throws: JWT.VerificationError.notYetValid) { try JWT.verify(try token(nbf: 1900), keys: keys, now: 1500) }
    }

    @Test func alteredPayloadIsRefused() throws {
        var parts = try token().split(separator: ".").map(String.init)
        let forged = #"{"aud":"nox","exp":9999999999,"iat":1000,"iss":"nox","jti":"j","nbf":1000,"role":"admin","sub":"mallory"}"#
        parts[1] = Base64URL.encode(Data(forged.utf8))
        #expect(throws: JWT.VerificationError.badSignature) { try JWT.verify(parts.joined(separator: "."), keys: keys, now: 1500) }
    }

    @Test func noneAlgorithmAndUnknownKeyAreRefused() throws {
        let parts = try token().split(separator: ".").map(String.init)
        let none = Base64URL.encode(Data(#"{"alg":"none","kid":"\#(kid)"}"#.utf8))
        #expect(throws: JWT.VerificationError.unsupportedAlgorithm) {
            try JWT.verify([none, parts[1], ""].joined(separator: "."), keys: keys, now: 1500)
        }
        #expect(throws: JWT.VerificationError.unknownKey) { try JWT.verify(try token(), keys: [:], now: 1500) }
        #expect(throws: JWT.VerificationError.malformed) { try JWT.verify("not.a.jwt!", keys: keys, now: 1500) }
    }

    @Test func jwkDescribesTheKeyAndRoundTrips() throws {
        let jwk = JSONWebKey(publicKey: try key.publicKey)
        #expect(jwk.kty == "OKP" && jwk.crv == "Ed25519" && jwk.alg == "EdDSA" && jwk.kid == kid)
        #expect(jwk.publicKey == (try key.publicKey))
    }
}

extension Data {
    init(hex: String) {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            bytes.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        self.init(bytes)
    }
}
