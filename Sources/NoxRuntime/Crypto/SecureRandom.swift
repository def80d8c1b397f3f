import CLibcrypto
import Foundation

/// Cryptographically secure random bytes from the system's OpenSSL.
public enum SecureRandom {
    public static func bytes(_ count: Int) -> Data {
        var data = Data(count: count)
        let ok = data.withUnsafeMutableBytes { buffer in
            RAND_bytes(buffer.bindMemory(to: UInt8.self).baseAddress, Int32(count))
        }
        // RAND_bytes only fails when the system has no entropy source: nothing safe can continue.
        precondition(ok == 1, "OpenSSL RAND_bytes failed")
        return data
    }

    /// A random token of `byteCount` bytes, base64url encoded.
    /// `byteCount` random bytes as lowercase hex (ids that must not be guessable).
    public static func hex(byteCount: Int) -> String { Hex.encode(bytes(byteCount)) }

    public static func token(byteCount: Int = 32) -> String {
        Base64URL.encode(bytes(byteCount))
    }
}
