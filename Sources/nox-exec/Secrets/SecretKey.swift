import Foundation
import NoxRuntime

/// The secrets' encryption key, from nox-exec's systemd credential `secrets.key`
/// (`LoadCredential=secrets.key:/etc/nox/credentials/exec/secrets.key`, made root-only by the
/// package's postinst). systemd copies it to `$CREDENTIALS_DIRECTORY`, a private per-service
/// ramfs, so the daemon itself never needs read access to /etc/nox/credentials (which its unit
/// makes inaccessible) and the key never lands in the database or a backup of /var/lib/nox.
enum SecretKey {
    static let credentialName = "secrets.key"

    /// Loads the key; throws an error that says what to fix when it is missing or malformed.
    /// The file holds 32 random bytes, raw or base64 (postinst writes `openssl rand -base64 32`).
    static func load(credentialsDirectory: String?) throws -> AESGCM.Key {
        guard let directory = credentialsDirectory, !directory.isEmpty else {
            throw SecretError(
                "No secrets key: $CREDENTIALS_DIRECTORY is not set. nox-exec needs the systemd credential \(credentialName) "
                    + "(LoadCredential=\(credentialName):/etc/nox/credentials/exec/\(credentialName) in nox-exec.service).")
        }
        let path = directory + "/" + credentialName
        guard let contents = FileManager.default.contents(atPath: path) else {
            throw SecretError(
                "No secrets key: \(path) cannot be read. Create /etc/nox/credentials/exec/\(credentialName) "
                    + "(root, 0600) with `openssl rand -base64 32` and restart nox-exec.")
        }
        return try parse(contents)
    }

    static func parse(_ contents: Data) throws -> AESGCM.Key {
        if contents.count == AESGCM.keyByteCount { return try AESGCM.Key(contents) }
        let text = String(decoding: contents, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let decoded = Data(base64Encoded: text), decoded.count == AESGCM.keyByteCount else {
            throw SecretError(
                "The secrets key \(credentialName) is malformed: it must be \(AESGCM.keyByteCount) random bytes, raw or base64.")
        }
        return try AESGCM.Key(decoded)
    }
}
