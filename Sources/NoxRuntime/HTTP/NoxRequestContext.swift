public import HTTPTypes
public import Hummingbird
import NIOConcurrencyHelpers

/// Per-request state every Nox daemon's handlers see.
public struct NoxRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The request id (from `X-Request-Id` when given, else generated).
    public var requestID: String = ""
    /// The client address as nginx saw it.
    public var sourceAddress: String = "local"
    /// Filled in once the request is authenticated, for the access log line.
    public let state = RequestState()

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
    }
}

/// Facts learned while a request is handled that the outer middleware logs at its end.
public final class RequestState: Sendable {
    private let box = NIOLockedValueBox<String?>(nil)
    public init() {}
    public var username: String? {
        get { box.withLockedValue { $0 } }
        set { box.withLockedValue { $0 = newValue } }
    }
}
