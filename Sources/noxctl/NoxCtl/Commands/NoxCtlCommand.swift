import ArgumentParser
import Glibc

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// `noxctl`: the command tree.
public struct NoxCtlCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "noxctl",
        abstract: "Use and operate Nox, the multi-user code-execution service.",
        discussion: """
            Connects to the server named by --url, $NOX_URL or url in ~/.config/nox/config.toml, \
            authenticated by the login stored with 'noxctl login' (refreshed transparently), \
            or by --token / $NOX_TOKEN. Prints tables for people and JSON with --json. \
            Colours only on a terminal, never with NO_COLOR set.

            Examples:
              noxctl login --url https://nox.example.com
              noxctl run hello.py
              noxctl run -l python -c 'print(6 * 7)'
              noxctl files put data.csv inputs/
              noxctl history --status failed --since 1d
              sudo noxctl status
            """,
        version: NoxCtlVersion.version,
        subcommands: [
            LoginCommand.self, LogoutCommand.self, WhoamiCommand.self,
            FilesCommand.self,
            RunCommand.self, JobsCommand.self, JobCommand.self, CancelCommand.self, HistoryCommand.self, LanguagesCommand.self,
            KeysCommand.self, UsersCommand.self, AuditCommand.self,
            StatusCommand.self, LogsCommand.self, BackupCommand.self, RestoreCommand.self,
            GenerateManualCommand.self,
        ]
    )

    public init() {}
}

public enum NoxCtlVersion {
    /// Set by the package build (`NOXCTL_VERSION` at compile time is not available to SwiftPM
    /// without a plugin); kept in step with packaging/debian/changelog by hand.
    public static let version = "0.1.0"
}

/// The process entry point: parses, runs, and turns errors into a message and an exit status.
public enum NoxCtlMain {
    public static func main(_ arguments: [String] = Array(CommandLine.arguments.dropFirst())) -> Never {
        // A closed pipe (noxctl files cat big | head) ends noxctl quietly instead of killing it mid-write.
        signal(SIGPIPE, SIG_IGN)
        var command: any ParsableCommand
        do {
            command = try NoxCtlCommand.parseAsRoot(arguments)
        } catch {
            NoxCtlCommand.exit(withError: error)
        }
        do {
            try command.run()
            exit(0)
        } catch let error as NoxCtlError {
            Console.err("noxctl: \(error.message)")
            exit(error.exitCode)
        } catch let error as APIError {
            Console.err("noxctl: \(error)")
            exit(1)
        } catch {
            NoxCtlCommand.exit(withError: error)
        }
    }
}
