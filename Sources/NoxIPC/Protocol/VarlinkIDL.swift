/// What the server needs to know of an interface definition: its name and the names of its methods.
///
/// Not a full IDL parser: it reads the `interface` line and the `method` declarations, and the
/// tests check the files with Python's `varlink` parser.
struct VarlinkIDL: Sendable, Equatable {
    var interfaceName: String
    var methodNames: Set<String>

    init(parsing text: String) throws {
        var interfaceName: String?
        var methodNames: Set<String> = []
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.drop(while: \.isWhitespace)
            if line.first == "#" { continue }
            let words = line.split(maxSplits: 1, whereSeparator: \.isWhitespace)
            guard words.count == 2 else { continue }
            switch words[0] {
            case "interface" where interfaceName == nil:
                interfaceName = String(words[1].prefix { !$0.isWhitespace })
            case "method":
                let name = words[1].prefix { $0.isLetter || $0.isNumber || $0 == "_" }
                if !name.isEmpty { methodNames.insert(String(name)) }
            default:
                continue
            }
        }
        guard let interfaceName, !interfaceName.isEmpty else {
            throw NoxIPCError(.invalidInterface, "the interface definition has no 'interface' line")
        }
        self.interfaceName = interfaceName
        self.methodNames = methodNames
    }
}
