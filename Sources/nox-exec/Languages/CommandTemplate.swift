/// An argv from a manifest whose items may hold `{source}`, `{binary}` and `{workdir}`.
///
/// The items are split into text and placeholders once, when the manifest is read, so an unknown
/// placeholder is an error at load time, and substitution is a single pass: a path that happens
/// to contain `{binary}` is never substituted again.
public struct CommandTemplate: Sendable, Equatable {
    /// The paths a template can name; each is absolute when substituted.
    public enum Placeholder: String, Sendable, CaseIterable {
        /// The file holding the submitted code.
        case source
        /// A path that does not exist yet in a private writable directory, for what `compile` makes
        /// (a program, or for Java a directory of classes).
        case binary
        /// The run's working directory (the user's sandbox).
        case workdir
    }

    enum Part: Sendable, Equatable {
        case text(String)
        case placeholder(Placeholder)
    }

    /// The items as the manifest wrote them.
    public let arguments: [String]
    let parts: [[Part]]

    /// Splits `arguments` into text and placeholders.
    /// - Throws: the name inside braces that is not a placeholder (`{sourec}` → `sourec`).
    init(_ arguments: [String]) throws(UnknownPlaceholder) {
        self.arguments = arguments
        parts = try arguments.map { argument throws(UnknownPlaceholder) in try Self.split(argument) }
    }

    struct UnknownPlaceholder: Error {
        let name: String
    }

    /// The program when it is a literal path (not `{binary}`), so it can be checked before it is offered.
    public var program: String? {
        guard let first = parts.first, first.count == 1, case .text(let path) = first[0] else { return nil }
        return path
    }

    /// Whether any item names `placeholder`.
    public func uses(_ placeholder: Placeholder) -> Bool {
        parts.contains { $0.contains(.placeholder(placeholder)) }
    }

    /// The argv with every placeholder replaced by its path.
    public func render(_ paths: [Placeholder: String]) -> [String] {
        parts.map { item in
            item.map { part in
                switch part {
                case .text(let text): text
                case .placeholder(let placeholder): paths[placeholder] ?? ""
                }
            }.joined()
        }
    }

    /// `{word}` with `word` made of letters, digits and `_` is a placeholder; any other brace is text,
    /// so arguments like `-e 'sub { 1 }'` need no escaping.
    static func split(_ argument: String) throws(UnknownPlaceholder) -> [Part] {
        var parts: [Part] = []
        var text = Substring()
        var rest = argument[...]
        while let open = rest.firstIndex(of: "{") {
            let afterOpen = rest.index(after: open)
            let word = rest[afterOpen...].prefix { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
            guard !word.isEmpty, word.endIndex < rest.endIndex, rest[word.endIndex] == "}" else {
                text += rest[...open]
                rest = rest[afterOpen...]
                continue
            }
            guard let placeholder = Placeholder(rawValue: String(word)) else { throw UnknownPlaceholder(name: String(word)) }
            text += rest[..<open]
            if !text.isEmpty { parts.append(.text(String(text))) }
            text = ""
            parts.append(.placeholder(placeholder))
            rest = rest[rest.index(after: word.endIndex)...]
        }
        text += rest
        if !text.isEmpty || parts.isEmpty { parts.append(.text(String(text))) }
        return parts
    }
}
