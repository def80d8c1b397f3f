import Foundation
import Logging

extension LanguageCatalog {
    /// A manifest and the file it came from.
    struct Entry {
        var manifest: LanguageManifest
        let file: String
    }

    /// Reads every `*.toml` of `directories` in order and merges them.
    ///
    /// A later directory's manifest replaces an earlier one with the same `name` entirely; an empty file,
    /// or a link to `/dev/null`, masks the earlier directories' file of the same file name (systemd's
    /// way to turn off a packaged file). A file that cannot be used, or a second file with an existing
    /// name in the same directory, is skipped and reported in `problems`; none of it is fatal.
    /// - Returns: the manifests in load order (aliases not yet checked) and the problems found.
    static func loadManifests(from directories: [String], logger: Logger) -> (entries: [Entry], problems: [String]) {
        var entries: [Entry] = []
        var problems: [String] = []
        func skip(_ problem: String) {
            logger.warning("Language manifest skipped", metadata: ["nox.problem": "\(problem)"])
            problems.append(problem)
        }
        for directory in directories {
            var namesHere: [String: String] = [:]
            for file in manifestFiles(in: directory, skip: skip) {
                if isMask(file) {
                    let fileName = (file as NSString).lastPathComponent
                    entries.removeAll { ($0.file as NSString).lastPathComponent == fileName }
                    logger.notice("Language manifest masked", metadata: ["nox.file": "\(file)"])
                    continue
                }
                let text: String
                do {
                    text = try String(contentsOfFile: file, encoding: .utf8)
                } catch {
                    skip("\(file): cannot be read: \(error.localizedDescription)")
                    continue
                }
                let manifest: LanguageManifest
                do {
                    manifest = try LanguageManifest.parse(text, file: file)
                } catch {
                    skip(error.description)
                    continue
                }
                if let other = namesHere[manifest.name] {
                    skip("\(file): name: \"\(manifest.name)\" is already defined by \(other); file skipped")
                    continue
                }
                namesHere[manifest.name] = file
                if let earlier = entries.firstIndex(where: { $0.manifest.name == manifest.name }) {
                    logger.notice(
                        "Language manifest replaced",
                        metadata: ["nox.language": "\(manifest.name)", "nox.file": "\(file)", "nox.replaced": "\(entries[earlier].file)"]
                    )
                    entries.remove(at: earlier)
                }
                entries.append(Entry(manifest: manifest, file: file))
            }
        }
        return (entries, problems)
    }

    /// The directory's `*.toml` paths in name order; a missing directory has none (the admin's usually is).
    static func manifestFiles(in directory: String, skip: (String) -> Void) -> [String] {
        guard FileManager.default.fileExists(atPath: directory) else { return [] }
        do {
            return try FileManager.default.contentsOfDirectory(atPath: directory)
                .filter { $0.hasSuffix(".toml") && !$0.hasPrefix(".") }
                .sorted()
                .map { directory + "/" + $0 }
        } catch {
            skip("\(directory): cannot be listed: \(error.localizedDescription)")
            return []
        }
    }

    /// A link to `/dev/null` (which Foundation will not read as a file) or an empty file.
    static func isMask(_ file: String) -> Bool {
        let target = URL(fileURLWithPath: file).resolvingSymlinksInPath().path
        return target == "/dev/null" || (try? FileManager.default.attributesOfItem(atPath: target)[.size] as? Int) == 0
    }

    /// Drops aliases that would make a name ambiguous: a language's name always keeps it, and of two
    /// equal aliases the file loaded first keeps it. Each dropped alias is a warning and a problem.
    static func dropCollidingAliases(_ entries: inout [Entry], problems: inout [String], logger: Logger) {
        let names = Set(entries.map(\.manifest.name))
        var taken: [String: String] = [:]
        for index in entries.indices {
            let entry = entries[index]
            let kept = entry.manifest.aliases.filter { alias in
                let owner = names.contains(alias) ? alias : taken[alias]
                guard let owner else {
                    taken[alias] = entry.manifest.name
                    return true
                }
                let problem = "\(entry.file): aliases: \"\(alias)\" already names \(owner); alias dropped"
                logger.warning("Language alias dropped", metadata: ["nox.language": "\(entry.manifest.name)", "nox.problem": "\(problem)"])
                problems.append(problem)
                return false
            }
            if kept != entry.manifest.aliases { entries[index].manifest = entry.manifest.with(aliases: kept) }
        }
    }
}

extension LanguageManifest {
    /// The same manifest with other aliases (the catalog's collision handling).
    func with(aliases: [String]) -> LanguageManifest {
        LanguageManifest(
            name: name, aliases: aliases, fileExtension: fileExtension, sourceName: sourceName, requires: requires,
            versionCommand: versionCommand, compile: compile, run: run, environment: environment,
            memoryDenyWriteExecute: memoryDenyWriteExecute, tasksMin: tasksMin, compileTimeoutSeconds: compileTimeoutSeconds
        )
    }
}
