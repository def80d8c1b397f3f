import Foundation
import TOMLKit

/// A configuration file that cannot be used; the message names the file and the key.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Reads and validates `nox.toml` and its drop-ins.
public enum ConfigurationLoader {
    public static let defaultPath = "/etc/nox/nox.toml"
    public static let defaultDropInDirectory = "/etc/nox/nox.d"

    /// Loads the main file (missing is fine: defaults) and every `*.toml` in the drop-in directory.
    public static func load(path: String = defaultPath, dropInDirectory: String = defaultDropInDirectory) throws -> NoxConfiguration {
        var texts: [(String, String)] = []
        if FileManager.default.fileExists(atPath: path) {
            texts.append((path, try read(path)))
        }
        let dropIns = ((try? FileManager.default.contentsOfDirectory(atPath: dropInDirectory)) ?? [])
            .filter { $0.hasSuffix(".toml") }
            .sorted()
        for name in dropIns {
            let file = dropInDirectory + "/" + name
            texts.append((file, try read(file)))
        }
        return try parse(texts)
    }

    /// Parses configuration texts in order, later ones overriding earlier ones.
    public static func parse(_ texts: [(name: String, text: String)]) throws -> NoxConfiguration {
        var configuration = NoxConfiguration()
        for (name, text) in texts {
            let table: TOMLTable
            do {
                table = try TOMLTable(string: text)
            } catch {
                throw ConfigurationError("\(name): not valid TOML: \(error)")
            }
            try apply(table, to: &configuration, file: name)
        }
        return configuration
    }

