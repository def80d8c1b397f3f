import CSystemd
import Glibc

/// Listening sockets handed over by systemd (`sd_listen_fds_with_names`), by `FileDescriptorName=`.
public struct SocketActivation: Sendable {
    /// Descriptor numbers by name (`http`, `varlink`). Several sockets may share a name.
    public let descriptors: [String: [CInt]]

    /// Takes the sockets systemd passed to this process, if any, and clears `LISTEN_*` from the
    /// environment so children never inherit them.
    public static func fromEnvironment() -> SocketActivation {
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = nil
        let count = sd_listen_fds_with_names(1, &names)
        var descriptors: [String: [CInt]] = [:]
        if count > 0 {
            for index in 0..<Int(count) {
                let fd = SD_LISTEN_FDS_START + CInt(index)
                let name = names?[index].map { String(cString: $0) } ?? "unknown"
                descriptors[name, default: []].append(fd)
                // Keep the inherited sockets out of anything we might spawn.
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            }
        }
        if let names {
            for index in 0..<max(0, Int(count)) { free(names[index]) }
            free(names)
        }
        return SocketActivation(descriptors: descriptors)
    }

    public init(descriptors: [String: [CInt]]) {
        self.descriptors = descriptors
    }

    public func first(named name: String) -> CInt? {
        descriptors[name]?.first
    }

    public var isActivated: Bool { !descriptors.isEmpty }
}

/// Where a server listens: a socket inherited from systemd, or a path bound by us (development).
public struct ListenSocket: Sendable, CustomStringConvertible {
    enum Value: Sendable {
        case inherited(CInt)
        case path(String)
    }
    let value: Value

    public static func inherited(_ fd: CInt) -> ListenSocket { ListenSocket(value: .inherited(fd)) }
    public static func path(_ path: String) -> ListenSocket { ListenSocket(value: .path(path)) }

    public var description: String {
        switch value {
        case .inherited(let fd): return "inherited socket fd \(fd)"
        case .path(let path): return path
        }
    }
}
