import Foundation
import JWTKit

/// The claims of an access token the users service signs (Ed25519, `alg: EdDSA`) and every
/// service verifies locally with the public keys of `/.well-known/jwks.json`.
public struct AccessClaims: JWTPayload, Equatable {
    public static let issuer = "mlex-users"

    public var sub: SubjectClaim
    public var iss: IssuerClaim
    public var iat: IssuedAtClaim
    public var exp: ExpirationClaim
    /// `user` or `service`.
    public var kind: String
    public var role: String
    public var teams: [String]
    public var scope: [String]
    /// The session (refresh-token family) this token was issued for; absent on service tokens.
    public var sid: String?

    public init(
        subject: String, kind: Principal.Kind, role: String, teams: [String], scope: [String], sessionID: String?,
        issuedAt: Date, lifetime: TimeInterval
    ) {
        self.sub = SubjectClaim(value: subject)
        self.iss = IssuerClaim(value: Self.issuer)
        self.iat = IssuedAtClaim(value: issuedAt)
        self.exp = ExpirationClaim(value: issuedAt.addingTimeInterval(lifetime))
        self.kind = kind.rawValue
        self.role = role
        self.teams = teams
        self.scope = scope
        self.sid = sessionID
    }

    public func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
        guard iss.value == Self.issuer else {
            throw JWTError.claimVerificationFailure(failedClaim: iss, reason: "unknown issuer")
        }
        guard Principal.Kind(rawValue: kind) != nil else {
            throw JWTError.generic(identifier: "kind", reason: "unknown principal kind")
        }
    }

    var principal: Principal {
        let kind = Principal.Kind(rawValue: kind) ?? .user
        return Principal(
            id: sub.value, kind: kind, credential: kind == .service ? .serviceToken : .accessToken,
            role: role, teams: teams, scopes: Set(scope), sessionID: sid
        )
    }
}
