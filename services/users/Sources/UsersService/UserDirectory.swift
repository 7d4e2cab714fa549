import Auth
import Bus
import Crypto
import Foundation
import Outbox
import Platform
import Store

/// Users, login sessions and API tokens in the users store. Every change others care about is
/// written with its `mlex.users` event in one batch (DESIGN.md §2).
struct UserDirectory: Sendable {
    static let topic = Topics.users
    let store: any DocumentStore

    // MARK: users

    func user(id: String) async throws -> JSONValue? {
        try await store.get(id, from: "users")
    }

    func user(email: String) async throws -> JSONValue? {
        try await store.find("users", Query(filter: ["email": .string(email.lowercased())], limit: 1)).first
    }

    func create(email: String, displayName: String, passwordHash: String, role: String) async throws -> JSONValue {
        let now = Timestamp.now
        let user: JSONValue = [
            "id": .string(ID.make()), "email": .string(email.lowercased()), "displayName": .string(displayName),
            "passwordHash": .string(passwordHash), "role": .string(role), "disabled": false,
            "createdAt": .string(now), "updatedAt": .string(now),
        ]
        do {
            try await store.batch([.insert(user, into: "users"), event("user.created", user)])
        } catch let error as StoreError where error.code == .duplicate {
            throw APIError.conflict("an account with this email exists", code: "email_taken", field: "email")
        }
        return user
    }

    /// Applies `$set` changes to a user and records `verb` (e.g. `user.disabled`) with the result.
    func update(_ id: String, set changes: [String: JSONValue], verb: String) async throws -> JSONValue {
        guard var user = try await user(id: id)?.objectValue else { throw APIError.notFound("no user \(id)") }
        for (key, value) in changes { user[key] = value }
        user["updatedAt"] = .string(Timestamp.now)
        try await store.batch([
            .update("users", filter: ["id": .string(id)], update: ["$set": .object(user.filter { $0.key != "id" })], many: false),
            event(verb, .object(user)),
        ])
        return .object(user)
    }

    func users(limit: Int, after: String?) async throws -> [JSONValue] {
        try await store.find("users", Query(limit: limit, after: after.map { ["id": .string($0)] }))
    }

    func disabledUserIDs() async throws -> [String] {
        try await store.find("users", Query(filter: ["disabled": true])).compactMap { $0["id"]?.stringValue }
    }

    func hasAdministrator() async throws -> Bool {
        try await store.count("users", filter: ["role": "admin"]) > 0
    }

    // MARK: sessions (refresh-token families)

    /// Starts a session and returns its id and first refresh token.
    func startSession(userID: String, lifetime: TimeInterval) async throws -> (sessionID: String, refreshToken: String) {
        let sessionID = ID.make()
        let token = Secrets.token(prefix: "mlr_")
        let expires = Date().addingTimeInterval(lifetime)
        try await store.batch([
            .insert(["id": .string(sessionID), "userId": .string(userID), "createdAt": .string(Timestamp.now), "expiresAt": .string(Timestamp.format(expires))], into: "sessions"),
            .insert(refreshDocument(token, sessionID: sessionID, userID: userID, expires: expires), into: "refresh_tokens"),
        ])
        return (sessionID, token)
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
        guard let claimed = try await store.findOneAndUpdate("refresh_tokens", filter: ["id": .string(hash), "usedAt": ["$exists": false]], sort: [], update: ["$set": ["usedAt": .string(now)]]) else {
            if let reused = try await store.get(hash, from: "refresh_tokens"), let sessionID = reused["sessionId"]?.stringValue {
                try await revokeSession(sessionID)
                return .refused("this refresh token was already used; the session is revoked, log in again")
            }
            return .refused("the refresh token is unknown")
        }
        guard let sessionID = claimed["sessionId"]?.stringValue, let userID = claimed["userId"]?.stringValue,
              let session = try await store.get(sessionID, from: "sessions"), session["revokedAt"] == nil,
              let expires = claimed["expiresAt"]?.stringValue.flatMap(Timestamp.parse), expires > Date()
        else { return .refused("the session has ended; log in again") }
        let next = Secrets.token(prefix: "mlr_")
        try await store.insert(refreshDocument(next, sessionID: sessionID, userID: userID, expires: Date().addingTimeInterval(lifetime)), into: "refresh_tokens")
        return .rotated(userID: userID, sessionID: sessionID, refreshToken: next)
    }

