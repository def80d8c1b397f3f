import HTTPTypes
import NoxRuntime

extension ExecRequestBody {
    /// Replaces `snippet` with the snippet's code (and its language unless the request names one,
    /// which must then be the same language). Exactly one of code, file and snippet may be sent.
    /// - Parameters:
    ///   - find: the snippet the caller sees under an id or name (theirs first, then a global one).
    ///   - canonical: a language name or alias as its canonical name (nil: unknown).
    func resolvingSnippet(find: (String) async throws -> Snippet?, canonical: (String) -> String?) async throws -> ExecRequestBody {
        guard let reference = snippet else { return self }
        guard code == nil, file == nil else {
            throw APIError.validation(field: "snippet", "Send exactly one of code, file and snippet.")
        }
        guard !reference.isEmpty, reference.utf8.count <= 128, let found = try await find(reference) else {
            throw APIError(
                .unprocessableContent, code: "unknown_snippet", message: "No snippet \(reference) that you can run.",
                details: ["field": "snippet"])
        }
        var resolved = self
        if let language, canonical(language) != found.language {
            throw APIError.validation(field: "language", "language \(language) is not the snippet's language (\(found.language)).")
        }
        resolved.language = found.language
        resolved.code = found.code
        resolved.snippet = nil
        return resolved
    }
}
