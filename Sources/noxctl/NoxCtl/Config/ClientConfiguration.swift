import Glibc

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// How to reach Nox: the server URL, TLS trust and a fixed token, each from (first wins) a
/// command-line flag, the environment (`NOX_URL`, `NOX_TOKEN`, `NOX_CA_FILE`) or the config
/// file (`~/.config/nox/config.toml`):
///
///     url = "https://nox.example.com"
///     ca_file = "/etc/nox/tls/nox.crt"   # trust this certificate (PEM) instead of the system store
///     insecure = false                   # skip certificate checks (never in production)
public struct ClientConfiguration: Sendable, Equatable {
    public var url: String?
    public var caFile: String?
    public var insecure = false
    /// A token (JWT or `nox_…` API key) to send instead of the stored login.
    public var token: String?

    public init(url: String? = nil, caFile: String? = nil, insecure: Bool = false, token: String? = nil) {
        self.url = url
        self.caFile = caFile
        self.insecure = insecure
        self.token = token
    }

    /// What the config file says; a missing file is an empty configuration.
    public static func load(file path: String) throws -> ClientConfiguration {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            if FileManager.default.fileExists(atPath: path) { throw NoxCtlError("cannot read \(path)") }
            return ClientConfiguration()
        }
        let settings: [(key: String, value: ConfigValue)]
        do {
            settings = try ConfigFileParser.parse(text)
        } catch {
            throw NoxCtlError("\(path): \(error)")
        }
        var config = ClientConfiguration()
        for (key, value) in settings {
            switch (key, value) {
            case ("url", .string(let text)): config.url = text
            case ("ca_file", .string(let text)): config.caFile = text
            case ("insecure", .bool(let flag)): config.insecure = flag
            case ("url", _), ("ca_file", _): throw NoxCtlError("\(path): \(key) must be a string")
            case ("insecure", _): throw NoxCtlError("\(path): insecure must be true or false")
            default:
                // A typo must not silently fall back to a default.
                throw NoxCtlError("\(path): unknown setting \"\(key)\" (known: url, ca_file, insecure)")
            }
        }
        return config
    }

    /// The effective configuration: flags over environment over file.
    public static func resolve(flags: ClientConfiguration, environment: [String: String], file: ClientConfiguration) -> ClientConfiguration {
        func nonEmpty(_ value: String?) -> String? { value?.isEmpty == false ? value : nil }
        var config = ClientConfiguration()
        config.url = nonEmpty(flags.url) ?? nonEmpty(environment["NOX_URL"]) ?? nonEmpty(file.url)
        config.caFile = nonEmpty(flags.caFile) ?? nonEmpty(environment["NOX_CA_FILE"]) ?? nonEmpty(file.caFile)
        config.insecure = flags.insecure || file.insecure
        config.token = nonEmpty(flags.token) ?? nonEmpty(environment["NOX_TOKEN"])
        config.url = config.url.map(normalizedURL)
        return config
    }

    /// `nox.example.com` → `https://nox.example.com`; no trailing slash.
    public static func normalizedURL(_ url: String) -> String {
        var url = url.trimmed
        if !url.contains("://") { url = "https://" + url }
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }

    /// The text of a config file holding this configuration's URL and CA file.
    public var fileText: String {
        var lines = ["# noxctl configuration (written by noxctl login)."]
        if let url { lines.append("url = \(TOMLString(url))") }
        if let caFile { lines.append("ca_file = \(TOMLString(caFile))") }
        if insecure { lines.append("insecure = true") }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// A TOML basic string literal.
func TOMLString(_ value: String) -> String {
    var out = "\""
    for scalar in value.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20 || scalar.value == 0x7f: out += "\\u00" + Digits.hex([UInt8(scalar.value)]).uppercased()
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}
