import Glibc

/// A value in noxctl's config file.
public enum ConfigValue: Sendable, Equatable {
    case string(String)
    case bool(Bool)
    case integer(Int)
}

/// The TOML noxctl's config file needs: `key = value` lines with basic ("…", with escapes) or
/// literal ('…') strings, booleans and integers, comments and blank lines. Anything else of
/// TOML (tables, arrays, dates, multi-line strings) is refused with its line number rather
/// than misread. Not TOMLKit: it imports Foundation, whose ICU data would add ~35 MB to the
/// static noxctl binary for a file of three keys.
public enum ConfigFileParser {
    public struct ParseError: Error, CustomStringConvertible {
        public var line: Int
        public var reason: String
        public var description: String { "line \(line): \(reason)" }
    }

    public static func parse(_ text: String) throws -> [(key: String, value: ConfigValue)] {
        var result: [(key: String, value: ConfigValue)] = []
        var seen: Set<String> = []
        for (index, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let number = index + 1
            // "\r\n" is one Character in Swift, so splitting on isNewline handles both line ends.
            let line = rawLine.drop { $0 == " " || $0 == "\t" }
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("[") { throw ParseError(line: number, reason: "tables are not used in this file") }
            guard let equals = line.firstIndex(of: "=") else { throw ParseError(line: number, reason: "expected key = value") }
            let key = String(line[..<equals].trimmingSpaces)
            guard !key.isEmpty, key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) else {
                throw ParseError(line: number, reason: "\"\(key)\" is not a key")
            }
            guard seen.insert(key).inserted else { throw ParseError(line: number, reason: "\(key) is set twice") }
            var rest = line[line.index(after: equals)...].drop { $0 == " " || $0 == "\t" }
            let value: ConfigValue
            if rest.hasPrefix("\"") {
                value = .string(try basicString(&rest, line: number))
            } else if rest.hasPrefix("'") {
                rest = rest.dropFirst()
                guard let end = rest.firstIndex(of: "'") else { throw ParseError(line: number, reason: "unterminated string") }
                value = .string(String(rest[..<end]))
                rest = rest[rest.index(after: end)...]
            } else {
                let word = rest.prefix { $0 != " " && $0 != "\t" && $0 != "#" }
                rest = rest[word.endIndex...]
                switch word {
                case "true": value = .bool(true)
                case "false": value = .bool(false)
                default:
                    guard let integer = Int(word.replacing("_", with: "")) else {
                        throw ParseError(line: number, reason: "\"\(word)\" is not a string, boolean or integer")
                    }
                    value = .integer(integer)
                }
            }
            let trailing = rest.trimmingSpaces
            guard trailing.isEmpty || trailing.hasPrefix("#") else { throw ParseError(line: number, reason: "unexpected \"\(trailing)\"") }
            result.append((key, value))
        }
        return result
    }

    /// A `"…"` string at the start of `rest` (consumed), with TOML's escapes.
    private static func basicString(_ rest: inout Substring, line: Int) throws -> String {
        var out = ""
        var iterator = rest.dropFirst().makeIterator()
        var consumed = 1
        while let character = iterator.next() {
            consumed += 1
            switch character {
            case "\"":
                rest = rest.dropFirst(consumed)
                return out
            case "\\":
                guard let escaped = iterator.next() else { break }
                consumed += 1
                switch escaped {
                case "\"": out.append("\"")
                case "\\": out.append("\\")
                case "n": out.append("\n")
                case "t": out.append("\t")
                case "r": out.append("\r")
                case "b": out.append("\u{8}")
                case "f": out.append("\u{C}")
                case "u", "U":
                    var hex = ""
                    for _ in 0..<(escaped == "u" ? 4 : 8) {
                        guard let digit = iterator.next() else { throw ParseError(line: line, reason: "short \\\(escaped) escape") }
                        hex.append(digit)
                        consumed += 1
                    }
                    guard let code = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(code) else {
                        throw ParseError(line: line, reason: "bad \\\(escaped) escape")
                    }
                    out.unicodeScalars.append(scalar)
                default: throw ParseError(line: line, reason: "unknown escape \\\(escaped)")
                }
            default:
                out.append(character)
            }
        }
        throw ParseError(line: line, reason: "unterminated string")
    }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var text = self.drop { $0 == " " || $0 == "\t" }
        while let last = text.last, last == " " || last == "\t" { text = text.dropLast() }
        return text
    }
}

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
