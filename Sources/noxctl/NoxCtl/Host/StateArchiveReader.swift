import CArchive
import Glibc

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Reads a `StateArchive`: `verify` checks all of it, `extract` writes its data into
/// directories chosen by the caller (staging directories beside the real ones).
public struct StateArchiveReader {
    public let path: String
    /// The only directories an archive may hold (a manifest naming others is refused, so an
    /// archive can never write to /etc/passwd or anywhere else).
    public var allowedRoots: [String]

    public init(path: String, allowedRoots: [String] = StateArchive.defaultRoots) {
        self.path = path
        self.allowedRoots = allowedRoots
    }

    /// What `verify` found.
    public struct Contents: Sendable {
        public var manifest: StateArchive.Manifest
        public var entries: Int
        public var files: Int
        public var bytes: Int64
    }

    /// Reads the whole archive and checks it: gzip and tar intact to the end, our manifest
    /// first, only safe names beneath the manifest's (allowed) roots, no hard links or device
    /// files, the checksum entry last, and every file's SHA-256 equal to it.
    public func verify() throws -> Contents {
        try pass(extractingTo: nil, progress: { _ in })
    }

    /// Writes every data entry below `targets[root]` (with owners by name, modes and times),
    /// checking the checksums again as it goes; the caller removes the targets if this throws.
    public func extract(into targets: [String: String], progress: (Int64) -> Void) throws {
        _ = try pass(extractingTo: targets, progress: progress)
    }

    private func refuse(_ why: String) -> NoxCtlError {
        NoxCtlError("refusing \(path): \(why); nothing was changed", exitCode: 2)
    }

