import Glibc

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Starts and stops Nox's units around a restore (systemctl on a real host, a fake in tests).
public protocol ServiceControl {
    /// Stops every Nox unit and returns those to start again afterwards.
    func stopAll() throws -> [String]
    func start(_ units: [String]) throws
}

/// Restores a `StateArchive`: verify it all (nothing changed if that fails), extract into
/// staging directories beside the real ones (still nothing changed if that fails: a full
/// disk, say), stop Nox, swap each staging directory in by rename, start Nox, and delete the
/// old directories. A failed swap renames everything back before starting Nox again.
public struct StateRestore {
    public var archive: StateArchiveReader
    public var services: any ServiceControl

    public init(archive: StateArchiveReader, services: any ServiceControl) {
        self.archive = archive
        self.services = services
    }

    public func run(progress: (Int64, Int64) -> Void = { _, _ in }) throws -> StateArchiveReader.Contents {
        let contents = try archive.verify()
        let suffix = "\(getpid())"
        var staging: [String: String] = [:]
        defer {
            for directory in staging.values where access(directory, F_OK) == 0 { try? FileManager.default.removeItem(atPath: directory) }
        }
        for root in contents.manifest.roots {
            let directory = root + ".restore-" + suffix
            try? FileManager.default.removeItem(atPath: directory)
            guard mkdir(directory, 0o700) == 0 else { throw NoxCtlError("cannot create \(directory): \(String(cString: strerror(errno)))") }
            staging[root] = directory
        }
        try archive.extract(into: staging) { progress($0, contents.bytes) }

        let restart = try services.stopAll()
        var swapped: [(root: String, old: String?)] = []
        do {
            for root in contents.manifest.roots {
                var old: String?
                if access(root, F_OK) == 0 {
                    old = root + ".pre-restore-" + suffix
                    guard rename(root, old!) == 0 else { throw NoxCtlError("cannot move \(root) aside: \(String(cString: strerror(errno)))") }
                }
                guard rename(staging[root]!, root) == 0 else {
                    let reason = String(cString: strerror(errno))
                    if let old { rename(old, root) }
                    throw NoxCtlError("cannot move the restored \(root) into place: \(reason)")
                }
                swapped.append((root, old))
            }
        } catch {
            for (root, old) in swapped.reversed() {
                if let old {
                    rename(root, staging[root]!)
                    rename(old, root)
                }
            }
            try? services.start(restart)
            throw error
        }
        try services.start(restart)
        for (_, old) in swapped {
            if let old { try? FileManager.default.removeItem(atPath: old) }
        }
        return contents
    }
}

/// Nox's units through systemctl.
public struct SystemdServiceControl: ServiceControl {
    public init() {}

    public func stopAll() throws -> [String] {
        let units = try SystemdUnits.show(try SystemdUnits.installedUnits())
        // Restart what ran (sockets, the target, services), never runs or slices; the target
        // always, since it pulls in every daemon's sockets.
        var restart = units.filter { ["active", "activating", "reloading"].contains($0.activeState) }.map(\.id)
            .filter { !$0.hasSuffix(".slice") && !$0.hasPrefix("nox-run-") }
        if units.contains(where: { $0.id == "nox.target" }), !restart.contains("nox.target") { restart.append("nox.target") }
        // Sockets first, so no daemon is started again by a request while its state is swapped.
        let toStop = units.map(\.id).filter { !$0.hasSuffix(".slice") }.sorted { a, b in a.hasSuffix(".socket") && !b.hasSuffix(".socket") }
        if !toStop.isEmpty { try Subprocess.check(Subprocess.systemctl, ["stop"] + toStop) }
        // Runs in progress use the sandboxes being replaced.
        let runs = (try? SystemdUnits.loadedUnits("nox-run-*.service")) ?? []
        if !runs.isEmpty { _ = try? Subprocess.run(Subprocess.systemctl, ["stop"] + runs) }
        return restart
    }

    public func start(_ units: [String]) throws {
        guard !units.isEmpty else { return }
        try Subprocess.check(Subprocess.systemctl, ["start"] + units)
    }
}
