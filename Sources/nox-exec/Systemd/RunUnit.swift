import Foundation
import Glibc
import NoxRuntime

/// Everything about one run's transient service that varies: who, where, what, how much.
/// `properties` turns it into the unit's sandbox (README, "How a run is isolated").
struct RunUnit: Sendable {
    /// `nox-run-<job id>.service`.
    var name: String
    /// `nox-user-<user>.slice`: the user's quotas, enforced across all of their runs.
    var slice: String
    /// The DynamicUser name of this Nox user's runs (`noxr-<hash of the username>`).
    var dynamicUser: String
    /// The user's sandbox on the host, bound at `RunUnit.sandboxMountPoint`.
    var sandboxPath: String
    /// Where the submitted code was written on the host, bound read-only at `codeMountPoint`.
    var codeDirectory: String?
    /// The commands that copy the run's cgroup counters to the usage report (see `UsageReport`),
    /// run by systemd after the main process ended, in the same cgroup, before it is removed.
    var usageReportCommand: [String]
    /// The language's compile step, if any: argv, the first item an absolute path. It runs as the
    /// unit's `ExecStartPre=`, with the same identity, sandbox and private /tmp as the program, and
    /// `compileTimeoutMicroseconds` to finish (`TimeoutStartSec=`); the request's timeout
    /// (`RuntimeMaxSec=`) counts only from the program's start.
    var compile: [String]?
    var compileTimeoutMicroseconds: UInt64
    /// argv; the first item is an absolute path.
    var command: [String]
    /// `NAME=value`, already filtered (allow-listed names only).
    var environment: [String]
    var memoryMaxBytes: UInt64
    /// The user's CPU quota again (the slice enforces it across runs): on cgroup v1 it also makes
    /// systemd create the run's `cpu,cpuacct` group, whose `cpuacct.usage` is the run's CPU time.
    var cpuQuotaPerSecond: UInt64
    var tasksMax: UInt64
    var runtimeMaxMicroseconds: UInt64
    var fileSizeLimitBytes: UInt64
    var network: Bool
    var memoryDenyWriteExecute: Bool
    var standardInput: Int32
    var standardOutput: Int32
    var standardError: Int32
    /// `LoadCredential=` pairs (id, root-only file): the run's secrets (see `SecretDelivery`).
    var credentials: [(String, String)] = []

    /// Inside the run: `/var/lib/nox` is an empty read-only tmpfs holding only these two mounts,
    /// so no mount point is ever created on the host's root file system.
    static let sandboxMountPoint = "/var/lib/nox/sandbox"
    /// Where the privileged usage step writes its report (nox-exec's `RuntimeDirectory=`).
    static let usageDirectory = "/run/nox-exec"
    static let codeMountPoint = "/var/lib/nox/code"
    /// Where a compile step writes the program (the run's private /tmp, shared by both steps).
    static let compiledProgramPath = "/tmp/nox-program"
    static let runGroup = "nox-run"
    static let maximumOpenFiles: UInt64 = 1024

