/// What systemd says about one unit: its state and, where accounting is on, its usage.
public struct UnitState: Sendable, Equatable {
    public var name: String
    /// `active`, `inactive`, `failed`, `activating`, `deactivating`, `reloading`, or `unknown`
    /// when systemd could not be asked.
    public var activeState: String
    public var subState: String
    /// `loaded`, `not-found`, …
    public var loadState: String
    public var memoryBytes: UInt64?
    public var cpuNanoseconds: UInt64?
    public var tasks: UInt64?

    public init(
        name: String, activeState: String, subState: String = "", loadState: String = "loaded", memoryBytes: UInt64? = nil,
        cpuNanoseconds: UInt64? = nil, tasks: UInt64? = nil
    ) {
        self.name = name
        self.activeState = activeState
        self.subState = subState
        self.loadState = loadState
        self.memoryBytes = memoryBytes
        self.cpuNanoseconds = cpuNanoseconds
        self.tasks = tasks
    }

    public static func unknown(_ name: String) -> UnitState { UnitState(name: name, activeState: "unknown", loadState: "unknown") }
}

/// Reads unit states; ``SystemdUnits`` over D-Bus in the daemon, a table in tests.
public protocol UnitStateSource: Sendable {
    /// The state of each named unit; `withUsage` also reads memory, CPU and tasks.
    func states(of units: [String], withUsage: Bool) async -> [UnitState]
    /// Names of the loaded units matching shell-style patterns (`nox-user-*.slice`).
    func unitNames(matching patterns: [String]) async -> [String]
}
