/// Limits and timeouts of a ``VarlinkClient``.
public struct VarlinkClientConfiguration: Sendable {
    /// The largest reply frame accepted, in bytes; a larger one fails the connection. Default 8 MiB.
    public var maximumFrameSize: Int
    /// How long connecting may take. Default 5 s.
    public var connectTimeout: Duration
    /// How long a call may wait for its reply (for `more` calls: for the first reply), and a
    /// started reply frame to complete; `nil` for no limit. A timeout fails every call on that
    /// connection and closes it, since later replies could no longer be matched. Default 30 s.
    public var callTimeout: Duration?
    /// How long the shared connection stays open with no call in progress; `nil` to keep it.
    /// Shorter than the server's idle timeout so that the client, not the server, closes it.
    /// Default 30 s.
    public var idleTimeout: Duration?

    /// A configuration.
    ///
    /// - Parameters:
    ///   - maximumFrameSize: The largest reply frame accepted, in bytes.
    ///   - connectTimeout: How long connecting may take.
    ///   - callTimeout: How long a call may wait for its (first) reply.
    ///   - idleTimeout: How long the shared connection stays open unused.
    public init(
        maximumFrameSize: Int = 8 * 1024 * 1024,
        connectTimeout: Duration = .seconds(5),
        callTimeout: Duration? = .seconds(30),
        idleTimeout: Duration? = .seconds(30)
    ) {
        self.maximumFrameSize = maximumFrameSize
        self.connectTimeout = connectTimeout
        self.callTimeout = callTimeout
        self.idleTimeout = idleTimeout
    }
}
