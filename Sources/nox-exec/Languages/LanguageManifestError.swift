/// A manifest that cannot be used: the file, the key at fault (nil when the file as a whole is), and why.
public struct LanguageManifestError: Error, Equatable, CustomStringConvertible {
    public let file: String
    public let key: String?
    public let message: String

    public init(file: String, key: String?, message: String) {
        self.file = file
        self.key = key
        self.message = message
    }

    /// `FILE: KEY: MESSAGE`, the shape the catalog's problems and the journal show.
    public var description: String {
        guard let key else { return "\(file): \(message)" }
        return "\(file): \(key): \(message)"
    }
}
