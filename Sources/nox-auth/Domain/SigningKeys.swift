import Foundation
import NoxRuntime

/// The Ed25519 keys access tokens are signed with, one file per key (`<kid>.ed25519`, raw 32
/// bytes, mode 0600) in nox-auth's private state directory. The newest key signs; all verify,
/// so a rotation (`nox auth rotate-key`) never invalidates tokens already issued.
public struct SigningKeys: Sendable {
    public let signingKID: String
    public let signingKey: Ed25519.PrivateKey
    public let publicKeys: [String: Ed25519.PublicKey]

    /// Loads the keys in `directory`, creating the first one if there is none.
    public static func load(directory: String) throws -> SigningKeys {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var keys = try readKeys(directory)
        if keys.isEmpty {
            _ = try generate(directory: directory)
            keys = try readKeys(directory)
        }
        guard let newest = keys.max(by: { $0.modified < $1.modified }) else {
            throw CryptoError("no signing key in \(directory)")
        }
        var publicKeys: [String: Ed25519.PublicKey] = [:]
        for key in keys { publicKeys[key.kid] = try key.key.publicKey }
        return SigningKeys(signingKID: newest.kid, signingKey: newest.key, publicKeys: publicKeys)
    }

    /// Writes a new key (atomically) and returns its key id.
    public static func generate(directory: String) throws -> String {
        let key = Ed25519.PrivateKey()
        let kid = JWT.keyID(for: try key.publicKey)
        let path = "\(directory)/\(kid).ed25519"
        let temporary = path + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: key.rawRepresentation, attributes: [.posixPermissions: 0o600]) else {
            throw CryptoError("cannot write \(temporary)")
        }
        guard rename(temporary, path) == 0 else { throw CryptoError("cannot rename \(temporary)") }
        return kid
    }

    struct StoredKey {
        var kid: String
        var key: Ed25519.PrivateKey
        var modified: Date
    }

    static func readKeys(_ directory: String) throws -> [StoredKey] {
        try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".ed25519") }.map { name in
            let path = "\(directory)/\(name)"
            guard let data = FileManager.default.contents(atPath: path) else { throw CryptoError("cannot read \(path)") }
            let key = try Ed25519.PrivateKey(rawRepresentation: data)
            let modified = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date) ?? .distantPast
            return StoredKey(kid: JWT.keyID(for: try key.publicKey), key: key, modified: modified)
        }
    }

    public var jwks: [JSONWebKey] {
        publicKeys.values.map(JSONWebKey.init(publicKey:)).sorted { $0.kid < $1.kid }
    }
}
