import NoxRuntime

extension ExecRoutes {
    /// `POST /api/exec`'s body with a named snippet replaced by its code and language.
    func resolvingSnippet(_ body: ExecRequestBody, _ principal: Principal) async throws -> ExecRequestBody {
        guard body.snippet != nil else { return body }
        guard let snippets else { throw APIError.validation(field: "snippet", "Snippets are not offered here.") }
        return try await body.resolvingSnippet(
            find: { reference in
                try await offPool { try snippets.find(reference, username: principal.username)?.snippet }
            },
            canonical: { service.languages.resolve($0)?.name })
    }
}
