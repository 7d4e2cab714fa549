import Foundation
import Platform

/// A login session (`sessions`): one refresh-token family. Revoking it ends every refresh
/// token of the family; access tokens carry its id so logout can name it.
struct Session: Codable, Sendable {
    let id: String
    let userId: String
    let createdAt: String
    let expiresAt: String
    var revokedAt: String?
}

/// One refresh token of a session (`refresh_tokens`), kept only as the SHA-256 of its secret
/// (the id). Used once: `usedAt` is set as it is exchanged for the next.
struct RefreshToken: Codable, Sendable {
    let id: String
    let sessionId: String
    let userId: String
    let expiresAt: String
    var usedAt: String?
}

/// `POST /v1/sessions`: an email (matched lowercased) and a password.
struct Login: Sendable {
    let email: String
    let password: String
}

extension Login: Decodable {
    private struct Body: Decodable {
        let email: String
        let password: String
    }

    init(from decoder: any Decoder) throws {
        let body = try Body(from: decoder)
        self.init(email: body.email.lowercased(), password: body.password)
    }
}

/// `POST /v1/sessions/refresh`.
struct RefreshRequest: Decodable, Sendable {
    let refreshToken: String
}

/// What login and refresh answer: a signed access token, the session's next refresh token and
/// the account.
struct TokenPair: Encodable, Sendable {
    let accessToken: String
    let tokenType = "Bearer"
    /// Seconds the access token lives.
    let expiresIn: Int64
    let refreshToken: String
    let user: UserProfile
}
