/// A permission string such as `exec:run`; a role is a set of them.
public struct Permission: RawRepresentable, Hashable, Codable, Sendable, Comparable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    public static let execRun = Permission("exec:run")
    public static let filesRead = Permission("files:read")
    public static let filesWrite = Permission("files:write")
    public static let historyRead = Permission("history:read")
    public static let statsRead = Permission("stats:read")
    public static let keysManage = Permission("keys:manage")
    public static let metricsRead = Permission("metrics:read")
    public static let adminUsers = Permission("admin:users")
    public static let adminAudit = Permission("admin:audit")
    public static let systemBackup = Permission("system:backup")

    /// Every permission Nox knows; API key scopes must be drawn from these.
    public static let all: [Permission] = [
        .execRun, .filesRead, .filesWrite, .historyRead, .statsRead, .keysManage, .metricsRead,
        .adminUsers, .adminAudit, .systemBackup,
    ]
}

/// A built-in role: `admin`, `user` or `viewer`.
public struct Role: RawRepresentable, Hashable, Codable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init?(rawValue: String) {
        guard Self.permissionTable[rawValue] != nil else { return nil }
        self.rawValue = rawValue
    }
    public var description: String { rawValue }

    public static let admin = Role(rawValue: "admin")!
    public static let user = Role(rawValue: "user")!
    public static let viewer = Role(rawValue: "viewer")!
    public static let allNames = ["admin", "user", "viewer"]

    public var permissions: Set<Permission> { Self.permissionTable[rawValue] ?? [] }

    private static let permissionTable: [String: Set<Permission>] = [
        "admin": Set(Permission.all),
        "user": [.execRun, .filesRead, .filesWrite, .historyRead, .statsRead, .keysManage, .metricsRead],
        "viewer": [.filesRead, .historyRead, .statsRead],
    ]
}
