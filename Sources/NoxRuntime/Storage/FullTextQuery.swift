import Foundation

/// User text as an FTS5 query that can only ever match words, never act as FTS syntax.
///
/// Shared by nox-files' index (`FileIndex`) and nox-exec's history: the text is split into words the way the `unicode61` tokenizer splits (runs of letters and
/// digits; everything else, `"`, `*`, `(`, `:`, `^`, `-`, `_`, separates), lower-cased, and each
/// word becomes a quoted prefix phrase (`"near"*`). So `OR`, `NEAR(`, `NOT`, column filters are
/// searched as words, and all words must occur (FTS5's implicit AND).
public enum FullTextQuery {
    /// The MATCH expression for `text`; nil when it has no letters or digits (it can match nothing).
    public static func match(for text: String) -> String? {
        let phrases = words(of: text).map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"*" }
        return phrases.isEmpty ? nil : phrases.joined(separator: " ")
    }

    /// The distinct words of `text`, lower-cased, in order.
    public static func words(of text: String) -> [String] {
        var words: [String] = []
        var seen = Set<String>()
        var current = ""
        func flush() {
            if !current.isEmpty, seen.insert(current).inserted { words.append(current) }
            current = ""
        }
        for character in text {
            if isWordCharacter(character) {
                current += character.lowercased()
            } else {
                flush()
            }
        }
        flush()
        return words
    }

    /// Whether `unicode61` (categories L*, N*, Co) keeps this character in a word.
    public static func isWordCharacter(_ character: Character) -> Bool {
        guard let scalar = character.unicodeScalars.first else { return false }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .decimalNumber, .letterNumber, .otherNumber, .privateUse:
            return true
        default:
            return false
        }
    }
}
