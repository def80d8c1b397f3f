import HTTPTypes
import NoxRuntime

/// The body of `POST /api/snippets` and `PATCH /api/snippets/{id}`: every field optional here,
/// `validated` says which are required. `global` only on create (a snippet never changes owner).
struct SnippetFields: Decodable, Sendable {
    var name: String?
    var language: String?
    var description: String?
    var tags: [String]?
    var code: String?
    var global: Bool?

    static let maximumCodeBytes = ExecRequestBody.maximumCodeBytes
    static let maximumDescriptionCharacters = 2000
    static let maximumTags = 20

    /// Checks the fields that are present; with `creating`, `name`, `language` and `code` must be.
    /// `resolve` maps a language name or alias to its canonical name (nil: unknown).
    func validated(creating: Bool, resolve: (String) -> String?) throws -> SnippetFields {
        var checked = self
        if creating {
            for (field, value) in [("name", name), ("language", language), ("code", code)] where value == nil {
                throw APIError.validation(field: field, "\(field) is required.")
            }
        } else if global != nil {
            throw APIError.validation(field: "global", "global is set when a snippet is created and cannot change.")
        }
        if let name, !Snippet.isValidName(name) {
            throw APIError.validation(field: "name", "name must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$ and not start with snp_.")
        }
        if let language {
            guard let canonical = resolve(language) else {
                throw APIError(
                    .unprocessableContent, code: "unknown_language",
                    message: "No language \(language) here; GET /api/languages lists what is.", details: ["field": "language"])
            }
            checked.language = canonical
        }
        if let description, description.count > Self.maximumDescriptionCharacters {
            throw APIError.validation(field: "description", "description is longer than \(Self.maximumDescriptionCharacters) characters.")
        }
        if let tags {
            guard tags.count <= Self.maximumTags, tags.allSatisfy(Snippet.isValidTag) else {
                throw APIError.validation(field: "tags", "tags: at most \(Self.maximumTags), each matching ^[a-z0-9][a-z0-9_-]{0,31}$.")
            }
            checked.tags = Array(Set(tags)).sorted()
        }
        if let code {
            guard code.utf8.count <= Self.maximumCodeBytes, !code.utf8.contains(0) else {
                throw APIError.validation(field: "code", "code is larger than \(Self.maximumCodeBytes) bytes or contains NUL.")
            }
        }
        return checked
    }
}
