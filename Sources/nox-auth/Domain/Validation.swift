import HTTPTypes
import NoxRuntime

/// Input rules shared by the routes.
enum Validation {
    /// `^[a-z][a-z0-9_]{0,31}$` (API.md).
    static func isValidUsername(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...32).contains(bytes.count), (0x61...0x7A).contains(bytes[0]) else { return false }
        return bytes.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == UInt8(ascii: "_") }
    }

    static func username(_ name: String, field: String = "username") throws -> String {
        guard isValidUsername(name) else {
            throw APIError.validation(field: field, "username must match ^[a-z][a-z0-9_]{0,31}$.")
        }
        return name
    }

    /// 8 to 1024 characters; longer is refused so hashing cost stays bounded.
    static func password(_ password: String, field: String = "password") throws -> String {
        guard password.count >= 8 else { throw APIError.validation(field: field, "password must be at least 8 characters.") }
        guard password.utf8.count <= 1024 else { throw APIError.validation(field: field, "password must be at most 1024 bytes.") }
        return password
    }

    static func role(_ name: String, field: String = "role") throws -> Role {
        guard let role = Role(rawValue: name) else {
            throw APIError.validation(field: field, "role must be one of \(Role.allNames.joined(separator: ", ")).")
        }
        return role
    }

    /// Quota overrides: known names, integers within range.
    static func quotas(_ quotas: [String: Int], field: String = "quotas") throws -> [String: Int] {
        try quotaChanges(quotas, field: field).compactMapValues { $0 }
    }

    /// Quota changes: known names; each value an integer within range, or null (back to the default).
    static func quotaChanges(_ quotas: [String: Int?], field: String = "quotas") throws -> [String: Int?] {
        for (name, value) in quotas {
            guard let range = Quotas.ranges[name] else {
                throw APIError.validation(field: "\(field).\(name)", "Unknown quota \(name); known: \(Quotas.fieldNames.joined(separator: ", ")).")
            }
            if let value, !range.contains(value) {
                throw APIError.validation(field: "\(field).\(name)", "\(name) must be from \(range.lowerBound) to \(range.upperBound).")
            }
        }
        return quotas
    }
}
