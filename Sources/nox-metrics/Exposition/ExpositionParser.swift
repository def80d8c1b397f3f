/// Reads the Prometheus text exposition format (0.0.4) as swift-prometheus writes it: `# HELP`,
/// `# TYPE`, then sample lines. Lines it cannot read are skipped and counted, never fatal: one
/// daemon's odd line must not cost the whole scrape.
public enum ExpositionParser {
    public struct Result: Sendable, Equatable {
        public var families: [MetricFamily]
        public var skippedLines: Int
    }

    public static func parse(_ text: String) -> Result {
        var families: [MetricFamily] = []
        var index: [String: Int] = [:]
        var helps: [String: String] = [:]
        var skipped = 0

        func family(named name: String, type: String) -> Int {
            if let existing = index[name] { return existing }
            families.append(MetricFamily(name: name, type: type, help: helps[name]))
            index[name] = families.count - 1
            return families.count - 1
        }

        var current: Int?
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let line = rawLine.trimmingPrefix(while: { $0 == " " || $0 == "\t" })
            if line.isEmpty { continue }
            if line.hasPrefix("#") {
                let words = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: true)
                guard words.count >= 3, words[0] == "#" else { continue }
                let name = String(words[2])
                if words[1] == "TYPE", words.count == 4 {
                    current = family(named: name, type: String(words[3]))
                    families[current!].type = String(words[3])
                } else if words[1] == "HELP" {
                    let help = words.count == 4 ? unescapeHelp(words[3]) : ""
                    helps[name] = help
                    if let existing = index[name] { families[existing].help = help }
                }
                continue
            }
            guard let sample = parseSample(line) else {
                skipped += 1
                continue
            }
            if let current, families[current].owns(sample.name) {
                families[current].samples.append(sample)
            } else {
                let owner = family(named: sample.name, type: "untyped")
                families[owner].samples.append(sample)
                current = owner
            }
        }
        return Result(families: families, skippedLines: skipped)
    }

    /// `name{a="x",b="y"} value [timestamp]`.
    static func parseSample(_ line: Substring) -> MetricSample? {
        var rest = line[...]
        guard let nameEnd = rest.firstIndex(where: { $0 == "{" || $0 == " " }) else { return nil }
        let name = String(rest[..<nameEnd])
        guard isValidName(name) else { return nil }
        rest = rest[nameEnd...]
        var labels: [MetricSample.Label] = []
        if rest.first == "{" {
            rest = rest.dropFirst()
            while true {
                rest = rest.trimmingPrefix(while: { $0 == " " || $0 == "," })
                if rest.first == "}" {
                    rest = rest.dropFirst()
                    break
                }
                guard let equals = rest.firstIndex(of: "=") else { return nil }
                let labelName = String(rest[..<equals]).trimmingCharacters(in: " ")
                rest = rest[rest.index(after: equals)...]
                guard rest.first == "\"" else { return nil }
                rest = rest.dropFirst()
                var value = ""
                var closed = false
                while let character = rest.first {
                    rest = rest.dropFirst()
                    if character == "\\" {
                        guard let escaped = rest.first else { return nil }
                        rest = rest.dropFirst()
                        switch escaped {
                        case "n": value.append("\n")
                        case "\\": value.append("\\")
                        case "\"": value.append("\"")
                        default:
                            value.append("\\")
                            value.append(escaped)
                        }
                    } else if character == "\"" {
                        closed = true
                        break
                    } else {
                        value.append(character)
                    }
                }
                guard closed, isValidName(labelName) else { return nil }
                labels.append(.init(labelName, value))
            }
        }
        let fields = rest.split(separator: " ", omittingEmptySubsequences: true)
        guard let value = fields.first, fields.count <= 2, isValidValue(value) else { return nil }
        return MetricSample(name: name, labels: labels, value: String(value))
    }

    static func isValidName(_ name: String) -> Bool {
        guard let first = name.utf8.first, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else { return false }
        return name.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ":")
        }
    }

    static func isValidValue(_ value: Substring) -> Bool {
        value == "+Inf" || value == "-Inf" || value == "NaN" || Double(value) != nil
    }

    static func unescapeHelp(_ text: Substring) -> String {
        var out = ""
        var escaping = false
        for character in text {
            if escaping {
                out.append(character == "n" ? "\n" : character)
                escaping = false
            } else if character == "\\" {
                escaping = true
            } else {
                out.append(character)
            }
        }
        return out
    }
}

extension String {
    fileprivate func trimmingCharacters(in character: Character) -> String {
        String(self.drop(while: { $0 == character }).reversed().drop(while: { $0 == character }).reversed())
    }
}
