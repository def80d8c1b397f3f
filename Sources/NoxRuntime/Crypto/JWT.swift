import Foundation

/// Compact JWS access tokens signed with Ed25519 ("EdDSA", RFC 8037).
///
/// Written here rather than taken from jwt-kit because jwt-kit brings a second, statically
/// vendored crypto library (BoringSSL through swift-crypto) plus swift-certificates, while we
/// need one fixed profile: `alg` pinned to EdDSA (no `none`, no algorithm confusion), `kid`
/// required, integer `exp`/`iat`/`nbf`. Signing and verifying use the system's OpenSSL.
public enum JWT {
    public struct Header: Codable, Sendable, Equatable {
        public var alg: String
        public var typ: String?
        public var kid: String
    }

    /// The claims Nox puts in an access token.
    public struct Claims: Codable, Sendable, Equatable {
        public var iss: String
        public var sub: String
        public var aud: String
        public var iat: Int
        public var nbf: Int
        public var exp: Int
        public var jti: String
        public var role: String

        public init(iss: String = "nox", sub: String, aud: String = "nox", iat: Int, nbf: Int? = nil, exp: Int, jti: String, role: String) {
            self.iss = iss
            self.sub = sub
            self.aud = aud
            self.iat = iat
            self.nbf = nbf ?? iat
            self.exp = exp
            self.jti = jti
            self.role = role
        }
    }

    public enum VerificationError: Error, Equatable, Sendable {
        case malformed
        case unsupportedAlgorithm
        case unknownKey
        case badSignature
        case expired
        case notYetValid
        case wrongIssuer
    }

    /// Signs claims with the given key id and key.
    public static func sign(_ claims: Claims, kid: String, key: Ed25519.PrivateKey) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let header = Header(alg: "EdDSA", typ: "JWT", kid: kid)
        let signingInput = Base64URL.encode(try encoder.encode(header)) + "." + Base64URL.encode(try encoder.encode(claims))
        let signature = try key.signature(for: Data(signingInput.utf8))
        return signingInput + "." + Base64URL.encode(signature)
    }

    /// Verifies a token's signature against the key named by its `kid`, then its time claims.
    /// - Parameters:
    ///   - token: the compact token
    ///   - keys: public keys by key id
    ///   - now: the current time in seconds since 1970
    ///   - leeway: tolerated clock skew in seconds
    public static func verify(_ token: String, keys: [String: Ed25519.PublicKey], now: Int, leeway: Int = 5) throws(VerificationError) -> Claims {
        // A token is short; refuse anything huge before doing work on it.
        guard token.utf8.count <= 4096 else { throw .malformed }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3,
            let headerData = Base64URL.decode(parts[0]),
            let claimsData = Base64URL.decode(parts[1]),
            let signature = Base64URL.decode(parts[2])
        else { throw .malformed }
        let decoder = JSONDecoder()
        guard let header = try? decoder.decode(Header.self, from: headerData) else { throw .malformed }
        guard header.alg == "EdDSA" else { throw .unsupportedAlgorithm }
        guard let key = keys[header.kid] else { throw .unknownKey }
        let signingInput = Data("\(parts[0]).\(parts[1])".utf8)
        guard key.isValidSignature(signature, for: signingInput) else { throw .badSignature }
        guard let claims = try? decoder.decode(Claims.self, from: claimsData) else { throw .malformed }
        guard claims.iss == "nox", claims.aud == "nox" else { throw .wrongIssuer }
        guard now < claims.exp + leeway else { throw .expired }
        guard now + leeway >= claims.nbf else { throw .notYetValid }
        return claims
    }

    /// The key id for a public key: the first 16 base64url characters of its SHA-256.
    public static func keyID(for key: Ed25519.PublicKey) -> String {
        String(Base64URL.encode(Digest.sha256(key.rawRepresentation)).prefix(16))
    }
}

/// One entry of a JSON Web Key Set for an Ed25519 key (RFC 8037).
public struct JSONWebKey: Codable, Sendable, Equatable {
    public var kty: String
    public var crv: String
    public var x: String
    public var kid: String
    public var alg: String
    public var use: String

    public init(publicKey: Ed25519.PublicKey) {
        self.kty = "OKP"
        self.crv = "Ed25519"
        self.x = Base64URL.encode(publicKey.rawRepresentation)
        self.kid = JWT.keyID(for: publicKey)
        self.alg = "EdDSA"
        self.use = "sig"
    }

    /// The public key this entry describes, when it is an Ed25519 signing key.
    public var publicKey: Ed25519.PublicKey? {
        guard kty == "OKP", crv == "Ed25519", let raw = Base64URL.decode(x) else { return nil }
        return try? Ed25519.PublicKey(rawRepresentation: raw)
    }
}
