/// A language the catalog offers: its manifest and the version its toolchain reported.
public struct Language: Sendable, Equatable {
    public let manifest: LanguageManifest
    /// The toolchain's version (`3.11.2`), or nil when the manifest has no `version` or it failed.
    public let version: String?

    public init(manifest: LanguageManifest, version: String?) {
        self.manifest = manifest
        self.version = version
    }

    public var name: String { manifest.name }

    /// The argvs for one run, placeholders replaced.
    ///
    /// `args` are appended to `run` as separate items exactly as given: they are never substituted
    /// and never pass through a shell, so spaces, quotes, `;` or `{source}` in them stay literal.
    /// - Parameters:
    ///   - source: absolute path of the file holding the code (named after `manifest.sourceName`).
    ///   - binary: absolute path, not yet existing, for what `compile` makes.
    ///   - workdir: absolute path of the run's working directory.
    ///   - args: the request's `args`.
    public func commands(source: String, binary: String, workdir: String, args: [String]) -> (compile: [String]?, run: [String]) {
        let paths: [CommandTemplate.Placeholder: String] = [.source: source, .binary: binary, .workdir: workdir]
        return (manifest.compile?.render(paths), manifest.run.render(paths) + args)
    }

    /// One item of `GET /api/languages`.
    public struct APIItem: Encodable, Sendable, Equatable {
        public let name: String
        public let version: String?
        public let aliases: [String]
        public let fileExtension: String

        enum CodingKeys: String, CodingKey {
            case name, version, aliases
            case fileExtension = "file_extension"
        }

        /// Writes `version` as `null` when unknown rather than leaving it out, so every item has the same keys.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(version, forKey: .version)
            try container.encode(aliases, forKey: .aliases)
            try container.encode(fileExtension, forKey: .fileExtension)
        }
    }

    public var apiItem: APIItem {
        APIItem(name: name, version: version, aliases: manifest.aliases, fileExtension: manifest.fileExtension)
    }
}
