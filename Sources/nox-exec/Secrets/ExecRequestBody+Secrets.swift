import HTTPTypes
import NoxRuntime

extension ExecRequestBody {
    /// `secrets`: names only (values come from the vault), each a valid secret name, no
    /// repeats, and none also set by `env` (which would silently win or lose).
    func checkSecretNames(env: [String: String]) throws {
        guard let secrets else { return }
        guard secrets.count <= SecretName.maximumPerUser else {
            throw APIError.validation(field: "secrets", "secrets: at most \(SecretName.maximumPerUser) names.")
        }
        for name in secrets {
            try SecretName.check(name, field: "secrets")
            guard env[name] == nil else {
                throw APIError(
                    .unprocessableContent, code: "validation_failed", message: "secrets: \(name) is also set in env.",
                    details: ["field": "secrets", "name": name])
            }
        }
        guard Set(secrets).count == secrets.count else {
            throw APIError.validation(field: "secrets", "secrets: a name is given twice.")
        }
    }
}
