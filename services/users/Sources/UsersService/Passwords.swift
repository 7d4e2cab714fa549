import HummingbirdBcrypt
import NIOPosix
import Platform

/// Password rules and hashing. bcrypt is deliberately slow (~0.1–0.2 s at cost 11 here), so it
/// runs on NIO's blocking pool, never on the cooperative pool that serves requests.
struct Passwords: Sendable {
    let cost: Int
    let pool: NIOThreadPool
    /// A hash of nothing anyone knows, checked when the email is unknown, so a wrong email
    /// costs what a wrong password does and response times do not reveal who has an account.
    let decoy: String

    static func make(cost: Int, pool: NIOThreadPool) async throws -> Passwords {
        let decoy = try await pool.runIfActive { Bcrypt.hash(Secrets.token(prefix: ""), cost: UInt8(cost)) }
        return Passwords(cost: cost, pool: pool, decoy: decoy)
    }

    /// The policy, in the order a person fixes it: 400 naming the rule broken.
    static func check(_ password: String, email: String) throws {
        guard password.count >= 10 else {
            throw APIError(
                .badRequest, code: "password_too_short", message: "a password has at least 10 characters",
                field: "password")
        }
        // bcrypt reads at most 72 bytes; a longer password would silently lose its tail.
        guard password.utf8.count <= 72 else {
            throw APIError(
                .badRequest, code: "password_too_long", message: "a password has at most 72 bytes (bcrypt's limit)",
                field: "password")
        }
        guard password.lowercased() != email.lowercased() else {
            throw APIError(
                .badRequest, code: "password_is_email", message: "a password must not be the email address",
                field: "password")
        }
    }

    func hash(_ password: String) async throws -> String {
        let cost = UInt8(cost)
        return try await pool.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    func verify(_ password: String, hash: String) async throws -> Bool {
        try await pool.runIfActive { Bcrypt.verify(password, hash: hash) }
    }
}
