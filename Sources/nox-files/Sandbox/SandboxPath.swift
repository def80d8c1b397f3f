/// A client's path inside a sandbox, checked once: relative, `/`-separated, with no component
/// that could climb out or be read differently by another layer.
///
/// Refused with `invalid_path` (API.md, "even where the result would stay inside"):
/// - any `..` segment; a leading `/` (an absolute path) — except `/` alone, which is the root;
/// - a backslash, a NUL or any other C0 control character or DEL;
/// - `%2e`, `%2f`, `%5c` or `%00` in any letter case: the HTTP layer decodes percent-escapes once,
///   so these are double-encoded `.`, `/`, `\` and NUL meant to survive to a later decoder.
///   Other `%` (a file named `100%.txt`) is fine;
/// - a segment over 255 bytes or a path over 4096 bytes (UTF-8, as given).
///
/// Normalized, not refused: empty segments (`a//b`, a trailing `/`) and `.` segments are dropped,
/// as the kernel would drop them, so `./a//b/` is `a/b`. Neither can name anything outside, and
/// clients routinely send `dir/` for a directory. `""`, `/` and `.` are the root. The canonical
/// form (`string`) is what the daemon stores and reports, so one file has one name.
public struct SandboxPath: Hashable, Sendable, CustomStringConvertible {
    /// The longest path accepted, in bytes (Linux's PATH_MAX).
    public static let maximumPathBytes = 4096
    /// The longest segment accepted, in bytes (Linux's NAME_MAX).
    public static let maximumNameBytes = 255

    /// The validated segments; empty for the root.
    public let components: [String]

    /// The root of the sandbox.
    public static let root = SandboxPath(checked: [])

    /// Parses and validates a client path.
    /// - Parameter raw: the path after the HTTP layer's single percent-decoding.
    public init(_ raw: String) throws(SandboxError) {
        let bytes = Array(raw.utf8)
        guard bytes.count <= Self.maximumPathBytes else {
            throw .invalidPath(raw, "the path is longer than \(Self.maximumPathBytes) bytes")
        }
        if raw == "/" {
            components = []
            return
        }
        guard bytes.first != UInt8(ascii: "/") else { throw .invalidPath(raw, "the path must be relative to the sandbox") }
        for byte in bytes {
            if byte == 0 { throw .invalidPath(raw, "the path contains a NUL byte") }
            if byte == UInt8(ascii: "\\") { throw .invalidPath(raw, "the path contains a backslash") }
            if byte < 0x20 || byte == 0x7F { throw .invalidPath(raw, "the path contains a control character") }
        }
        if Self.containsEncodedSeparator(bytes) {
            throw .invalidPath(raw, "the path contains a percent-encoded '.', '/', '\\' or NUL")
        }
        var components: [String] = []
        for segment in raw.split(separator: "/", omittingEmptySubsequences: true) {
            if segment == "." { continue }
            if segment == ".." { throw .invalidPath(raw, "the path contains a '..' segment") }
            if segment.utf8.count > Self.maximumNameBytes {
                throw .invalidPath(raw, "a name is longer than \(Self.maximumNameBytes) bytes")
            }
            components.append(String(segment))
        }
        self.components = components
    }

    private init(checked components: [String]) {
        self.components = components
    }

    /// `%2e`, `%2f`, `%5c`, `%00`, any case.
    private static func containsEncodedSeparator(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 3 else { return false }
        for index in 0..<(bytes.count - 2) where bytes[index] == UInt8(ascii: "%") {
            let high = bytes[index + 1]
            let low = bytes[index + 2] | 0x20  // ASCII lower case for letters
            switch (high, low) {
            case (UInt8(ascii: "2"), UInt8(ascii: "e")), (UInt8(ascii: "2"), UInt8(ascii: "f")),
                (UInt8(ascii: "5"), UInt8(ascii: "c")), (UInt8(ascii: "0"), UInt8(ascii: "0") | 0x20):
                return true
            default: continue
            }
        }
        return false
    }

    public var isRoot: Bool { components.isEmpty }
    /// The canonical relative form: `a/b/c`, or `""` for the root.
    public var string: String { components.joined(separator: "/") }
    public var description: String { string }
    /// The last segment; nil for the root.
    public var name: String? { components.last }
    /// The containing directory; nil for the root.
    public var parent: SandboxPath? { isRoot ? nil : SandboxPath(checked: Array(components.dropLast())) }

    /// This path with one more segment, validated like any segment of a client path.
    public func appending(_ name: String) throws(SandboxError) -> SandboxPath {
        let child = try SandboxPath(name)
        guard child.components.count == 1 else { throw .invalidPath(name, "a name must be one path segment") }
        return SandboxPath(checked: components + child.components)
    }

    /// Whether `self` is `other` or lies beneath it.
    public func isSelfOrDescendant(of other: SandboxPath) -> Bool {
        components.count >= other.components.count && Array(components.prefix(other.components.count)) == other.components
    }

    /// For names read back from the disk (directory listings), which need no validation beyond
    /// being one segment: the kernel already forbids `/` and NUL in them.
    func appendingTrusted(_ name: String) -> SandboxPath {
        SandboxPath(checked: components + [name])
    }
}
