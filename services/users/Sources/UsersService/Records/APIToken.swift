import Foundation
import Platform

/// A personal API token (`api_tokens`) as the store keeps it: the SHA-256 of its secret (the
/// secret itself is shown once, at creation), and the first characters to recognise it by.
struct APIToken: Codable, Sendable {
    let id: String
    let userId: String
    let name: String
    /// `mlx_` and the secret's first characters.
    let prefix: String
    let hash: String
    let createdAt: String
    var expiresAt: String?
    var lastUsedAt: String?
    var revokedAt: String?

    /// The token as its owner sees it listed: never the hash, nor (their own) user id.
    var summary: APITokenSummary {
        APITokenSummary(
            id: id, name: name, prefix: prefix, createdAt: createdAt, expiresAt: expiresAt, lastUsedAt: lastUsedAt,
            revokedAt: revokedAt)
    }
}

struct APITokenSummary: Codable, Sendable {
    let id: String
    let name: String
    let prefix: String
    let createdAt: String
    let expiresAt: String?
    let lastUsedAt: String?
    let revokedAt: String?
}

/// `POST /v1/tokens`: a name (trimmed, 1–100 characters) and, optionally, a lifetime in days.
struct APITokenCreation: Sendable {
    let name: String
    let expiresInDays: Int?

    /// When a token made now expires; nil for never.
    var expires: Date? {
        expiresInDays.map { Date().addingTimeInterval(TimeInterval($0) * 86400) }
    }
}

extension APITokenCreation: Decodable {
    private struct Body: Decodable {
        let name: String
        let expiresInDays: Int?
    }

    init(from decoder: any Decoder) throws {
        let body = try Body(from: decoder)
        let name = body.name.trimmingCharacters(in: .whitespaces)
        guard (1...100).contains(name.count) else {
            throw APIError.invalidField("name", "a token name has 1–100 characters")
        }
        if let days = body.expiresInDays, !(1...3650).contains(days) {
            throw APIError.invalidField("expiresInDays", "expiresInDays is from 1 to 3650")
        }
        self.init(name: name, expiresInDays: body.expiresInDays)
    }
}

/// What creating a token answers: its secret, this once, and the token.
struct CreatedAPIToken: Encodable, Sendable {
    let token: String
    let apiToken: APITokenSummary
}

/// `GET /v1/tokens/current`: the API token a request was made with and its owner, as other
/// services check a token.
struct CurrentAPIToken: Encodable, Sendable {
    let id: String
    let userId: String
    let role: String
    let teams: [String]
    let expiresAt: String?
}
