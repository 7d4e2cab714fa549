import Crypto
import Foundation
import Platform

/// The JWKS document (RFC 7517) for Ed25519 public keys (OKP, RFC 8037): what the users
/// service publishes at `/.well-known/jwks.json` and `TokenVerifier.load(jwks:)` reads.
public enum JWKSDocument {
    public static func make(_ keys: [(kid: String, publicKey: Curve25519.Signing.PublicKey)]) -> JSONValue {
        ["keys": .array(keys.map { key in
            ["kty": "OKP", "crv": "Ed25519", "use": "sig", "alg": "EdDSA", "kid": .string(key.kid), "x": .string(base64URL(key.publicKey.rawRepresentation))]
        })]
    }

    /// Base64 with the URL alphabet and no padding (RFC 4648 §5), as JOSE writes bytes.
    public static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
