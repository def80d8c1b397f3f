/// Nox's configuration: `/etc/nox/nox.toml`, then `/etc/nox/nox.d/*.toml` in name order, later
/// files overriding earlier ones key by key. Every key has a default, so an empty file is valid.
public struct NoxConfiguration: Sendable, Equatable {
    public var auth = AuthConfiguration()
    /// Server-wide default quotas for users without their own.
    public var quotas = Quotas()
    public var runtime = RuntimeConfiguration()
    public var files = FilesConfiguration()
    public var exec = ExecConfiguration()
    public var metrics = MetricsConfiguration()

    public init() {}

    public struct AuthConfiguration: Sendable, Equatable {
        /// Life of an access token (JWT), seconds.
        public var accessTokenTTL = 900
        /// Life of a refresh token, seconds.
        public var refreshTokenTTL = 30 * 24 * 3600
        /// Failed logins for one username before backing off.
        public var usernameFailuresBeforeBackoff = 5
        /// Failed logins from one client address (within `failureWindow`) before backing off.
        public var addressFailuresBeforeBackoff = 20
        /// Longest backoff for a username, seconds.
        public var usernameBackoffMax = 900
        /// Longest backoff for an address, seconds (short: many people may share one address).
        public var addressBackoffMax = 60
        /// How long failed logins are remembered, seconds.
        public var failureWindow = 900
        /// How long other daemons may cache a user's role and disabled flag, seconds (≤ 10 by API.md).
        public var userCacheTTL = 5
        public init() {}
    }

    public struct RuntimeConfiguration: Sendable, Equatable {
        /// Exit after this many seconds without requests (0 = never); socket activation restarts the daemon.
        public var idleExitSeconds = 0
        public var logLevel = "info"
        /// Largest JSON request body, bytes.
        public var maxJSONBodyBytes = 1 << 20
        public init() {}
    }

    public struct FilesConfiguration: Sendable, Equatable {
        /// Backups kept per user; creating one more removes the oldest.
        public var backupsPerUser = 10
        /// Files larger than this are found by name only, not by content.
        public var indexMaxFileBytes: Int64 = 1 << 20
        /// Most files one multipart upload may carry.
        public var maxFilesPerUpload = 1000
        public init() {}
    }

    public struct ExecConfiguration: Sendable, Equatable {
        /// Runs at once on the whole server (each user also has `max_concurrent`).
        public var maxRunning = 16
        /// Runs waiting for a slot; one more is refused with 503.
        public var maxQueued = 256
        /// Bytes of stdout (and of stderr) kept per run; the rest is dropped, flagged as truncated.
        public var outputLimitBytes = 1 << 20
        /// The largest file a run may write (`LimitFSIZE=`), MiB.
        public var fileSizeLimitMB = 256
        /// Roles whose runs may ask for `network: true`.
        public var networkRoles = ["admin"]
        /// Language manifests: ours, then the admin's (same name replaces).
        public var languageDirectories = ["/usr/share/nox/languages.d", "/etc/nox/languages.d"]
        /// Finished jobs are kept this many days in history.
        public var historyDays = 90
        /// How long a result stays reusable by `cache: true` requests, seconds.
        public var cacheTTLSeconds = 3600
        /// Cached results kept per user; the least recently used go first.
        public var cacheEntriesPerUser = 100
        public init() {}
    }

    public struct MetricsConfiguration: Sendable, Equatable {
        /// Client addresses (as nginx saw them) or CIDR ranges that may read `/metrics` without a
        /// token, for a local Prometheus; empty = everyone needs `metrics:read`.
        public var scrapeAllow: [String] = []
        /// Days of 1-minute history kept (1-second samples are kept for an hour).
        public var historyDays = 7
        public init() {}
    }
}
