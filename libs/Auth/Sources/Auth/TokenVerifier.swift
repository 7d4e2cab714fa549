import Foundation
import JWTKit
import Platform
import Synchronization

/// Turns a bearer token into a `Principal`, locally:
/// - access and service tokens (JWTs) are verified with the users service's public keys and
///   then cached until they expire, since one Ed25519 verification costs ~100 µs;
/// - personal API tokens (`mlx_…`) are looked up through `apiTokens` (the users service's own
///   repository there, an HTTP call elsewhere) and cached briefly, so a revocation is honoured
///   within `apiTokenCacheSeconds` even if the `token.revoked` event is missed.
public final class TokenVerifier: Sendable {
    public struct VerifiedAPIToken: Sendable {
        public let principal: Principal
        public let tokenID: String
        public let expiresAt: Date?

        public init(principal: Principal, tokenID: String, expiresAt: Date?) {
            self.principal = principal
            self.tokenID = tokenID
            self.expiresAt = expiresAt
        }
    }

    public typealias APITokenLookup = @Sendable (String) async throws -> VerifiedAPIToken?
    public typealias KeySource = @Sendable () async throws -> String

    public static let apiTokenPrefix = "mlx_"

    private struct Entry {
        let principal: Principal
        let validUntil: Date
        let apiTokenID: String?
        /// When the users service signed it (JWTs only), to honour later account changes.
        let issuedAt: Date?
    }

    private let keys: Mutex<JWTKeyCollection>
    /// The kids in `keys`: JWTKeyCollection falls back to a default key for an unknown kid, so
    /// we check the header ourselves to know when to fetch the keys again and never to guess.
    private let knownKIDs = Mutex<Set<String>>([])
    private let keySource: KeySource?
    private let apiTokens: APITokenLookup
    private let apiTokenCacheSeconds: TimeInterval
    private let cache = Mutex<[String: Entry]>([:])
    private let lastKeyRefresh = Mutex<Date>(.distantPast)
    /// Users whose tokens are refused although validly signed (disabled since they were issued).
    private let disabledUsers = Mutex<Set<String>>([])
    /// Users whose role or teams shrank: their JWTs signed before then carry stale claims and are
    /// refused (401) so the client refreshes and gets current ones. Kept a day, the longest an
    /// access token may live.
    private let changedUsers = Mutex<[String: Date]>([:])
    private let maxCachedTokens: Int

    /// `keySource` returns the JWKS document; it is read again when a token names a key not
    /// yet known (keys rotate), at most every few seconds.
    public init(
        keySource: KeySource?, apiTokens: @escaping APITokenLookup, apiTokenCacheSeconds: TimeInterval = 10,
        maxCachedTokens: Int = 50_000
    ) {
        self.keys = Mutex(JWTKeyCollection())
        self.keySource = keySource
        self.apiTokens = apiTokens
        self.apiTokenCacheSeconds = apiTokenCacheSeconds
        self.maxCachedTokens = maxCachedTokens
    }

    /// Replaces the known public keys with those of a JWKS document.
    public func load(jwks: String) async throws {
        let collection = JWTKeyCollection()
        try await collection.add(jwksJSON: jwks)
        let kids = try JSONValue.parse(jwks)["keys"]?.arrayValue?.compactMap { $0["kid"]?.stringValue } ?? []
        keys.withLock { $0 = collection }
        knownKIDs.withLock { $0 = Set(kids) }
    }

    /// Fetches the keys from `keySource` now.
    public func refreshKeys() async throws {
        guard let keySource else { return }
        lastKeyRefresh.withLock { $0 = Date() }
        try await load(jwks: try await keySource())
    }

    public func authenticate(_ token: String) async throws -> Principal {
        let principal = try await principal(for: token)
        if principal.kind == .user, disabledUsers.withLock({ $0.contains(principal.id) }) {
            throw APIError.unauthorized("this account is disabled")
        }
        return principal
    }

    /// Marks a user disabled or enabled (from the users store at start, then `user.disabled`
    /// and `user.enabled` events): a disabled user's live tokens stop working at once.
    public func setDisabled(_ userID: String, _ disabled: Bool) {
        disabledUsers.withLock { set in
            if disabled { set.insert(userID) } else { set.remove(userID) }
        }
    }