    private func pass(extractingTo targets: [String: String]?, progress: (Int64) -> Void) throws -> Contents {
        StateArchive.useUTF8Names()
        guard let archive = archive_read_new() else { throw NoxCtlError("libarchive could not start reading") }
        defer { archive_read_free(archive) }
        guard archive_read_support_filter_gzip(archive) == ARCHIVE_OK, archive_read_support_format_tar(archive) == ARCHIVE_OK else {
            throw NoxCtlError("libarchive lacks gzip or tar support")
        }
        guard archive_read_open_filename(archive, path, 1 << 20) == ARCHIVE_OK else {
            throw refuse("it cannot be read as a gzip-compressed tar (\(Self.errorText(archive)))")
        }
        var disk: OpaquePointer?
        if targets != nil {
            disk = archive_write_disk_new()
            let flags =
                ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_SECURE_SYMLINKS
                | ARCHIVE_EXTRACT_SECURE_NODOTDOT
            archive_write_disk_set_options(disk, flags)
            archive_write_disk_set_standard_lookup(disk)
        }
        defer {
            if let disk {
                archive_write_close(disk)
                archive_write_free(disk)
            }
        }

        var manifest: StateArchive.Manifest?
        var sums: StateArchive.Sums?
        var hashes: [String: String] = [:]
        var contents = Contents(
            manifest: StateArchive.Manifest(format: "", version: 0, createdAt: "", hostname: "", roots: [], creator: ""), entries: 0, files: 0,
            bytes: 0)
        var done: Int64 = 0
        var index = 0
        while true {
            var header: OpaquePointer?
            let status = archive_read_next_header(archive, &header)
            if status == ARCHIVE_EOF { break }
            guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let header else {
                throw refuse(index == 0 ? "it is not a Nox backup (\(Self.errorText(archive)))" : "it is damaged (\(Self.errorText(archive)))")
            }
            defer { index += 1 }
            guard var name = Self.name(header) else { throw refuse("entry \(index) has an unreadable name") }
            if sums != nil { throw refuse("entry \(name) follows the checksum entry") }
            let type = mode_t(archive_entry_filetype(header))
            // tar writes a directory's name with a trailing slash.
            if type == S_IFDIR, name.hasSuffix("/") { name.removeLast() }
            if index == 0 {
                guard name == StateArchive.manifestName, type == S_IFREG else {
                    throw refuse("it is not a Nox backup (no \(StateArchive.manifestName) first)")
                }
                let found = try decode(StateArchive.Manifest.self, try readSmall(archive, name))
                guard found.format == StateArchive.format else { throw refuse("it is not a Nox backup (format \"\(found.format)\")") }
                guard found.version == StateArchive.version else {
                    throw refuse("it is a Nox backup of format version \(found.version), which this noxctl does not know")
                }
                guard !found.roots.isEmpty, found.roots.allSatisfy({ allowedRoots.contains($0) && StateArchive.isAcceptableRoot($0) }) else {
                    throw refuse("it holds directories outside \(allowedRoots.joined(separator: ", ")): \(found.roots.joined(separator: ", "))")
                }
                manifest = found
                contents.manifest = found
                continue
            }
            guard let manifest else { throw refuse("it is not a Nox backup") }
            if name == StateArchive.sumsName {
                guard type == S_IFREG else { throw refuse("its checksum entry is not a file") }
                sums = try decode(StateArchive.Sums.self, try readSmall(archive, name))
                continue
            }
            guard StateArchive.isAcceptable(name, roots: manifest.roots) else { throw refuse("it contains an unsafe or foreign name: \(name)") }
            guard archive_entry_hardlink(header) == nil else { throw refuse("it contains a hard link: \(name)") }
            guard type == S_IFREG || type == S_IFDIR || type == S_IFLNK else { throw refuse("it contains a special file: \(name)") }
            contents.entries += 1

            if let targets, let disk, let (root, rest) = StateArchive.split(name, roots: manifest.roots), let target = targets[root] {
                archive_entry_set_pathname_utf8(header, rest.isEmpty ? target : target + "/" + rest)
                let written = archive_write_header(disk, header)
                guard written == ARCHIVE_OK || written == ARCHIVE_WARN else {
                    throw NoxCtlError("cannot restore \(name): \(Self.errorText(disk))")
                }
            }
            if type == S_IFREG {
                let hasher = SHA256Hasher()
                var buffer = [UInt8](repeating: 0, count: 1 << 20)
                while true {
                    let got = buffer.withUnsafeMutableBytes { archive_read_data(archive, $0.baseAddress, $0.count) }
                    if got == 0 { break }
                    guard got > 0 else { throw refuse("it is damaged at \(name) (\(Self.errorText(archive)))") }
                    try buffer.withUnsafeBytes { (all) throws in
                        let bytes = UnsafeRawBufferPointer(rebasing: all[0..<got])
                        hasher.update(bytes)
                        if targets != nil, let disk {
                            guard archive_write_data(disk, bytes.baseAddress, bytes.count) == bytes.count else {
                                throw NoxCtlError("cannot restore \(name): \(Self.errorText(disk))")
                            }
                        }
                    }
                    done += Int64(got)
                    contents.bytes += Int64(got)
                    progress(done)
                }
                hashes[name] = hasher.finish()
                contents.files += 1
            }
            if targets != nil, let disk, archive_write_finish_entry(disk) < ARCHIVE_WARN {
                throw NoxCtlError("cannot restore \(name): \(Self.errorText(disk))")
            }
        }
        guard manifest != nil else { throw refuse("it is empty") }
        guard let sums else { throw refuse("it is incomplete (no checksum entry at the end)") }
        guard sums.entries == contents.entries else { throw refuse("it holds \(contents.entries) entries where its checksums list \(sums.entries)") }
        guard sums.files == hashes else {
            let bad = hashes.keys.filter { sums.files[$0] != hashes[$0] }.sorted() + sums.files.keys.filter { hashes[$0] == nil }.sorted()
            throw refuse("its checksums do not match (\(bad.prefix(3).joined(separator: ", "))\(bad.count > 3 ? ", …" : ""))")
        }
        return contents
    }

    private static func name(_ header: OpaquePointer) -> String? {
        if let utf8 = archive_entry_pathname_utf8(header) { return String(validatingCString: utf8) }
        if let raw = archive_entry_pathname(header) { return String(validatingCString: raw) }
        return nil
    }

    /// One of our JSON entries (at most 64 MiB: a checksum list of a very large sandbox tree).
    private func readSmall(_ archive: OpaquePointer, _ name: String) throws -> [UInt8] {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let got = buffer.withUnsafeMutableBytes { archive_read_data(archive, $0.baseAddress, $0.count) }
            if got == 0 { return data }
            guard got > 0 else { throw refuse("it is damaged at \(name) (\(Self.errorText(archive)))") }
            data += buffer[0..<got]
            if data.count > 64 << 20 { throw refuse("\(name) is too large") }
        }
    }

    private func decode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8]) throws -> T {
        do { return try JSONDecoder().decode(type, from: Data(bytes)) } catch { throw refuse("its \(T.self) entry is not valid") }
    }

    static func errorText(_ archive: OpaquePointer?) -> String {
        archive.flatMap { archive_error_string($0) }.map { String(cString: $0) } ?? "unknown error"
    }
}
