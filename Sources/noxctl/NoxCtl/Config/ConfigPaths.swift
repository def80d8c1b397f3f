import Glibc

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Where noxctl keeps its files: `$XDG_CONFIG_HOME/nox` (default `~/.config/nox`).
public struct ConfigPaths: Sendable, Equatable {
    public var directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// From the environment: `XDG_CONFIG_HOME`, else `HOME`, else the user's home from the password database.
    public init(environment: [String: String]) {
        if let xdg = environment["XDG_CONFIG_HOME"], xdg.hasPrefix("/") {
            self.init(directory: xdg + "/nox")
            return
        }
        var home = environment["HOME"] ?? ""
        if home.isEmpty, let entry = getpwuid(getuid()), let dir = entry.pointee.pw_dir {
            home = String(cString: dir)
        }
        self.init(directory: (home.isEmpty ? "/" : home) + "/.config/nox")
    }

    /// `config.toml`: server URL and CA file.
    public var configFile: String { directory + "/config.toml" }
    /// `credentials.json`: tokens per server, 0600.
    public var credentialsFile: String { directory + "/credentials.json" }
}
