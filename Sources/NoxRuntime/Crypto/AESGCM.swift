import CLibcrypto
import Foundation

/// AES-256-GCM through the system's OpenSSL (EVP), for values kept encrypted at rest.
///
/// A sealed box is `nonce (12) ‖ ciphertext ‖ tag (16)`. Every seal draws a fresh random
/// 96-bit nonce: with one key per installation and at most a few million values written,
/// the birthday bound for random GCM nonces (2^32 messages) is far away, and random nonces
/// need no counter that would have to survive restarts and backups.
public enum AESGCM {
    public static let keyByteCount = 32
    public static let nonceByteCount = 12
    public static let tagByteCount = 16

    /// A 256-bit key.
    public struct Key: Sendable {
        let bytes: Data

        public init(_ bytes: Data) throws {
            guard bytes.count == AESGCM.keyByteCount else {
                throw CryptoError("an AES-256-GCM key must be \(AESGCM.keyByteCount) bytes, not \(bytes.count)")
            }
            self.bytes = bytes
        }

        /// A new random key.
        public static func random() -> Key { Key(unchecked: SecureRandom.bytes(AESGCM.keyByteCount)) }

        private init(unchecked bytes: Data) { self.bytes = bytes }
    }

    /// Encrypts `plaintext`, binding `associatedData` (authenticated, not stored) to it.
    public static func seal(_ plaintext: Data, key: Key, associatedData: Data) throws -> Data {
        try seal(plaintext, key: key, nonce: SecureRandom.bytes(nonceByteCount), associatedData: associatedData)
    }

    static func seal(_ plaintext: Data, key: Key, nonce: Data, associatedData: Data) throws -> Data {
        let context = try Context(key: key, nonce: nonce, encrypt: true)
        try context.addAssociatedData(associatedData)
        var ciphertext = Data(count: plaintext.count)
        var written: Int32 = 0
        if !plaintext.isEmpty {
            let ok = ciphertext.withUnsafeMutableBytes { out in
                plaintext.withUnsafeBytes { input in
                    EVP_EncryptUpdate(
                        context.pointer, out.bindMemory(to: UInt8.self).baseAddress, &written,
                        input.bindMemory(to: UInt8.self).baseAddress, Int32(input.count))
                }
            }
            guard ok == 1, Int(written) == plaintext.count else { throw CryptoError("EVP_EncryptUpdate failed") }
        }
        var final: Int32 = 0
        var scratch = [UInt8](repeating: 0, count: 16)
        guard EVP_EncryptFinal_ex(context.pointer, &scratch, &final) == 1, final == 0 else {
            throw CryptoError("EVP_EncryptFinal_ex failed")
        }
        var tag = [UInt8](repeating: 0, count: tagByteCount)
        guard EVP_CIPHER_CTX_ctrl(context.pointer, EVP_CTRL_GCM_GET_TAG, Int32(tagByteCount), &tag) == 1 else {
            throw CryptoError("EVP_CTRL_GCM_GET_TAG failed")
        }
        return nonce + ciphertext + Data(tag)
    }

    /// Decrypts a box made by `seal` with the same key and associated data; throws when the
    /// box was changed, the key is another, or the associated data differs (it was moved).
    public static func open(_ box: Data, key: Key, associatedData: Data) throws -> Data {
        guard box.count >= nonceByteCount + tagByteCount else { throw CryptoError("the sealed value is too short") }
        let box = Data(box)  // indices from 0
        let nonce = box.prefix(nonceByteCount)
        let ciphertext = box.dropFirst(nonceByteCount).dropLast(tagByteCount)
        var tag = [UInt8](box.suffix(tagByteCount))
        let context = try Context(key: key, nonce: Data(nonce), encrypt: false)
        try context.addAssociatedData(associatedData)
        var plaintext = Data(count: ciphertext.count)
        var written: Int32 = 0
        if !ciphertext.isEmpty {
            let input = Data(ciphertext)
            let ok = plaintext.withUnsafeMutableBytes { out in
                input.withUnsafeBytes { inBuffer in
                    EVP_DecryptUpdate(
                        context.pointer, out.bindMemory(to: UInt8.self).baseAddress, &written,
                        inBuffer.bindMemory(to: UInt8.self).baseAddress, Int32(inBuffer.count))
                }
            }
            guard ok == 1 else { throw CryptoError("EVP_DecryptUpdate failed") }
        }
        guard EVP_CIPHER_CTX_ctrl(context.pointer, EVP_CTRL_GCM_SET_TAG, Int32(tagByteCount), &tag) == 1 else {
            throw CryptoError("EVP_CTRL_GCM_SET_TAG failed")
        }
        var final: Int32 = 0
        var scratch = [UInt8](repeating: 0, count: 16)
        // Checks the tag: fails for a wrong key, changed bytes or other associated data.
        guard EVP_DecryptFinal_ex(context.pointer, &scratch, &final) == 1 else {
            throw CryptoError("the sealed value does not authenticate (wrong key, or changed or moved data)")
        }
        return plaintext
    }

    /// One EVP cipher context set up for AES-256-GCM with a 96-bit nonce.
    private final class Context {
        let pointer: OpaquePointer
        let encrypt: Bool

        init(key: Key, nonce: Data, encrypt: Bool) throws {
            guard nonce.count == AESGCM.nonceByteCount else { throw CryptoError("an AES-GCM nonce must be 12 bytes") }
            guard let pointer = EVP_CIPHER_CTX_new() else { throw CryptoError("EVP_CIPHER_CTX_new failed") }
            self.pointer = pointer
            self.encrypt = encrypt
            let ok = key.bytes.withUnsafeBytes { keyBuffer in
                nonce.withUnsafeBytes { nonceBuffer in
                    let k = keyBuffer.bindMemory(to: UInt8.self).baseAddress
                    let n = nonceBuffer.bindMemory(to: UInt8.self).baseAddress
                    // 12 bytes is GCM's default IV length, so no EVP_CTRL_GCM_SET_IVLEN is needed.
                    return encrypt
                        ? EVP_EncryptInit_ex(pointer, EVP_aes_256_gcm(), nil, k, n)
                        : EVP_DecryptInit_ex(pointer, EVP_aes_256_gcm(), nil, k, n)
                }
            }
            guard ok == 1 else { throw CryptoError("EVP cipher init for AES-256-GCM failed") }
        }

        func addAssociatedData(_ data: Data) throws {
            guard !data.isEmpty else { return }
            var written: Int32 = 0
            let ok = data.withUnsafeBytes { buffer in
                encrypt
                    ? EVP_EncryptUpdate(pointer, nil, &written, buffer.bindMemory(to: UInt8.self).baseAddress, Int32(buffer.count))
                    : EVP_DecryptUpdate(pointer, nil, &written, buffer.bindMemory(to: UInt8.self).baseAddress, Int32(buffer.count))
            }
            guard ok == 1 else { throw CryptoError("adding AES-GCM associated data failed") }
        }

        deinit { EVP_CIPHER_CTX_free(pointer) }  // also clears the key schedule
    }
}
