import Logging
import NIOConcurrencyHelpers

/// The languages nox-exec offers, from the manifests in `languages.d`.
///
/// Loading reads the manifests, keeps those whose executables exist, and runs their `version`
/// commands side by side (at most `versionTimeout` in all), so `init` and `reload()` block for up
/// to that long: call them at startup or on SIGHUP, not per request. Lookups afterwards are a lock
/// and a dictionary read; versions are kept until the next `reload()`, which detects them again
/// (a toolchain upgrade is the usual reason to reload).
public final class LanguageCatalog: Sendable {
    /// Ours (packaged), then the administrator's, which wins by `name`.
    public static let defaultDirectories = ["/usr/share/nox/languages.d", "/etc/nox/languages.d"]
    /// How long the version commands may take together.
    public static let defaultVersionTimeout: Duration = .seconds(5)

    public let directories: [String]
    private let versionTimeout: Duration
    private let logger: Logger
    private let state: NIOLockedValueBox<Snapshot>

    struct Snapshot: Sendable {
        var languages: [Language] = []
        var lookup: [String: Language] = [:]
        var problems: [String] = []
    }

    /// Loads the catalog.
    /// - Parameters:
    ///   - directories: read in order; a later one's manifest replaces an earlier one's of the same `name`.
    ///   - versionTimeout: the limit for the version commands; one still running then is killed.
    ///   - logger: where skipped files, dropped aliases and missing toolchains are reported.
    public init(directories: [String] = LanguageCatalog.defaultDirectories, versionTimeout: Duration = defaultVersionTimeout, logger: Logger) {
        self.directories = directories
        self.versionTimeout = versionTimeout
        self.logger = logger
        state = NIOLockedValueBox(Self.load(directories, versionTimeout: versionTimeout, logger: logger))
    }

    /// Files that were skipped and aliases that were dropped, as `FILE: KEY: MESSAGE` lines.
    public var problems: [String] { state.withLockedValue { $0.problems } }

    /// The available language with this name or alias, if any.
    public func resolve(_ nameOrAlias: String) -> Language? {
        state.withLockedValue { $0.lookup[nameOrAlias] }
    }

    /// The available languages (their executables exist), sorted by name.
    public func available() -> [Language] {
        state.withLockedValue { $0.languages }
    }

    /// Reads the directories and detects the versions again; lookups keep answering from the old
    /// catalog until the new one is complete.
    public func reload() {
        let snapshot = Self.load(directories, versionTimeout: versionTimeout, logger: logger)
        state.withLockedValue { $0 = snapshot }
    }

    static func load(_ directories: [String], versionTimeout: Duration, logger: Logger) -> Snapshot {
        var (entries, problems) = loadManifests(from: directories, logger: logger)
        dropCollidingAliases(&entries, problems: &problems, logger: logger)
        let offered = entries.map(\.manifest).filter { isOffered($0, logger: logger) }
        let versions = detectVersions(of: offered, timeout: versionTimeout, logger: logger)
        var snapshot = Snapshot(problems: problems)
        for (manifest, version) in zip(offered, versions) {
            let language = Language(manifest: manifest, version: version)
            snapshot.languages.append(language)
            for key in [manifest.name] + manifest.aliases { snapshot.lookup[key] = language }
        }
        snapshot.languages.sort { $0.name < $1.name }
        logger.info(
            "Languages loaded",
            metadata: ["nox.languages": "\(snapshot.languages.map { "\($0.name) \($0.version ?? "?")" }.joined(separator: ", "))"]
        )
        return snapshot
    }
}
