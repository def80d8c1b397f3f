#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Who may call which method of an interface, decided from the caller's socket credentials.
///
/// A refused call is answered with `org.varlink.service.PermissionDenied`.
public struct VarlinkAuthorization: Sendable {
    private let check: @Sendable (_ method: String, _ peer: PeerCredentials) -> Bool

    /// A policy given by a closure.
    ///
    /// - Parameter check: Receives the short method name (e.g. `Authenticate`) and the caller's
    ///   credentials; returns whether the call may go ahead.
    public init(_ check: @escaping @Sendable (_ method: String, _ peer: PeerCredentials) -> Bool) {
        self.check = check
    }

    /// Whether `peer` may call `method` (a short method name).
    public func allows(method: String, peer: PeerCredentials) -> Bool {
        check(method, peer)
    }

    /// Everyone who can open the socket may call every method.
    public static let allowAll = VarlinkAuthorization { _, _ in true }

    /// Only root and the user this process runs as, as systemd's own services do.
    public static var rootAndSelf: VarlinkAuthorization { users([]) }

    /// Root, the user this process runs as, and the given users.
    ///
    /// - Parameter uids: Further user ids allowed to call every method.
    public static func users(_ uids: Set<UInt32>) -> VarlinkAuthorization {
        let allowed = uids.union([0, getuid()])
        return VarlinkAuthorization { _, peer in allowed.contains(peer.uid) }
    }
}