    static func read(_ path: String) throws -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError("\(path): cannot be read: \(error.localizedDescription)")
        }
    }

    static func apply(_ table: TOMLTable, to configuration: inout NoxConfiguration, file: String) throws {
        for section in table.keys {
            guard let sectionTable = table[section]?.table else {
                throw ConfigurationError("\(file): \(section) must be a table ([\(section)])")
            }
            var reader = SectionReader(table: sectionTable, file: file, section: section)
            switch section {
            case "auth":
                var auth = configuration.auth
                try reader.int("access_token_ttl_s", 60...86_400) { auth.accessTokenTTL = $0 }
                try reader.int("refresh_token_ttl_s", 300...31_536_000) { auth.refreshTokenTTL = $0 }
                try reader.int("login_failures_before_backoff", 1...1000) { auth.usernameFailuresBeforeBackoff = $0 }
                try reader.int("address_failures_before_backoff", 1...100_000) { auth.addressFailuresBeforeBackoff = $0 }
                try reader.int("login_backoff_max_s", 1...86_400) { auth.usernameBackoffMax = $0 }
                try reader.int("address_backoff_max_s", 1...86_400) { auth.addressBackoffMax = $0 }
                try reader.int("login_failure_window_s", 1...86_400) { auth.failureWindow = $0 }
                try reader.int("user_cache_ttl_s", 0...10) { auth.userCacheTTL = $0 }
                configuration.auth = auth
            case "quotas":
                var overrides: [String: Int] = [:]
                for name in Quotas.fieldNames {
                    try reader.int(name, Quotas.ranges[name]!) { overrides[name] = $0 }
                }
                configuration.quotas = configuration.quotas.applying(overrides)
            case "runtime":
                var runtime = configuration.runtime
                try reader.int("idle_exit_s", 0...86_400) { runtime.idleExitSeconds = $0 }
                try reader.int("max_json_body_bytes", 1024...(64 << 20)) { runtime.maxJSONBodyBytes = $0 }
                try reader.string("log_level", ["trace", "debug", "info", "notice", "warning", "error", "critical"]) { runtime.logLevel = $0 }
                configuration.runtime = runtime
            case "files":
                var files = configuration.files
                try reader.int("backups_per_user", 1...1000) { files.backupsPerUser = $0 }
                try reader.int("index_max_file_bytes", 0...(64 << 20)) { files.indexMaxFileBytes = Int64($0) }
                try reader.int("max_files_per_upload", 1...10_000) { files.maxFilesPerUpload = $0 }
                configuration.files = files
            case "exec":
                var exec = configuration.exec
                try reader.int("max_running", 1...4096) { exec.maxRunning = $0 }
                try reader.int("max_queued", 0...100_000) { exec.maxQueued = $0 }
                try reader.int("output_limit_bytes", 1024...(64 << 20)) { exec.outputLimitBytes = $0 }
                try reader.int("file_size_limit_mb", 1...(1 << 20)) { exec.fileSizeLimitMB = $0 }
                try reader.int("history_days", 1...3650) { exec.historyDays = $0 }
                try reader.int("cache_ttl_s", 0...(30 * 86_400)) { exec.cacheTTLSeconds = $0 }
                try reader.int("cache_entries_per_user", 0...100_000) { exec.cacheEntriesPerUser = $0 }
                try reader.strings("network_roles", Role.allNames) { exec.networkRoles = $0 }
                configuration.exec = exec
            case "metrics":
                var metrics = configuration.metrics
                try reader.strings("scrape_allow", where: IPAddressRange.isValid, "IP addresses or CIDR ranges") { metrics.scrapeAllow = $0 }
                try reader.int("history_days", 1...90) { metrics.historyDays = $0 }
                configuration.metrics = metrics
            default:
                // Sections of later Nox daemons are read by them; the ones we know are checked strictly.
                continue
            }
            try reader.rejectUnknownKeys()
        }
    }

    struct SectionReader {
        let table: TOMLTable
        let file: String
        let section: String
        var seen: Set<String> = []

        init(table: TOMLTable, file: String, section: String) {
            self.table = table
            self.file = file
            self.section = section
        }

        mutating func int(_ key: String, _ range: ClosedRange<Int>, _ set: (Int) -> Void) throws {
            seen.insert(key)
            guard let value = table[key] else { return }
            guard let number = value.int else {
                throw ConfigurationError("\(file): [\(section)] \(key) must be an integer")
            }
            guard range.contains(number) else {
                throw ConfigurationError("\(file): [\(section)] \(key) = \(number) is outside \(range.lowerBound)...\(range.upperBound)")
            }
            set(number)
        }

        mutating func string(_ key: String, _ allowed: [String], _ set: (String) -> Void) throws {
            seen.insert(key)
            guard let value = table[key] else { return }
            guard let text = value.string, allowed.contains(text) else {
                throw ConfigurationError("\(file): [\(section)] \(key) must be one of \(allowed.joined(separator: ", "))")
            }
            set(text)
        }

        mutating func strings(_ key: String, _ allowed: [String], _ set: ([String]) -> Void) throws {
            seen.insert(key)
            guard let value = table[key] else { return }
            guard let array = value.array else { throw ConfigurationError("\(file): [\(section)] \(key) must be a list of strings") }
            var values: [String] = []
            for item in array {
                guard let text = item.string, allowed.contains(text) else {
                    throw ConfigurationError("\(file): [\(section)] \(key) items must be among \(allowed.joined(separator: ", "))")
                }
                values.append(text)
            }
            set(values)
        }

        mutating func strings(_ key: String, where isValid: (String) -> Bool, _ what: String, _ set: ([String]) -> Void) throws {
            seen.insert(key)
            guard let value = table[key] else { return }
            guard let array = value.array else { throw ConfigurationError("\(file): [\(section)] \(key) must be a list of strings") }
            var values: [String] = []
            for item in array {
                guard let text = item.string, isValid(text) else {
                    throw ConfigurationError("\(file): [\(section)] \(key) items must be \(what)")
                }
                values.append(text)
            }
            set(values)
        }

        func rejectUnknownKeys() throws {
            let unknown = Set(table.keys).subtracting(seen)
            if let key = unknown.sorted().first {
                throw ConfigurationError("\(file): [\(section)] has no key \(key)")
            }
        }
    }
}
