/// Limits and timeouts of a ``VarlinkServer``.
public struct VarlinkServerConfiguration: Sendable {
    /// The largest frame (one JSON message) accepted, in bytes; a larger one closes the
    /// connection and is logged as an error. Default 8 MiB.
    public var maximumFrameSize: Int
    /// How long a frame may take to arrive once its first byte has; `nil` for no limit. Default 30 s.
    public var readTimeout: Duration?
    /// How long a connection may stay open with no call in progress before the server closes
    /// it; `nil` for no limit. Default 120 s (``VarlinkClient`` closes its idle connections sooner).
    public var idleTimeout: Duration?

    /// A configuration.
    ///
    /// - Parameters:
    ///   - maximumFrameSize: The largest frame accepted, in bytes.
    ///   - readTimeout: How long a started frame may take to complete.
    ///   - idleTimeout: How long a connection may stay open without a call in progress.
    public init(
        maximumFrameSize: Int = 8 * 1024 * 1024,
        readTimeout: Duration? = .seconds(30),
        idleTimeout: Duration? = .seconds(120)
    ) {
        self.maximumFrameSize = maximumFrameSize
        self.readTimeout = readTimeout
        self.idleTimeout = idleTimeout
    }
}

/// What `org.varlink.service.GetInfo` tells about the service.
public struct VarlinkServiceInfo: Sendable, Hashable {
    /// Who makes the service.
    public var vendor: String
    /// What the service is.
    public var product: String
    /// The service's version.
    public var version: String
    /// Where to read about the service.
    public var url: String

    /// Service information.
    ///
    /// - Parameters:
    ///   - vendor: Who makes it, e.g. `Nox`.
    ///   - product: What it is, e.g. `nox-auth`.
    ///   - version: Its version.
    ///   - url: Where to read about it.
    public init(vendor: String, product: String, version: String, url: String) {
        self.vendor = vendor
        self.product = product
        self.version = version
        self.url = url
    }
}
