import Foundation
import Platform
import Testing

@testable import UsersService

/// The records keep the JSON the users service has always stored, answered and announced: a
/// document read into its record and written back is the same document.
@Suite("users: records")
struct RecordShapeTests {
    static let (user, team) = ("01900000-0000-7000-8000-000000000001", "01900000-0000-7000-8000-000000000002")

    @Test("an account's profile is its document without the password hash")
    func user() throws {
        let stored: JSONValue = [
            "id": .string(Self.user), "email": "ada@lab.example", "displayName": "Ada", "passwordHash": "$2b$11$x",
            "role": "admin",
            "disabled": false, "createdAt": "2026-01-01T00:00:00.000Z", "updatedAt": "2026-01-02T00:00:00.000Z",
        ]
        let user = try stored.decoded(as: User.self)
        #expect(try JSONValue(encoding: user) == stored)
        var profile = stored
        profile["passwordHash"] = nil
        #expect(try JSONValue(encoding: user.profile) == profile)
    }

    @Test("teams keep nameKey in the store only; memberships keep their id in the store and events only")
    func teams() throws {
        let stored: JSONValue = [
            "id": .string(Self.team), "name": "Optics", "nameKey": "optics", "description": "",
            "createdBy": .string(Self.user),
            "createdAt": "2026-01-01T00:00:00.000Z", "updatedAt": "2026-01-01T00:00:00.000Z",
        ]
        #expect(try stored.decoded(as: Team.self).document() == stored)
        let membership: JSONValue = [
            "id": .string("\(Self.team):\(Self.user)"), "teamId": .string(Self.team), "userId": .string(Self.user),
            "role": "maintainer",
            "addedBy": .string(Self.user), "addedAt": "2026-01-01T00:00:00.000Z",
        ]
        let decoded = try membership.decoded(as: TeamMembership.self)
        #expect(try JSONValue(encoding: decoded) == membership)
        var member = membership
        member["id"] = nil
        #expect(try JSONValue(encoding: decoded.member) == member)
    }

    @Test(
        "an API token is listed without its hash and user; sessions and refresh tokens keep their optional times absent"
    )
    func tokens() throws {
        let stored: JSONValue = [
            "id": .string(Self.team), "userId": .string(Self.user), "name": "ci", "prefix": "mlx_abcdefgh",
            "hash": "00ff",
            "createdAt": "2026-01-01T00:00:00.000Z", "expiresAt": "2026-02-01T00:00:00.000Z",
        ]
        let token = try stored.decoded(as: APIToken.self)
        #expect(try JSONValue(encoding: token) == stored)
        var listed = stored
        listed["hash"] = nil
        listed["userId"] = nil
        #expect(try JSONValue(encoding: token.summary) == listed)
        let session: JSONValue = [
            "id": .string(Self.team), "userId": .string(Self.user), "createdAt": "2026-01-01T00:00:00.000Z",
            "expiresAt": "2026-01-31T00:00:00.000Z",
        ]
        #expect(try JSONValue(encoding: session.decoded(as: Session.self)) == session)
        let refresh: JSONValue = [
            "id": "00ff", "sessionId": .string(Self.team), "userId": .string(Self.user),
            "expiresAt": "2026-01-31T00:00:00.000Z",
        ]
        #expect(try JSONValue(encoding: refresh.decoded(as: RefreshToken.self)) == refresh)
    }

    @Test("request types normalise what they keep and name the field at fault")
    func requests() throws {
        let registration = try decode(
            Registration.self,
            #"{"email": " Ada@Lab.Example", "password": "long enough pass", "displayName": "  Ada "}"#)
        #expect(registration.email == "ada@lab.example" && registration.displayName == "Ada")
        #expect(try decode(TeamCreation.self, #"{"name": " Optics "}"#).description == "")
        for (type, body, field) in [
            (
                Registration.self as any Decodable.Type,
                #"{"email": "a@lab.example", "password": "long enough pass", "displayName": " "}"#, "displayName"
            ),
            (AccountChange.self, #"{"role": "root"}"#, "role"),
            (ServiceLogin.self, #"{"service": "web", "credential": "x"}"#, "service"),
            (TeamCreation.self, #"{"name": ""}"#, "name"),
            (APITokenCreation.self, #"{"name": "ci", "expiresInDays": 0}"#, "expiresInDays"),
        ] {
            do {
                _ = try decode(type, body)
                Issue.record("\(type) accepted \(body)")
            } catch let error as APIError {
                #expect(error.field == field, "\(type) \(body) → \(error)")
            }
        }
    }

    private func decode<Value: Decodable>(_ type: Value.Type, _ body: String) throws -> Value {
        try JSONDecoder().decode(type, from: Data(body.utf8))
    }
}
