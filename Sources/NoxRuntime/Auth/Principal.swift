/// Who a request acts as: a user, through an access token or one of their API keys.
public struct Principal: Codable, Sendable, Equatable {
    public var username: String
    public var role: String
    /// Effective permissions: the role's, narrowed to the key's scopes when an API key is used.
    public var permissions: [String]
    public var quotas: Quotas
    /// The API key's id when the request used a key.
    public var key_id: String?
    public var disabled: Bool

    public init(username: String, role: String, permissions: [String], quotas: Quotas, key_id: String? = nil, disabled: Bool = false) {
        self.username = username
        self.role = role
        self.permissions = permissions
        self.quotas = quotas
        self.key_id = key_id
        self.disabled = disabled
    }

    public func has(_ permission: Permission) -> Bool {
        permissions.contains(permission.rawValue)
    }
}
