import CLibcrypto
import Foundation

/// SHA-256 and constant-time comparison from the system's OpenSSL.
public enum Digest {
    public static func sha256(_ data: some DataProtocol) -> Data {
        let input = Data(data)
        var output = Data(count: Int(SHA256_DIGEST_LENGTH))
        input.withUnsafeBytes { inBuffer in
            output.withUnsafeMutableBytes { outBuffer in
                _ = SHA256(
                    inBuffer.bindMemory(to: UInt8.self).baseAddress,
                    inBuffer.count,
                    outBuffer.bindMemory(to: UInt8.self).baseAddress
                )
            }
        }
        return output
    }

    public static func sha256Hex(_ string: String) -> String {
        Hex.encode(sha256(Data(string.utf8)))
    }

    /// Compares two byte strings in time that depends only on their length.
    public static func constantTimeEqual(_ lhs: Data, _ rhs: Data) -> Bool {
        guard lhs.count == rhs.count else { return false }
        if lhs.isEmpty { return true }
        return lhs.withUnsafeBytes { l in
            rhs.withUnsafeBytes { r in
                CRYPTO_memcmp(l.baseAddress, r.baseAddress, lhs.count) == 0
            }
        }
    }
}