    var properties: [(String, BusValue)] {
        var binds: [(source: String, destination: String, ignoreMissing: Bool, flags: UInt64)] = [
            (sandboxPath, Self.sandboxMountPoint, false, 0)
        ]
        var readOnlyBinds: [(source: String, destination: String, ignoreMissing: Bool, flags: UInt64)] = []
        if let codeDirectory { readOnlyBinds.append((codeDirectory, Self.codeMountPoint, false, 0)) }
        var list: [(String, BusValue)] = [
            ("Description", .string("Nox run \(name)")),
            ("Type", .string("exec")),
            // An OOM kill of a child is the program's business; of the main process, our report's.
            ("OOMPolicy", .string("continue")),
            ("Slice", .string(slice)),
            ("CollectMode", .string("inactive-or-failed")),
            ("AddRef", .bool(true)),
            // "no-env-expand" (the ":" prefix of a unit file): systemd would otherwise expand `$NAME`
            // and `${NAME}` in the argv at exec time, so a user's argument "$HOME" would arrive as
            // "/tmp" and "$(id)" would vanish; every argument must reach the program literally.
            ("ExecStartEx", .execCommandsWithFlags([(command[0], command, ["no-env-expand"])])),
            // Privileged ("+"): outside the run's sandbox, as root, with a fixed command of ours.
            ("ExecStopPostEx", .execCommandsWithFlags([(usageReportCommand[0], usageReportCommand, ["privileged", "ignore-failure"])])),
            ("StandardInputFileDescriptor", .fileDescriptor(standardInput)),
            ("StandardOutputFileDescriptor", .fileDescriptor(standardOutput)),
            ("StandardErrorFileDescriptor", .fileDescriptor(standardError)),
            ("Environment", .strings(environment)),
            // Identity: one dynamic uid per Nox user (see README), in the group that owns sandboxes.
            ("DynamicUser", .bool(true)),
            ("User", .string(dynamicUser)),
            ("SupplementaryGroups", .strings([Self.runGroup])),
            ("UMask", .uint32(0o007)),
            // File system: nothing of Nox visible but this user's sandbox.
            ("TemporaryFileSystem", .stringPairs([("/var/lib/nox", "ro,mode=0755")])),
            ("BindPaths", .bindPaths(binds)),
            ("WorkingDirectory", .string(Self.sandboxMountPoint)),
            ("InaccessiblePaths", .strings(["-/etc/nox", "-/run/nox", "-/var/log/journal", "-/dev/shm"])),
            ("ReadWritePaths", .strings(["-" + Self.usageDirectory])),
            ("ProtectSystem", .string("strict")),
            ("ProtectHome", .string("yes")),
            ("PrivateTmp", .bool(true)),
            ("PrivateDevices", .bool(true)),
            ("PrivateIPC", .bool(true)),
            ("PrivateNetwork", .bool(!network)),
            ("ProtectProc", .string("invisible")),
            ("ProcSubset", .string("pid")),
            ("ProtectKernelTunables", .bool(true)),
            ("ProtectKernelModules", .bool(true)),
            ("ProtectKernelLogs", .bool(true)),
            ("ProtectControlGroups", .bool(true)),
            ("ProtectClock", .bool(true)),
            ("ProtectHostname", .bool(true)),
            ("NoNewPrivileges", .bool(true)),
            ("RestrictSUIDSGID", .bool(true)),
            ("RestrictRealtime", .bool(true)),
            ("LockPersonality", .bool(true)),
            ("MemoryDenyWriteExecute", .bool(memoryDenyWriteExecute)),
            ("CapabilityBoundingSet", .uint64(0)),
            ("AmbientCapabilities", .uint64(0)),
            // D-Bus's RestrictNamespaces is the set still allowed: none.
            ("RestrictNamespaces", .uint64(0)),
            ("SystemCallArchitectures", .strings(["native"])),
            ("SystemCallFilter", .flaggedStrings(true, ["@system-service"])),
            ("SystemCallErrorNumber", .int32(EPERM)),
            ("RestrictAddressFamilies", .flaggedStrings(true, network ? ["AF_UNIX", "AF_INET", "AF_INET6"] : ["AF_UNIX"])),
            ("KeyringMode", .string("private")),
            ("RemoveIPC", .bool(true)),
            // Resources: the run's own limits (≤ the user's quota, which the slice enforces in total).
            ("MemoryAccounting", .bool(true)),
            ("MemoryMax", .uint64(memoryMaxBytes)),
            ("MemorySwapMax", .uint64(0)),
            ("TasksAccounting", .bool(true)),
            ("TasksMax", .uint64(tasksMax)),
            ("CPUAccounting", .bool(true)),
            ("CPUQuotaPerSecUSec", .uint64(cpuQuotaPerSecond)),
            ("RuntimeMaxUSec", .uint64(runtimeMaxMicroseconds)),
            ("LimitFSIZE", .uint64(fileSizeLimitBytes)),
            ("LimitFSIZESoft", .uint64(fileSizeLimitBytes)),
            ("LimitCORE", .uint64(0)),
            ("LimitCORESoft", .uint64(0)),
            ("LimitNOFILE", .uint64(Self.maximumOpenFiles)),
            ("LimitNOFILESoft", .uint64(Self.maximumOpenFiles)),
            // The end: everything in the cgroup is SIGKILLed, nothing survives the run.
            ("KillMode", .string("control-group")),
            ("KillSignal", .int32(SIGKILL)),
            ("SendSIGKILL", .bool(true)),
            ("TimeoutStopUSec", .uint64(5_000_000)),
        ]
        if let compile {
            list.append(("ExecStartPreEx", .execCommandsWithFlags([(compile[0], compile, ["no-env-expand"])])))
            list.append(("TimeoutStartUSec", .uint64(compileTimeoutMicroseconds)))
        }
        if !credentials.isEmpty { list.append(("LoadCredential", .stringPairs(credentials))) }
        if !readOnlyBinds.isEmpty { list.append(("BindReadOnlyPaths", .bindPaths(readOnlyBinds))) }
        if !network {
            list.append(("IPAddressDeny", .ipPrefixes([(Int32(AF_INET), [0, 0, 0, 0], 0), (Int32(AF_INET6), Array(repeating: 0, count: 16), 0)])))
        }
        binds.removeAll()
        return list
    }

    /// systemd's D-Bus object path of a unit: `_` plus two hex digits for every byte that is not
    /// a letter or digit (sd_bus_path_encode).
    static func objectPath(of unit: String) -> String {
        var path = "/org/freedesktop/systemd1/unit/"
        for byte in unit.utf8 {
            if (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) {
                path.append(Character(UnicodeScalar(byte)))
            } else {
                path += "_" + Hex.encode([byte])
            }
        }
        return path
    }
}
