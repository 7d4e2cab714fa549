import Foundation

/// The browser's session: the users service's access and refresh tokens, kept in HttpOnly,
/// SameSite=Strict cookies so page scripts never see them and other sites never send them.
/// The gateway holds no session state of its own, so it can restart without signing anyone out.
enum SessionCookies {
    static let access = "mlex_access"
    static let refresh = "mlex_refresh"
    /// How long the browser keeps the cookies: the users service's default refresh lifetime.
    /// A refresh token that dies sooner just makes the next request a 401 and the page a sign-in.
    static let lifetimeSeconds = 30 * 24 * 3600

    struct Tokens: Sendable, Equatable {
        var access: String?
        var refresh: String?
        var isEmpty: Bool { access == nil && refresh == nil }
    }

    /// The session tokens among the request's `Cookie` headers.
    static func tokens(cookieHeaders: [String]) -> Tokens {
        var tokens = Tokens()
        for (name, value) in pairs(cookieHeaders) {
            if name == access { tokens.access = value }
            if name == refresh { tokens.refresh = value }
        }
        return tokens
    }

    /// `Set-Cookie` values that store a new session; `secure` when the page was served over
    /// HTTPS, so the browser never sends the session over plain HTTP.
    static func store(access accessToken: String, refresh refreshToken: String, secure: Bool = false) -> [String] {
        [
            cookie(access, accessToken, maxAge: lifetimeSeconds, secure: secure),
            cookie(refresh, refreshToken, maxAge: lifetimeSeconds, secure: secure),
        ]
    }

    /// `Set-Cookie` values that end the session in the browser.
    static func clear(secure: Bool = false) -> [String] {
        [cookie(access, "", maxAge: 0, secure: secure), cookie(refresh, "", maxAge: 0, secure: secure)]
    }

    /// Whether the browser reached the gateway over HTTPS: through a TLS-terminating proxy that
    /// says so (`X-Forwarded-Proto: https`), or as its https `Origin` shows. Trusting either only
    /// ever makes the cookie stricter.
    static func overTLS(forwardedProto: String?, origin: String?) -> Bool {
        let proto = forwardedProto?.split(separator: ",").first?.trimmingCharacters(in: .whitespaces).lowercased()
        return proto == "https" || (origin?.lowercased().hasPrefix("https://") ?? false)
    }

    /// The `Cookie` header an upstream gets: the session's tokens removed (the upstream gets
    /// `Authorization` instead, and has no business logging them); nil when nothing is left.
    static func withoutSession(cookieHeaders: [String]) -> String? {
        let kept = pairs(cookieHeaders).filter { $0.name != access && $0.name != refresh }
        return kept.isEmpty ? nil : kept.map { "\($0.name)=\($0.value)" }.joined(separator: "; ")
    }

    private static func cookie(_ name: String, _ value: String, maxAge: Int, secure: Bool) -> String {
        "\(name)=\(value); Path=/; Max-Age=\(maxAge); HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "")
    }

    private static func pairs(_ headers: [String]) -> [(name: String, value: String)] {
        headers.flatMap { $0.split(separator: ";") }.compactMap { part in
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            guard let equals = trimmed.firstIndex(of: "=") else { return nil }
            return (String(trimmed[..<equals]), String(trimmed[trimmed.index(after: equals)...]))
        }
    }
}

/// When an access token expires, read from its own `exp` claim. The gateway does not verify
/// the signature: the services do that on every request; this only decides when to refresh.
enum AccessTokenExpiry {
    static func expiry(of token: String) -> Date? {
        let parts = token.split(separator: ".")
        guard parts.count == 3 else { return nil }
        var base64 = parts[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64),
            let claims = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let exp = claims["exp"] as? NSNumber
        else { return nil }
        return Date(timeIntervalSince1970: exp.doubleValue)
    }

    /// Whether the token should be refreshed before use: it expires within `margin` seconds
    /// (a request that crosses the network and waits in a queue must still find it valid).
    static func needsRefresh(_ token: String, now: Date = Date(), margin: TimeInterval = 20) -> Bool {
        guard let expiry = expiry(of: token) else { return true }
        return expiry.timeIntervalSince(now) < margin
    }
}
