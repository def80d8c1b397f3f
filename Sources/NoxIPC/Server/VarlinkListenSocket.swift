/// Where a ``VarlinkServer`` listens.
public struct VarlinkListenSocket: Sendable, Hashable, CustomStringConvertible {
    enum Kind: Sendable, Hashable {
        case path(String)
        case fileDescriptor(CInt)
    }

    let kind: Kind

    /// A Unix socket the server binds at `path`, replacing a stale socket file left there
    /// (development and tests), and removes when it stops.
    ///
    /// - Parameter path: The socket's file system path.
    public static func path(_ path: String) -> VarlinkListenSocket {
        VarlinkListenSocket(kind: .path(path))
    }

    /// An inherited socket that is already bound and listening, e.g. from systemd socket
    /// activation (`sd_listen_fds`, the first one is 3). The server takes ownership and closes
    /// it when it stops.
    ///
    /// - Parameter descriptor: The listening socket's file descriptor.
    public static func fileDescriptor(_ descriptor: CInt) -> VarlinkListenSocket {
        VarlinkListenSocket(kind: .fileDescriptor(descriptor))
    }

    public var description: String {
        switch kind {
        case .path(let path): return path
        case .fileDescriptor(let descriptor): return "fd:\(descriptor)"
        }
    }
}
