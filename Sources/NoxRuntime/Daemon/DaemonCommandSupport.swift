public import ArgumentParser
public import Logging

/// The options every daemon's `serve` command shares: where its configuration is.
public struct DaemonConfigurationOptions: ParsableArguments {
    @Option(help: "Main configuration file.") public var config = ConfigurationLoader.defaultPath
    @Option(help: "Drop-in configuration directory.") public var configDir = ConfigurationLoader.defaultDropInDirectory
    public init() {}
}

extension DaemonRunner {
    /// How every daemon's `serve` command runs `body`: logging to journald under `name`, and when
    /// the daemon cannot run, one critical line saying why and exit status 1.
    public static func main(_ name: String, _ body: (Logger) async throws -> Void) async throws {
        NoxLogging.bootstrap(identifier: name)
        let logger = Logger(label: String(name.map { $0 == "-" ? "." : $0 }))
        do {
            try await body(logger)
        } catch {
            logger.critical("\(name) cannot run: \(error)")
            throw ExitCode(1)
        }
    }
}
