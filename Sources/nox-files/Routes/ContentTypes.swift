/// `Content-Type` of a download, guessed from the file name's extension.
///
/// A short table of our own rather than a MIME database: the host's `/etc/mime.types` is not
/// visible inside the hardened unit, and the answer only matters for the types clients preview.
/// Everything else is `application/octet-stream`, which browsers never render inline.
enum ContentTypes {
    static let fallback = "application/octet-stream"

    static let byExtension: [String: String] = [
        "txt": "text/plain; charset=utf-8", "log": "text/plain; charset=utf-8", "md": "text/markdown; charset=utf-8",
        "csv": "text/csv; charset=utf-8", "tsv": "text/tab-separated-values; charset=utf-8",
        "py": "text/x-python; charset=utf-8", "sh": "text/x-shellscript; charset=utf-8", "js": "text/javascript; charset=utf-8",
        "ts": "text/plain; charset=utf-8", "c": "text/x-c; charset=utf-8", "h": "text/x-c; charset=utf-8",
        "cpp": "text/x-c++; charset=utf-8", "rs": "text/x-rust; charset=utf-8", "go": "text/x-go; charset=utf-8",
        "java": "text/x-java; charset=utf-8", "rb": "text/x-ruby; charset=utf-8", "swift": "text/x-swift; charset=utf-8",
        "html": "text/html; charset=utf-8", "htm": "text/html; charset=utf-8", "css": "text/css; charset=utf-8",
        "xml": "application/xml", "json": "application/json", "yaml": "application/yaml", "yml": "application/yaml",
        "toml": "application/toml", "ini": "text/plain; charset=utf-8",
        "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp",
        "svg": "image/svg+xml", "ico": "image/vnd.microsoft.icon", "pdf": "application/pdf",
        "zip": "application/zip", "gz": "application/gzip", "tgz": "application/gzip", "tar": "application/x-tar",
        "bz2": "application/x-bzip2", "xz": "application/x-xz", "wasm": "application/wasm",
        "mp3": "audio/mpeg", "wav": "audio/wav", "mp4": "video/mp4", "webm": "video/webm",
    ]

    static func forName(_ name: String) -> String {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return fallback }
        return byExtension[name[name.index(after: dot)...].lowercased()] ?? fallback
    }
}