    func revokeSession(_ sessionID: String) async throws {
        try await store.update("sessions", filter: ["id": .string(sessionID)], update: ["$set": ["revokedAt": .string(Timestamp.now)]], many: false)
    }

    func revokeSessions(of userID: String) async throws {
        try await store.update("sessions", filter: ["userId": .string(userID), "revokedAt": ["$exists": false]], update: ["$set": ["revokedAt": .string(Timestamp.now)]], many: true)
    }

    private func refreshDocument(_ token: String, sessionID: String, userID: String, expires: Date) -> JSONValue {
        ["id": .string(Secrets.hash(token)), "sessionId": .string(sessionID), "userId": .string(userID), "expiresAt": .string(Timestamp.format(expires))]
    }

    // MARK: personal API tokens

    func createAPIToken(userID: String, name: String, expires: Date?) async throws -> (document: JSONValue, token: String) {
        let token = Secrets.token(prefix: "mlx_")
        var document: [String: JSONValue] = [
            "id": .string(ID.make()), "userId": .string(userID), "name": .string(name), "prefix": .string(String(token.prefix(12))),
            "hash": .string(Secrets.hash(token)), "createdAt": .string(Timestamp.now),
        ]
        if let expires { document["expiresAt"] = .string(Timestamp.format(expires)) }
        try await store.insert(.object(document), into: "api_tokens")
        return (.object(document), token)
    }

    func apiTokens(of userID: String) async throws -> [JSONValue] {
        try await store.find("api_tokens", Query(filter: ["userId": .string(userID), "revokedAt": ["$exists": false]], sort: [.descending("createdAt")]))
    }

    /// The live token with this secret, and marks it used (at most once a minute, to spare writes).
    func apiToken(secret: String) async throws -> JSONValue? {
        guard let token = try await store.find("api_tokens", Query(filter: ["hash": .string(Secrets.hash(secret))], limit: 1)).first,
              token["revokedAt"] == nil
        else { return nil }
        if let expires = token["expiresAt"]?.stringValue.flatMap(Timestamp.parse), expires <= Date() { return nil }
        let lastUsed = token["lastUsedAt"]?.stringValue.flatMap(Timestamp.parse) ?? .distantPast
        if Date().timeIntervalSince(lastUsed) > 60, let id = token["id"] {
            try await store.update("api_tokens", filter: ["id": id], update: ["$set": ["lastUsedAt": .string(Timestamp.now)]], many: false)
        }
        return token
    }

    /// Revokes one of `userID`'s tokens; false when it has no such live token.
    func revokeAPIToken(_ id: String, of userID: String) async throws -> Bool {
        guard let token = try await store.get(id, from: "api_tokens"), token["userId"]?.stringValue == userID, token["revokedAt"] == nil else { return false }
        try await store.batch([
            .update("api_tokens", filter: ["id": .string(id)], update: ["$set": ["revokedAt": .string(Timestamp.now)]], many: false),
            Outbox.write(CloudEvent(source: "/mlex/users", type: "mlex.users.token.revoked", subject: id, data: ["id": .string(id), "userId": .string(userID)]), to: Self.topic),
        ])
        return true
    }

    private func event(_ verb: String, _ user: JSONValue) -> WriteOperation {
        let subject = user["id"]?.stringValue ?? ""
        return Outbox.write(CloudEvent(source: "/mlex/users", type: "mlex.users.\(verb)", subject: subject, data: UserView.public(user)), to: Self.topic)
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

/// What a user looks like outside the store: never the password hash.
enum UserView {
    static func `public`(_ user: JSONValue) -> JSONValue {
        guard case .object(var members) = user else { return user }
        members.removeValue(forKey: "passwordHash")
        return .object(members)
    }
}
