import HTTPTypes
import NoxRuntime

/// Rules for a secret's name and value. A secret becomes an environment variable of a run, so
/// its name follows the `env` rules of API.md (`[A-Z_][A-Z0-9_]*`, not PATH, HOME, USER, SHELL,
/// `LD_*` or `NOX_*`), capped at 64 characters so names stay readable keys of a small table.
enum SecretName {
    static let maximumLength = 64
    /// 64 KiB: large enough for a PEM key or a service-account JSON, small enough that 100 of
    /// them still fit comfortably in a process environment (Linux caps one string at 128 KiB).
    static let maximumValueBytes = 64 * 1024
    /// Per user: secrets are credentials, not a key-value store.
    static let maximumPerUser = 100

    static func isValid(_ name: String) -> Bool {
        name.utf8.count <= maximumLength && ExecRequestBody.isAllowedName(name)
    }

    /// Throws the API's 422 for a name that may not be a secret's.
    static func check(_ name: String, field: String = "name") throws {
        guard isValid(name) else {
            throw APIError(
                .unprocessableContent, code: "validation_failed",
                message: "\(field): a secret name is 1 to \(maximumLength) characters of [A-Z0-9_], not starting with a digit, "
                    + "and not PATH, HOME, USER, SHELL, LD_* or NOX_*.",
                details: ["field": field])
        }
    }

    /// Throws the API's 422 for a value that cannot be a secret's. The message never quotes it.
    static func check(value: String) throws {
        guard value.utf8.count <= maximumValueBytes else {
            throw APIError.validation(field: "value", "value is larger than \(maximumValueBytes) bytes.")
        }
        // An environment variable cannot hold NUL.
        guard !value.utf8.contains(0) else { throw APIError.validation(field: "value", "value may not contain NUL.") }
    }
}
