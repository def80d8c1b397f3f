import Foundation
import NIOConcurrencyHelpers
import NoxRuntime

/// Takes a ``SystemSnapshot``: the host from /proc and statvfs, each daemon's unit state and
/// accounting, and every user's slice. The slices are listed and read at most every
/// `sliceInterval` (a thousand users are several thousand D-Bus calls); samples in between
/// carry the last reading.
public final class SystemSampler: Sendable {
    let host: HostReader
    let units: any UnitStateSource
    let daemons: [NoxDaemon]
    let stateDirectory: String
    let sliceInterval: Duration
    private let state = NIOLockedValueBox(State())

    struct State {
        var previousCPU: HostReader.CPUTimes?
        var slices: [String: SystemSnapshot.Slice] = [:]
        var slicesRead: ContinuousClock.Instant?
    }

    static let slicePrefix = "nox-user-"
    static let sliceSuffix = ".slice"

    /// - Parameters:
    ///   - daemons: every daemon, nox-metrics included.
    ///   - stateDirectory: whose filesystem `disk` describes (`/var/lib/nox`).
    public init(
        host: HostReader = HostReader(), units: any UnitStateSource, daemons: [NoxDaemon], stateDirectory: String,
        sliceInterval: Duration = .seconds(5)
    ) {
        self.host = host
        self.units = units
        self.daemons = daemons
        self.stateDirectory = stateDirectory
        self.sliceInterval = sliceInterval
        state.withLockedValue { $0.previousCPU = host.cpuTimes() }
    }

    public func sample(now: Date = Date()) async -> SystemSnapshot {
        let cpuNow = host.cpuTimes()
        let previous = state.withLockedValue { state in
            defer { state.previousCPU = cpuNow }
            return state.previousCPU
        }
        let unitStates = await units.states(of: daemons.flatMap(\.units), withUsage: true)
        let byName = Dictionary(unitStates.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var services: [String: SystemSnapshot.Service] = [:]
        for daemon in daemons {
            let service = byName[daemon.service] ?? .unknown(daemon.service)
            let sockets = [daemon.httpSocket, daemon.varlinkSocket].compactMap { byName[$0] }
            // Every second: no ping (the health endpoint pings); running counts as answering.
            let verdict = await ServiceStatus.judge(service: service, sockets: sockets) { true }
            services[daemon.name] = .init(
                unit: service.name, status: verdict.status, active_state: service.activeState, sub_state: service.subState,
                memory_bytes: service.memoryBytes.map(Self.int64), cpu_ms: service.cpuNanoseconds.map { Self.int64($0 / 1_000_000) },
                tasks: service.tasks.map(Self.int64))
        }
        let slices = await userSlices()
        return SystemSnapshot(
            time: RFC3339.string(now), cpu: HostReader.cpu(from: previous, to: cpuNow, cores: HostReader.cores()), memory: host.memory(),
            disk: host.disk(path: stateDirectory), load: host.load(), uptime_s: host.uptimeSeconds(), services: services, slices: slices)
    }

    /// Every user's slice, read again when the last reading is `sliceInterval` old.
    func userSlices() async -> [String: SystemSnapshot.Slice] {
        let cached = state.withLockedValue { state -> [String: SystemSnapshot.Slice]? in
            guard let read = state.slicesRead, ContinuousClock.now - read < sliceInterval else { return nil }
            return state.slices
        }
        if let cached { return cached }
        let names = await units.unitNames(matching: [Self.slicePrefix + "*" + Self.sliceSuffix]).filter { name in
            let user = name.dropFirst(Self.slicePrefix.count).dropLast(Self.sliceSuffix.count)
            return !user.isEmpty && !user.contains("-")
        }
        var slices: [String: SystemSnapshot.Slice] = [:]
        for slice in await units.states(of: names, withUsage: true) where slice.loadState == "loaded" {
            let username = String(slice.name.dropFirst(Self.slicePrefix.count).dropLast(Self.sliceSuffix.count))
            slices[username] = .init(
                unit: slice.name, active_state: slice.activeState, memory_bytes: slice.memoryBytes.map(Self.int64),
                cpu_ms: slice.cpuNanoseconds.map { Self.int64($0 / 1_000_000) }, tasks: slice.tasks.map(Self.int64))
        }
        state.withLockedValue { state in
            state.slices = slices
            state.slicesRead = .now
        }
        return slices
    }

    static func int64(_ value: UInt64) -> Int64 { Int64(clamping: value) }
}
