import Foundation
import Platform

/// What an account may do: a user works in the projects it is a member of; an administrator
/// manages accounts and sees every project.
enum Role: String, Codable, Sendable, CaseIterable {
    case user, admin
}

/// An account as the store keeps it: its profile and the bcrypt hash of its password, which
/// never leaves the service (`profile` is what others see).
struct User: Codable, Sendable {
    let id: String
    /// Lowercased, unique.
    let email: String
    var displayName: String
    var passwordHash: String
    var role: Role
    var disabled: Bool
    let createdAt: String
    var updatedAt: String

    /// The account as the API and `mlex.users.user.*` events show it.
    var profile: UserProfile {
        UserProfile(
            id: id, email: email, displayName: displayName, role: role, disabled: disabled, createdAt: createdAt,
            updatedAt: updatedAt)
    }
}

/// An account without its password hash: what answers and events carry.
struct UserProfile: Codable, Sendable {
    let id: String
    let email: String
    let displayName: String
    let role: Role
    let disabled: Bool
    let createdAt: String
    let updatedAt: String
}

/// `POST /v1/users`, checked as it is decoded, in the order a person fixes it: the email
/// (lowercased), the display name (trimmed), then the password policy.
struct Registration: Sendable {
    let email: String
    let password: String
    let displayName: String
}

extension Registration: Decodable {
    private struct Body: Decodable {
        let email: String
        let password: String
        let displayName: String
    }

    init(from decoder: any Decoder) throws {
        let body = try Body(from: decoder)
        let email = try Self.checkEmail(body.email)
        let name = body.displayName.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...200).contains(name.count) else {
            throw APIError.invalidField("displayName", "a display name has 1–200 characters")
        }
        try Passwords.check(body.password, email: email)
        self.init(email: email, password: body.password, displayName: name)
    }

    /// A usable address, lowercased: one `@`, a dotted domain, no spaces, at most 254 bytes.
    static func checkEmail(_ text: String) throws -> String {
        let email = text.trimmingCharacters(in: .whitespaces).lowercased()
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        let valid =
            email.utf8.count <= 254 && parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".")
            && !parts[1].hasPrefix(".") && !parts[1].hasSuffix(".")
            && !email.contains(where: { $0.isWhitespace || $0.isNewline })
        guard valid else {
            throw APIError(.badRequest, code: "invalid_email", message: "not an email address", field: "email")
        }
        return email
    }
}

/// `PATCH /v1/users/{id}` (administrators): disable or enable the account, change its role, or
/// both; at least one.
struct AccountChange: Sendable {
    let disabled: Bool?
    let role: Role?
}

extension AccountChange: Decodable {
    private struct Body: Decodable {
        let disabled: Bool?
        let role: String?
    }

    init(from decoder: any Decoder) throws {
        let body = try Body(from: decoder)
        let role = try body.role.map { text in
            guard let role = Role(rawValue: text) else { throw APIError.invalidField("role", "role is user or admin") }
            return role
        }
        guard body.disabled != nil || role != nil else {
            throw APIError.badRequest("give disabled and/or role", code: "empty_change")
        }
        self.init(disabled: body.disabled, role: role)
    }
}
