import Platform

/// Who is asking: what every handler behind `AuthMiddleware` can rely on.
public struct Principal: Sendable, Hashable {
    public enum Kind: String, Sendable, Codable {
        /// A person, signed in or using one of their personal API tokens.
        case user
        /// A service acting on no user's behalf (event handling, scheduled work).
        case service
    }

    /// How the caller proved it.
    public enum Credential: String, Sendable, Codable {
        case accessToken = "access_token"
        case apiToken = "api_token"
        case serviceToken = "service_token"
    }

    /// The user's id, or the service's name.
    public let id: String
    public let kind: Kind
    public let credential: Credential
    /// `admin` for administrators; `user` otherwise.
    public let role: String
    /// Team ids the user belongs to, for project roles granted to teams.
    public let teams: [String]
    /// What a service token may do (`projects.read`, …); empty for users.
    public let scopes: Set<String>
    /// The login session an access token belongs to (for logout).
    public let sessionID: String?
    /// The id of the personal API token the caller presented, for the audit log.
    public let apiTokenID: String?

    public init(
        id: String, kind: Kind, credential: Credential, role: String = "user", teams: [String] = [],
        scopes: Set<String> = [], sessionID: String? = nil, apiTokenID: String? = nil
    ) {
        self.id = id
        self.kind = kind
        self.credential = credential
        self.role = role
        self.teams = teams
        self.scopes = scopes
        self.sessionID = sessionID
        self.apiTokenID = apiTokenID
    }

    /// What the caller proved itself with, as the audit log names it: the API token's id, or
    /// the login session's; nil for service tokens (the service's name says it all).
    public var tokenID: String? { apiTokenID ?? sessionID }

    /// The same principal, naming the API token it came with.
    func presenting(apiToken id: String) -> Principal {
        Principal(
            id: self.id, kind: kind, credential: credential, role: role, teams: teams, scopes: scopes,
            sessionID: sessionID, apiTokenID: id)
    }

    public var isAdmin: Bool { kind == .user && role == "admin" }

    /// Throws 403 unless the caller is an administrator.
    public func requireAdmin() throws {
        guard isAdmin else { throw APIError.forbidden("this needs an administrator") }
    }
}
