import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The process on the other end of a Unix socket, as the kernel saw it when it connected (`SO_PEERCRED`).
public struct PeerCredentials: Sendable, Hashable, CustomStringConvertible {
    /// The peer's process id.
    public var pid: Int32
    /// The peer's effective user id.
    public var uid: UInt32
    /// The peer's effective group id.
    public var gid: UInt32

    /// Credentials with the given ids.
    ///
    /// - Parameters:
    ///   - pid: The process id.
    ///   - uid: The user id.
    ///   - gid: The group id.
    public init(pid: Int32, uid: UInt32, gid: UInt32) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
    }

    /// The credentials of this process.
    public static var current: PeerCredentials {
        PeerCredentials(pid: getpid(), uid: getuid(), gid: getgid())
    }

    public var description: String { "pid=\(pid) uid=\(uid) gid=\(gid)" }
}

/// Linux's `struct ucred`, declared here because C headers expose it only with `_GNU_SOURCE`.
private struct UCred: Sendable {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}

extension PeerCredentials {
    /// Reads `SO_PEERCRED` of a connected Unix socket channel.
    static func read(from channel: any Channel) -> EventLoopFuture<PeerCredentials> {
        guard let provider = channel as? any SocketOptionProvider else {
            return channel.eventLoop.makeFailedFuture(
                NoxIPCError(.protocolViolation, "the channel gives no access to its socket's peer credentials")
            )
        }
        #if os(Linux)
            let future: EventLoopFuture<UCred> = provider.unsafeGetSocketOption(
                level: SocketOptionLevel(SOL_SOCKET),
                name: SocketOptionName(SO_PEERCRED)
            )
            return future.map { PeerCredentials(pid: $0.pid, uid: $0.uid, gid: $0.gid) }
        #else
            return channel.eventLoop.makeFailedFuture(NoxIPCError(.protocolViolation, "SO_PEERCRED is Linux only"))
        #endif
    }
}
