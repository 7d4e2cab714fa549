import Auth
import Bus
import Crypto
import Foundation
import Outbox
import Platform
import Store

/// Users, login sessions and API tokens in the users store. Every change others care about is
/// written with its `mlex.users` event in one batch (docs/design.md §2).
struct UserDirectory: Sendable {
    static let topic = Topics.users
    let store: any DocumentStore

    // MARK: users

    func user(id: String) async throws -> User? {
        try await store.get(id, from: "users")?.decoded(as: User.self)
    }

    func user(email: String) async throws -> User? {
        try await store.find("users", Query(filter: ["email": .string(email.lowercased())], limit: 1)).first?.decoded(
            as: User.self)
    }

    func create(email: String, displayName: String, passwordHash: String, role: Role) async throws -> User {
        let now = Timestamp.now
        let user = User(
            id: ID.make(), email: email.lowercased(), displayName: displayName, passwordHash: passwordHash, role: role,
            disabled: false,
            createdAt: now, updatedAt: now
        )
        do {
            try await store.batch([
                .insert(try JSONValue(encoding: user), into: "users"), try event("user.created", user),
            ])
        } catch let error as StoreError where error.code == .duplicate {
            throw APIError.conflict("an account with this email exists", code: "email_taken", field: "email")
        }
        return user
    }

    /// Applies `change` to a user and records `verb` (e.g. `user.disabled`) with the result.
    func update(_ id: String, verb: String, _ change: (inout User) -> Void) async throws -> User {
        guard var user = try await user(id: id) else { throw APIError.notFound("no user \(id)") }
        change(&user)
        user.updatedAt = Timestamp.now
        var fields = try JSONValue(encoding: user)
        fields["id"] = nil
        try await store.batch([
            .update("users", filter: ["id": .string(id)], update: ["$set": fields], many: false),
            try event(verb, user),
        ])
        return user
    }

    func users(limit: Int, after: String?) async throws -> [User] {
        try await store.find("users", Query(limit: limit, after: after.map { ["id": .string($0)] })).map {
            try $0.decoded(as: User.self)
        }
    }

    func disabledUserIDs() async throws -> [String] {
        try await store.find("users", Query(filter: ["disabled": true])).compactMap { $0["id"]?.stringValue }
    }

    func hasAdministrator() async throws -> Bool {
        try await store.count("users", filter: ["role": .string(Role.admin.rawValue)]) > 0
    }

    // MARK: sessions (refresh-token families)

    /// Starts a session and returns its id and first refresh token.
    func startSession(userID: String, lifetime: TimeInterval) async throws -> (sessionID: String, refreshToken: String)
    {
        let token = Secrets.token(prefix: "mlr_")
        let expires = Date().addingTimeInterval(lifetime)
        let session = Session(
            id: ID.make(), userId: userID, createdAt: Timestamp.now, expiresAt: Timestamp.format(expires))
        try await store.batch([
            .insert(try JSONValue(encoding: session), into: "sessions"),
            .insert(
                try Self.refreshDocument(token, sessionID: session.id, userID: userID, expires: expires),
                into: "refresh_tokens"),
        ])
        return (session.id, token)
    }

    enum RefreshOutcome {
        case rotated(userID: String, sessionID: String, refreshToken: String)
        case refused(String)
    }

    /// Claims `token` (atomically: one use only) and issues its successor. A token used twice
    /// means it leaked: the whole session is revoked (OAuth 2.0 Security BCP, refresh rotation).
    func rotate(_ token: String, lifetime: TimeInterval) async throws -> RefreshOutcome {
        let hash = Secrets.hash(token)
        let now = Timestamp.now
        guard
            let claimed = try await store.findOneAndUpdate(
                "refresh_tokens", filter: ["id": .string(hash), "usedAt": ["$exists": false]], sort: [],
                update: ["$set": ["usedAt": .string(now)]])?
                .decoded(as: RefreshToken.self)
        else {
            if let reused = try await store.get(hash, from: "refresh_tokens")?.decoded(as: RefreshToken.self) {
                try await revokeSession(reused.sessionId)
                return .refused("this refresh token was already used; the session is revoked, log in again")
            }
            return .refused("the refresh token is unknown")
        }
        guard let session = try await store.get(claimed.sessionId, from: "sessions")?.decoded(as: Session.self),
            session.revokedAt == nil,
            let expires = Timestamp.parse(claimed.expiresAt), expires > Date()
        else { return .refused("the session has ended; log in again") }
        let next = Secrets.token(prefix: "mlr_")
        try await store.insert(
            try Self.refreshDocument(
                next, sessionID: session.id, userID: claimed.userId, expires: Date().addingTimeInterval(lifetime)),
            into: "refresh_tokens")
        return .rotated(userID: claimed.userId, sessionID: session.id, refreshToken: next)
    }

