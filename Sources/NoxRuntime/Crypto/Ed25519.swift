import CLibcrypto
import Foundation

/// Ed25519 signatures through the system's OpenSSL (EVP one-shot DigestSign/DigestVerify).
public enum Ed25519 {
    /// A private signing key (32 raw bytes).
    public struct PrivateKey: Sendable {
        public let rawRepresentation: Data

        /// Generates a new random key.
        public init() {
            self.rawRepresentation = SecureRandom.bytes(32)
        }

        public init(rawRepresentation: Data) throws {
            guard rawRepresentation.count == 32 else { throw CryptoError("Ed25519 private key must be 32 bytes") }
            self.rawRepresentation = rawRepresentation
        }

        public var publicKey: PublicKey {
            get throws {
                let pkey = try Self.makePKey(rawRepresentation)
                defer { EVP_PKEY_free(pkey) }
                var length = 32
                var raw = Data(count: 32)
                let ok = raw.withUnsafeMutableBytes { buffer in
                    EVP_PKEY_get_raw_public_key(pkey, buffer.bindMemory(to: UInt8.self).baseAddress, &length)
                }
                guard ok == 1, length == 32 else { throw CryptoError("cannot derive Ed25519 public key") }
                return try PublicKey(rawRepresentation: raw)
            }
        }

        public func signature(for message: Data) throws -> Data {
            let pkey = try Self.makePKey(rawRepresentation)
            defer { EVP_PKEY_free(pkey) }
            guard let context = EVP_MD_CTX_new() else { throw CryptoError("EVP_MD_CTX_new failed") }
            defer { EVP_MD_CTX_free(context) }
            guard EVP_DigestSignInit(context, nil, nil, nil, pkey) == 1 else {
                throw CryptoError("EVP_DigestSignInit failed")
            }
            var signature = Data(count: 64)
            var length = 64
            let ok = signature.withUnsafeMutableBytes { sigBuffer in
                message.withUnsafeBytes { msgBuffer in
                    EVP_DigestSign(
                        context,
                        sigBuffer.bindMemory(to: UInt8.self).baseAddress, &length,
                        msgBuffer.bindMemory(to: UInt8.self).baseAddress, msgBuffer.count
                    )
                }
            }
            guard ok == 1, length == 64 else { throw CryptoError("EVP_DigestSign failed") }
            return signature
        }

        private static func makePKey(_ raw: Data) throws -> OpaquePointer {
            let pkey = raw.withUnsafeBytes { buffer in
                EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nil, buffer.bindMemory(to: UInt8.self).baseAddress, 32)
            }
            guard let pkey else { throw CryptoError("invalid Ed25519 private key") }
            return pkey
        }
    }

    /// A public verification key (32 raw bytes).
    public struct PublicKey: Sendable, Equatable {
        public let rawRepresentation: Data

        public init(rawRepresentation: Data) throws {
            guard rawRepresentation.count == 32 else { throw CryptoError("Ed25519 public key must be 32 bytes") }
            self.rawRepresentation = rawRepresentation
        }

        public func isValidSignature(_ signature: Data, for message: Data) -> Bool {
            guard signature.count == 64 else { return false }
            let pkey = rawRepresentation.withUnsafeBytes { buffer in
                EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nil, buffer.bindMemory(to: UInt8.self).baseAddress, 32)
            }
            guard let pkey else { return false }
            defer { EVP_PKEY_free(pkey) }
            guard let context = EVP_MD_CTX_new() else { return false }
            defer { EVP_MD_CTX_free(context) }
            guard EVP_DigestVerifyInit(context, nil, nil, nil, pkey) == 1 else { return false }
            let result = signature.withUnsafeBytes { sigBuffer in
                message.withUnsafeBytes { msgBuffer in
                    EVP_DigestVerify(
                        context,
                        sigBuffer.bindMemory(to: UInt8.self).baseAddress, sigBuffer.count,
                        msgBuffer.bindMemory(to: UInt8.self).baseAddress, msgBuffer.count
                    )
                }
            }
            return result == 1
        }
    }
}
