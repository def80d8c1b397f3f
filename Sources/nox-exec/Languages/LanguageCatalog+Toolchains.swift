import CDispatch  // owns `stat` in this module's view (MemberImportVisibility)
import Glibc
import Logging

extension LanguageCatalog {
    /// The environment of version commands, under the manifest's `environment`: a fixed `PATH` (the commands
    /// are absolute, but some run helpers), and the C locale so the version is printed in ASCII digits.
    static let versionEnvironment = ["PATH": "/usr/local/bin:/usr/bin:/bin", "LC_ALL": "C"]

    /// Whether every executable the manifest needs is there; a missing toolchain is normal (not a problem).
    static func isOffered(_ manifest: LanguageManifest, logger: Logger) -> Bool {
        let missing = manifest.requiredExecutables.filter { !isExecutableFile($0) }
        if !missing.isEmpty {
            logger.info(
                "Language not offered: its toolchain is missing",
                metadata: ["nox.language": "\(manifest.name)", "nox.missing": "\(missing.joined(separator: " "))"]
            )
        }
        return missing.isEmpty
    }

    /// A regular file (after links) that may be executed; `access(X_OK)` alone accepts directories.
    static func isExecutableFile(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return false }
        return access(path, X_OK) == 0
    }

    /// Runs every `version` command at once and reads each until the shared deadline.
    /// - Returns: the versions in the order of `manifests`; nil where there is no command, it failed, or
    ///   its output holds no version (the language is still offered).
    static func detectVersions(of manifests: [LanguageManifest], timeout: Duration, logger: Logger) -> [String?] {
        let started = manifests.map { manifest in
            manifest.versionCommand.map { argv in
                Result { () throws(BoundedCommand.SpawnFailure) in
                    try BoundedCommand(argv, environment: versionEnvironment.merging(manifest.environment) { $1 }, timeout: timeout)
                }
            }
        }
        return zip(manifests, started).map { manifest, started in
            guard let started else { return nil }
            let failure: String
            switch started {
            case .failure(let error):
                failure = error.description
            case .success(let command):
                let (output, status) = command.finish()
                let version = LanguageVersion.find(in: output)
                if status == .exited(0), let version { return version }
                failure = version == nil ? "\(status): no version in \"\(output.prefix(200))\"" : "\(status)"
            }
            logger.warning(
                "Language version unknown: its version command failed",
                metadata: ["nox.language": "\(manifest.name)", "nox.problem": "\(failure)"]
            )
            return nil
        }
    }
}
