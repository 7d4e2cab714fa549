import Crypto
import Foundation
import Platform

/// The JWKS document (RFC 7517) for Ed25519 public keys (OKP, RFC 8037): what the users
/// service publishes at `/.well-known/jwks.json` and `TokenVerifier.load(jwks:)` reads.
public enum JWKSDocument {
    public static func make(_ keys: [(kid: String, publicKey: Curve25519.Signing.PublicKey)]) -> JSONValue {
        [
            "keys": .array(
                keys.map { key in
                    [
                        "kty": "OKP", "crv": "Ed25519", "use": "sig", "alg": "EdDSA", "kid": .string(key.kid),
                        "x": .string(Base64URL.encode(key.publicKey.rawRepresentation)),
                    ]
                })
        ]
    }
}
