/// A daemon of the suite as nox-metrics watches it: its units and its Varlink socket.
public struct NoxDaemon: Sendable, Hashable {
    /// Short name: `auth`, `files`, `exec`, `metrics`.
    public var name: String
    /// Its Varlink socket (`/run/nox/ipc/io.nox.Auth`).
    public var varlinkPath: String

    public init(name: String, varlinkPath: String) {
        self.name = name
        self.varlinkPath = varlinkPath
    }

    public var service: String { "nox-\(name).service" }
    public var httpSocket: String { "nox-\(name).socket" }
    public var varlinkSocket: String { "nox-\(name)-varlink.socket" }
    public var units: [String] { [service, httpSocket, varlinkSocket] }

    /// The suite as packaged: every daemon but nox-metrics itself.
    public static func others(ipcDirectory: String = "/run/nox/ipc") -> [NoxDaemon] {
        [
            NoxDaemon(name: "auth", varlinkPath: ipcDirectory + "/io.nox.Auth"),
            NoxDaemon(name: "files", varlinkPath: ipcDirectory + "/io.nox.Files"),
            NoxDaemon(name: "exec", varlinkPath: ipcDirectory + "/io.nox.Exec"),
        ]
    }
}
