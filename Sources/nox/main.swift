import ArgumentParser
import Foundation
import NoxAuth
import NoxExec
import NoxFiles
import NoxMetrics

/// The one Nox binary. Every daemon and tool is a subcommand, and a link named after one
/// (`/usr/lib/nox/nox-auth`) runs it directly, so the static Swift runtime ships once.
struct Nox: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nox",
        abstract: "Nox: a multi-user code-execution service built on systemd.",
        subcommands: [AuthCommand.self, FilesCommand.self, ExecCommand.self, MetricsCommand.self]
    )
}

/// Links named `nox-<daemon>` run that daemon.
var arguments = Array(CommandLine.arguments.dropFirst())
let invokedAs = (CommandLine.arguments.first ?? "nox").split(separator: "/").last.map(String.init) ?? "nox"
if invokedAs.hasPrefix("nox-") {
    arguments.insert(String(invokedAs.dropFirst(4)), at: 0)
}
await NoxMain.run(arguments)

enum NoxMain {
    /// `Nox.main(_:)` would resolve to ArgumentParser's synchronous entry point from top-level
    /// code, which refuses async commands; this is its async body.
    static func run(_ arguments: [String]) async {
        do {
            var command = try await Nox.asyncParseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            Nox.exit(withError: error)
        }
    }
}
