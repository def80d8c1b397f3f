import ArgumentParser
import Glibc

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Archive all of Nox's state: databases, keys, configuration, every sandbox (on the host, as root).",
        discussion: """
            Writes a .tar.gz of /var/lib/nox (every daemon's database, copied with SQLite's \
            online backup so it is consistent while Nox runs; signing keys; every user's \
            sandbox and backups) and /etc/nox (configuration, credentials, TLS key), with a \
            checksum of every file. The archive is mode 0600: it holds secrets. Nox keeps \
            running meanwhile.

            Examples:
              sudo noxctl backup
              sudo noxctl backup /srv/backups/nox-$(date +%F).tar.gz
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Archive to write (default: nox-backup-TIME.tar.gz in the current directory).") var file: String?

    func run() throws {
        let context = try Context(global)
        try Subprocess.requireRoot("backup")
        let stamp = Formatting.rfc3339(Date()).replacing(":", with: "").replacing("-", with: "")
        let target = file ?? "nox-backup-\(stamp).tar.gz"
        let bar = context.progressBar("backup")
        let summary = try StateBackup().write(to: target) { bar.update($0, of: $1) }
        bar.finish()
        if context.json {
            context.printJSON(
                .object([
                    "file": .string(target), "size": .int(summary.archiveSize), "files": .int(Int64(summary.files)),
                    "directories": .int(Int64(summary.directories)), "databases": .int(Int64(summary.databases)), "bytes": .int(summary.bytes),
                ]))
        } else {
            Console.line(
                "wrote \(target): \(summary.files) files (\(summary.databases) databases), \(summary.directories) directories, "
                    + "\(Formatting.bytes(summary.bytes)) → \(Formatting.bytes(summary.archiveSize))")
        }
    }
}

struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Replace all of Nox's state with a backup (on the host, as root).",
        discussion: """
            Checks the whole archive first (a damaged, truncated or foreign archive is refused \
            with nothing changed, exit 2), unpacks it beside the current state, stops every Nox \
            unit (runs in progress end), swaps the directories, and starts Nox again. Anything \
            made since the backup is lost. --verify-only stops after the check.

            Examples:
              sudo noxctl restore --verify-only nox-backup-20260101T000000Z.tar.gz
              sudo noxctl restore nox-backup-20260101T000000Z.tar.gz
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Archive written by 'noxctl backup'.") var file: String
    @Flag(help: "Only check the archive.") var verifyOnly = false

    func run() throws {
        let context = try Context(global)
        try Subprocess.requireRoot("restore")
        guard access(file, R_OK) == 0 else { throw NoxCtlError("cannot read \(file): \(String(cString: strerror(errno)))") }
        let reader = StateArchiveReader(path: file)
        let contents: StateArchiveReader.Contents
        if verifyOnly {
            contents = try reader.verify()
        } else {
            let bar = context.progressBar("restore")
            contents = try StateRestore(archive: reader, services: SystemdServiceControl()).run { bar.update($0, of: $1) }
            bar.finish()
        }
        let manifest = contents.manifest
        if context.json {
            context.printJSON(
                .object([
                    "file": .string(file), "verified": .bool(true), "restored": .bool(!verifyOnly), "created_at": .string(manifest.createdAt),
                    "hostname": .string(manifest.hostname), "roots": .array(manifest.roots.map { .string($0) }), "files": .int(Int64(contents.files)),
                    "bytes": .int(contents.bytes),
                ]))
        } else {
            let what = verifyOnly ? "verified" : "restored"
            Console.line(
                "\(what) \(file): backup of \(manifest.hostname) from \(Formatting.time(manifest.createdAt)), \(contents.files) files, \(Formatting.bytes(contents.bytes)) (\(manifest.roots.joined(separator: ", ")))"
            )
        }
    }
}
