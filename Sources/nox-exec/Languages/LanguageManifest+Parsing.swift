import TOMLKit

extension LanguageManifest {
    /// Every key a manifest may have; any other is an error (a typo must not silently drop a setting).
    static let keys: Set<String> = [
        "name", "aliases", "file_extension", "source_name", "requires", "version", "compile", "run", "environment",
        "memory_deny_write_execute", "tasks_min", "compile_timeout_s",
    ]

    /// Reads and checks one manifest.
    /// - Parameters:
    ///   - toml: the file's text.
    ///   - file: the file's path, for error messages.
    /// - Throws: `LanguageManifestError` naming the file and the key at fault.
    public static func parse(_ toml: String, file: String) throws(LanguageManifestError) -> LanguageManifest {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: toml)
        } catch {
            throw LanguageManifestError(file: file, key: nil, message: "not valid TOML: \(error)")
        }
        let reader = ManifestReader(table: table, file: file)
        if let unknown = Set(table.keys).subtracting(keys).sorted().first {
            throw reader.error(unknown, "is not a manifest key (known: \(keys.sorted().joined(separator: ", ")))")
        }

        let name = try reader.required("name", reader.string("name"))
        guard isValidName(name) else { throw reader.error("name", "\"\(name)\" does not match ^[a-z][a-z0-9+_-]{0,31}$") }
        let fileExtension = try reader.required("file_extension", reader.string("file_extension"))
        guard isValidExtension(fileExtension) else {
            throw reader.error("file_extension", "\"\(fileExtension)\" must be 1 to 16 of A-Z a-z 0-9 _ + - (no dot)")
        }
        let sourceName = try reader.string("source_name") ?? "main.\(fileExtension)"
        guard isPlainFileName(sourceName) else { throw reader.error("source_name", "\"\(sourceName)\" must be a file name without /") }

        let compile = try reader.command("compile")
        let run = try reader.required("run", reader.command("run"))
        if run.uses(.binary) && compile == nil {
            throw reader.error("run", "uses {binary} but there is no compile to make it")
        }
        let versionCommand = try reader.strings("version")
        if let versionCommand {
            try reader.checkProgram(versionCommand.first ?? "", key: "version")
        }
        let compileTimeout = try reader.int("compile_timeout_s", 1...3600)
        if compileTimeout != nil && compile == nil {
            throw reader.error("compile_timeout_s", "is set but there is no compile")
        }
        return LanguageManifest(
            name: name,
            aliases: try reader.aliases(of: name),
            fileExtension: fileExtension,
            sourceName: sourceName,
            requires: try reader.paths("requires"),
            versionCommand: versionCommand,
            compile: compile,
            run: run,
            environment: try reader.environment(),
            memoryDenyWriteExecute: try reader.bool("memory_deny_write_execute") ?? true,
            tasksMin: try reader.int("tasks_min", 1...100_000),
            compileTimeoutSeconds: compileTimeout
        )
    }

    static func isValidExtension(_ text: String) -> Bool {
        (1...16).contains(text.utf8.count)
            && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "+" || $0 == "-") }
    }

    static func isPlainFileName(_ text: String) -> Bool {
        !text.isEmpty && text != "." && text != ".." && text.utf8.count <= 255 && !text.contains("/") && !text.contains("\0")
    }
}

/// Typed access to a manifest's keys; every error names the file and the key.
struct ManifestReader {
    let table: TOMLTable
    let file: String

    func error(_ key: String, _ message: String) -> LanguageManifestError {
        LanguageManifestError(file: file, key: key, message: message)
    }

    func required<Value>(_ key: String, _ value: Value?) throws(LanguageManifestError) -> Value {
        guard let value else { throw error(key, "is required") }
        return value
    }

    func string(_ key: String) throws(LanguageManifestError) -> String? {
        guard let value = table[key] else { return nil }
        guard let text = value.string else { throw error(key, "must be a string") }
        return text
    }

    func bool(_ key: String) throws(LanguageManifestError) -> Bool? {
        guard let value = table[key] else { return nil }
        guard let flag = value.bool else { throw error(key, "must be true or false") }
        return flag
    }

    func int(_ key: String, _ range: ClosedRange<Int>) throws(LanguageManifestError) -> Int? {
        guard let value = table[key] else { return nil }
        guard let number = value.int else { throw error(key, "must be an integer") }
        guard range.contains(number) else { throw error(key, "\(number) is outside \(range.lowerBound)...\(range.upperBound)") }
        return number
    }

    /// An array of strings (non-empty unless `mayBeEmpty`); NUL cannot reach an argv or a path.
    func strings(_ key: String, mayBeEmpty: Bool = false) throws(LanguageManifestError) -> [String]? {
        guard let value = table[key] else { return nil }
        guard let array = value.array else { throw error(key, "must be an array of strings") }
        var items: [String] = []
        for element in array {
            guard let text = element.string else { throw error(key, "must be an array of strings") }
            guard !text.contains("\0") else { throw error(key, "must not contain NUL") }
            items.append(text)
        }
        guard mayBeEmpty || !items.isEmpty else { throw error(key, "must not be empty") }
        return items
    }

    func checkProgram(_ path: String, key: String) throws(LanguageManifestError) {
        guard path.hasPrefix("/") else { throw error(key, "\"\(path)\" is not an absolute path") }
    }

    /// An argv template: known placeholders only, and a program that is an absolute path or a placeholder
    /// (every placeholder is absolute), because commands never go through a shell or `$PATH`.
    func command(_ key: String) throws(LanguageManifestError) -> CommandTemplate? {
        guard let arguments = try strings(key) else { return nil }
        let template: CommandTemplate
        do {
            template = try CommandTemplate(arguments)
        } catch {
            let known = CommandTemplate.Placeholder.allCases.map { "{\($0.rawValue)}" }.joined(separator: ", ")
            throw self.error(key, "unknown placeholder {\(error.name)} (known: \(known))")
        }
        if case .text = template.parts[0].first {
            try checkProgram(arguments[0], key: key)
        }
        return template
    }

    func paths(_ key: String) throws(LanguageManifestError) -> [String] {
        let paths = try strings(key, mayBeEmpty: true) ?? []
        for path in paths {
            try checkProgram(path, key: key)
        }
        return paths
    }

    func aliases(of name: String) throws(LanguageManifestError) -> [String] {
        let aliases = try strings("aliases", mayBeEmpty: true) ?? []
        for (index, alias) in aliases.enumerated() {
            guard LanguageManifest.isValidName(alias) else {
                throw error("aliases", "\"\(alias)\" does not match ^[a-z][a-z0-9+_-]{0,31}$")
            }
            guard alias != name else { throw error("aliases", "\"\(alias)\" is the language's own name") }
            guard !aliases[..<index].contains(alias) else { throw error("aliases", "\"\(alias)\" is listed twice") }
        }
        return aliases
    }

    /// Variable names as POSIX shells accept them; values are taken as they are (no placeholders).
    func environment() throws(LanguageManifestError) -> [String: String] {
        guard let value = table["environment"] else { return [:] }
        guard let variables = value.table else { throw error("environment", "must be a table of strings") }
        var environment: [String: String] = [:]
        for variable in variables.keys {
            let valid = variable.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
            guard valid, let first = variable.first, !first.isNumber else {
                throw error("environment", "\"\(variable)\" is not a valid variable name")
            }
            guard let text = variables[variable]?.string, !text.contains("\0") else {
                throw error("environment", "\(variable) must be a string")
            }
            environment[variable] = text
        }
        return environment
    }
}