    func revokeSession(_ sessionID: String) async throws {
        try await store.update(
            "sessions", filter: ["id": .string(sessionID)], update: ["$set": ["revokedAt": .string(Timestamp.now)]],
            many: false)
    }

    func revokeSessions(of userID: String) async throws {
        try await store.update(
            "sessions", filter: ["userId": .string(userID), "revokedAt": ["$exists": false]],
            update: ["$set": ["revokedAt": .string(Timestamp.now)]], many: true)
    }

    private static func refreshDocument(
        _ token: String, sessionID: String, userID: String, expires: Date
    ) throws -> JSONValue {
        try JSONValue(
            encoding: RefreshToken(
                id: Secrets.hash(token), sessionId: sessionID, userId: userID, expiresAt: Timestamp.format(expires)))
    }

    // MARK: personal API tokens

    func createAPIToken(userID: String, name: String, expires: Date?) async throws -> (token: APIToken, secret: String)
    {
        let secret = Secrets.token(prefix: "mlx_")
        let token = APIToken(
            id: ID.make(), userId: userID, name: name, prefix: String(secret.prefix(12)), hash: Secrets.hash(secret),
            createdAt: Timestamp.now, expiresAt: expires.map(Timestamp.format)
        )
        try await store.insert(try JSONValue(encoding: token), into: "api_tokens")
        return (token, secret)
    }

    func apiTokens(of userID: String) async throws -> [APIToken] {
        try await store.find(
            "api_tokens",
            Query(
                filter: ["userId": .string(userID), "revokedAt": ["$exists": false]], sort: [.descending("createdAt")])
        )
        .map { try $0.decoded(as: APIToken.self) }
    }

    /// The live token with this secret, and marks it used (at most once a minute, to spare writes).
    func apiToken(secret: String) async throws -> APIToken? {
        guard
            let token = try await store.find(
                "api_tokens", Query(filter: ["hash": .string(Secrets.hash(secret))], limit: 1)
            ).first?.decoded(as: APIToken.self),
            token.revokedAt == nil
        else { return nil }
        if let expires = token.expiresAt.flatMap(Timestamp.parse), expires <= Date() { return nil }
        let lastUsed = token.lastUsedAt.flatMap(Timestamp.parse) ?? .distantPast
        if Date().timeIntervalSince(lastUsed) > 60 {
            try await store.update(
                "api_tokens", filter: ["id": .string(token.id)],
                update: ["$set": ["lastUsedAt": .string(Timestamp.now)]], many: false)
        }
        return token
    }

    /// Revokes one of `userID`'s tokens; false when it has no such live token.
    func revokeAPIToken(_ id: String, of userID: String) async throws -> Bool {
        guard let token = try await store.get(id, from: "api_tokens")?.decoded(as: APIToken.self),
            token.userId == userID, token.revokedAt == nil
        else { return false }
        try await store.batch([
            .update(
                "api_tokens", filter: ["id": .string(id)], update: ["$set": ["revokedAt": .string(Timestamp.now)]],
                many: false),
            Outbox.write(
                CloudEvent(
                    source: "/mlex/users", type: "mlex.users.token.revoked", subject: id,
                    data: ["id": .string(id), "userId": .string(userID)]), to: Self.topic),
        ])
        return true
    }

    private func event(_ verb: String, _ user: User) throws -> WriteOperation {
        Outbox.write(
            CloudEvent(
                source: "/mlex/users", type: "mlex.users.\(verb)", subject: user.id,
                data: try JSONValue(encoding: user.profile)), to: Self.topic)
    }
}

/// Opaque secrets (refresh and API tokens): 32 random bytes, base64url; stored only as SHA-256.
enum Secrets {
    static func token(prefix: String) -> String {
        prefix + Base64URL.randomToken()
    }

    static func hash(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
