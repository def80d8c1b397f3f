import CLibcrypto
import Foundation

/// Password hashing with scrypt (memory-hard) from the system's OpenSSL (`EVP_PBE_scrypt`).
///
/// The encoded form keeps its parameters, so they can be raised later without breaking old
/// hashes: `scrypt$<log2 N>$<r>$<p>$<salt b64url>$<hash b64url>`.
public struct Scrypt: Sendable {
    public var log2N: Int
    public var blockSize: Int
    public var parallelism: Int
    public static let keyLength = 32

    /// N = 2^15, r = 8, p = 1: 32 MiB of memory per hash, OWASP's minimum.
    public init(log2N: Int = 15, blockSize: Int = 8, parallelism: Int = 1) {
        self.log2N = log2N
        self.blockSize = blockSize
        self.parallelism = parallelism
    }

    public func hash(password: String) throws -> String {
        let salt = SecureRandom.bytes(16)
        let key = try Self.derive(password: password, salt: salt, log2N: log2N, r: blockSize, p: parallelism)
        return "scrypt$\(log2N)$\(blockSize)$\(parallelism)$\(Base64URL.encode(salt))$\(Base64URL.encode(key))"
    }

    /// Checks a password against an encoded hash in constant time; false for a malformed hash.
    public static func verify(password: String, encoded: String) -> Bool {
        let parts = encoded.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "scrypt",
            let log2N = Int(parts[1]), (10...20).contains(log2N),
            let r = Int(parts[2]), (1...32).contains(r),
            let p = Int(parts[3]), (1...16).contains(p),
            let salt = Base64URL.decode(parts[4]),
            let expected = Base64URL.decode(parts[5]), expected.count == keyLength,
            let actual = try? derive(password: password, salt: salt, log2N: log2N, r: r, p: p)
        else { return false }
        return Digest.constantTimeEqual(actual, expected)
    }

    static func derive(password: String, salt: Data, log2N: Int, r: Int, p: Int) throws -> Data {
        var key = Data(count: keyLength)
        let passwordBytes = Array(password.utf8)
        let n = UInt64(1) << UInt64(log2N)
        // 128 * N * r bytes are needed; allow twice that so OpenSSL's own check passes.
        let maxMemory = UInt64(256) * n * UInt64(r) + 1 << 20
        let ok = key.withUnsafeMutableBytes { keyBuffer in
            salt.withUnsafeBytes { saltBuffer in
                passwordBytes.withUnsafeBufferPointer { pw in
                    pw.withMemoryRebound(to: CChar.self) { pwChars in
                        EVP_PBE_scrypt(
                            pwChars.baseAddress, pwChars.count,
                            saltBuffer.bindMemory(to: UInt8.self).baseAddress, saltBuffer.count,
                            n, UInt64(r), UInt64(p), maxMemory,
                            keyBuffer.bindMemory(to: UInt8.self).baseAddress, keyLength
                        )
                    }
                }
            }
        }
        guard ok == 1 else { throw CryptoError("EVP_PBE_scrypt failed") }
        return key
    }
}