    /// Refuses `userID`'s JWTs signed before `time` and drops its cached API tokens: its role
    /// was lowered or it left a team (`user.role.changed`, `team.member.removed`).
    public func claimsChanged(for userID: String, at time: Date = Date()) {
        changedUsers.withLock { table in
            table[userID] = max(table[userID] ?? .distantPast, time)
            if table.count > 10_000 {
                let dayAgo = Date().addingTimeInterval(-86_400)
                table = table.filter { $0.value > dayAgo }
            }
        }
        forget(userID: userID)
    }

    private func principal(for token: String) async throws -> Principal {
        let now = Date()
        if let entry = cache.withLock({ $0[token] }), entry.validUntil > now {
            try refuseIfStale(entry)
            return entry.principal
        }
        if token.hasPrefix(Self.apiTokenPrefix) {
            guard let verified = try await apiTokens(token) else {
                throw APIError.unauthorized("the API token is unknown, expired or revoked")
            }
            let until = min(now.addingTimeInterval(apiTokenCacheSeconds), verified.expiresAt ?? .distantFuture)
            let principal = verified.principal.presenting(apiToken: verified.tokenID)
            remember(token, Entry(principal: principal, validUntil: until, apiTokenID: verified.tokenID, issuedAt: nil))
            return principal
        }
        let claims = try await verifyJWT(token)
        let entry = Entry(
            principal: claims.principal, validUntil: claims.exp.value, apiTokenID: nil, issuedAt: claims.iat.value)
        try refuseIfStale(entry)
        remember(token, entry)
        return claims.principal
    }

    private func refuseIfStale(_ entry: Entry) throws {
        guard let issuedAt = entry.issuedAt, let changed = changedUsers.withLock({ $0[entry.principal.id] }) else {
            return
        }
        // jwt-kit writes `iat` as fractional seconds, so a token refreshed just after the
        // change is told apart from one signed just before it.
        if issuedAt < changed {
            throw APIError.unauthorized("your account's roles or teams changed since this token was issued; refresh it")
        }
    }

    /// Drops a revoked API token from the cache at once (on `mlex.users` `token.revoked`).
    public func forgetAPIToken(id: String) {
        cache.withLock { entries in entries = entries.filter { $0.value.apiTokenID != id } }
    }

    /// Drops every cached token of a user (disabled, role changed).
    public func forget(userID: String) {
        cache.withLock { entries in entries = entries.filter { $0.value.principal.id != userID } }
    }

    private func verifyJWT(_ token: String) async throws -> AccessClaims {
        guard let kid = Self.keyID(of: token) else { throw APIError.unauthorized("the token is not valid") }
        if !knownKIDs.withLock({ $0.contains(kid) }) {
            // A key we have not seen: the users service may have rotated. Ask again, rarely.
            let due = lastKeyRefresh.withLock { last in Date().timeIntervalSince(last) > 5 }
            if due { try? await refreshKeys() }
            guard knownKIDs.withLock({ $0.contains(kid) }) else {
                throw APIError.unauthorized("the token is signed with an unknown key")
            }
        }
        do {
            return try await keys.withLock { $0 }.verify(token, as: AccessClaims.self)
        } catch {
            throw Self.refusal(error)
        }
    }

    /// The `kid` of a JWS compact token's protected header, without verifying anything.
    static func keyID(of token: String) -> String? {
        guard let headerPart = token.split(separator: ".", omittingEmptySubsequences: false).first,
            let data = Base64URL.decode(headerPart),
            let header = try? JSONValue.parse(String(decoding: data, as: UTF8.self))
        else { return nil }
        return header["kid"]?.stringValue
    }

    private static func refusal(_ error: any Error) -> APIError {
        if let jwt = error as? JWTError, jwt.errorType == .claimVerificationFailure, jwt.failedClaim is ExpirationClaim
        {
            return .unauthorized("the access token has expired; refresh it")
        }
        return .unauthorized("the token is not valid")
    }

    private func remember(_ token: String, _ entry: Entry) {
        cache.withLock { entries in
            if entries.count >= maxCachedTokens {
                let now = Date()
                entries = entries.filter { $0.value.validUntil > now }
                if entries.count >= maxCachedTokens { entries.removeAll(keepingCapacity: true) }
            }
            entries[token] = entry
        }
    }
}
