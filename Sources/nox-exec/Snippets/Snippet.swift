import NoxRuntime

/// A named piece of code (`/api/snippets`): a user's own, or a global one an admin keeps for
/// everyone. `scope` is from the caller's point of view: `mine` or `global`.
public struct Snippet: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var language: String
    public var description: String
    public var tags: [String]
    public var code: String
    public var scope: String
    public var created_at: String
    public var updated_at: String

    /// The owner of global snippets in the store (usernames never are empty).
    static let globalOwner = ""

    /// Names: `^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`, so they read well in a URL and never look like an id.
    public static func isValidName(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard let first = bytes.first, bytes.count <= 64, isAlphanumeric(first), !text.hasPrefix("snp_") else { return false }
        return bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    /// Tags: `^[a-z0-9][a-z0-9_-]{0,31}$`.
    public static func isValidTag(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard let first = bytes.first, bytes.count <= 32, isLowerAlphanumeric(first) else { return false }
        return bytes.allSatisfy { isLowerAlphanumeric($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    static func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        isLowerAlphanumeric(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }
}
