import DataService
import Foundation
import Hummingbird
import HummingbirdTesting
import Platform
import PlatformTesting
import Testing

@Suite("data: projects, members and authorisation")
struct ProjectTests {
    @Test("the creator owns a project; outsiders get 404 and never see it listed")
    func ownership() async throws {
        let (owner, outsider) = (try await newUser("owner"), try await newUser("outsider"))
        try await dataApp().test(.router) { client in
            let (project, _) = try await client.projectAndExperiment(owner.token)
            let seen = try await client.call(.get, "/v1/projects/\(project)", token: owner.token)
            #expect(seen.body["yourRole"] == "owner")
            #expect(seen.body["createdBy"]?.text == owner.id)
            #expect(try await client.call(.get, "/v1/projects/\(project)", token: outsider.token).status == .notFound)
            #expect(
                try await client.call(
                    .post, "/v1/projects/\(project)/experiments", token: outsider.token, json: #"{"name": "x"}"#
                ).status == .notFound)
            #expect(try await client.call(.get, "/v1/projects", token: outsider.token).body["items"] == [])
            #expect(
                try await client.call(.get, "/v1/projects", token: owner.token).body["items"]?.arrayValue?.count == 1)
            #expect(try await client.call(.get, "/v1/projects/not-an-id", token: owner.token).status == .notFound)
            #expect(try await client.call(.get, "/v1/projects/\(project)").status == .unauthorized)
        }
    }

    @Test("viewers read but cannot write, editors write but cannot manage members, owners manage")
    func roles() async throws {
        let (owner, viewer, editor) = (
            try await newUser("owner"), try await newUser("viewer"), try await newUser("editor")
        )
        try await dataApp().test(.router) { client in
            let (project, experiment) = try await client.projectAndExperiment(owner.token)
            let granted = try await client.call(
                .put, "/v1/projects/\(project)/members/user/\(viewer.id)", token: owner.token,
                json: #"{"role": "viewer"}"#)
            #expect(granted.status == .created, "\(granted.body)")
            #expect(
                try await client.call(
                    .put, "/v1/projects/\(project)/members/user/\(editor.id)", token: owner.token,
                    json: #"{"role": "editor"}"#
                ).status == .created)
            let run = try await client.newRun(owner.token, experiment: experiment)

            #expect(try await client.call(.get, "/v1/runs/\(run)", token: viewer.token).status == .ok)
            #expect(
                try await client.call(.get, "/v1/projects/\(project)/experiments", token: viewer.token).body["items"]?
                    .arrayValue?.count == 1)
            for (method, path, json) in [
                (HTTPRequest.Method.post, "/v1/experiments/\(experiment)/runs", "{}"),
                (.patch, "/v1/runs/\(run)", #"{"name": "renamed"}"#),
                (.post, "/v1/runs/\(run)/params", #"{"params": {"lr": 0.1}}"#),
                (.post, "/v1/runs/\(run)/metrics", #"{"points": [{"key": "loss", "value": 1}]}"#),
                (.patch, "/v1/projects/\(project)", #"{"description": "x"}"#),
            ] {
                let answer = try await client.call(method, path, token: viewer.token, json: json)
                #expect(answer.status == .forbidden, "viewer \(method) \(path): \(answer.body)")
                #expect(
                    try await client.call(method, path, token: editor.token, json: json).status.code < 300,
                    "editor \(method) \(path)")
            }
            let promote = try await client.call(
                .put, "/v1/projects/\(project)/members/user/\(viewer.id)", token: editor.token,
                json: #"{"role": "owner"}"#)
            #expect(promote.status == .forbidden)
            #expect(try await client.call(.delete, "/v1/projects/\(project)", token: editor.token).status == .forbidden)
            let badRole = try await client.call(
                .put, "/v1/projects/\(project)/members/user/\(viewer.id)", token: owner.token,
                json: #"{"role": "boss"}"#)
            #expect(badRole.status == .badRequest)
            #expect(badRole.body["error"]?["field"] == "role")

            // The only owner cannot step down or be removed; a viewer may leave.
            let lastOwner = try await client.call(
                .put, "/v1/projects/\(project)/members/user/\(owner.id)", token: owner.token,
                json: #"{"role": "editor"}"#)
            #expect(lastOwner.status == .conflict)
            #expect(lastOwner.body["error"]?["code"] == "last_owner")
            #expect(
                try await client.call(.delete, "/v1/projects/\(project)/members/user/\(viewer.id)", token: viewer.token)
                    .status == .noContent)
            #expect(try await client.call(.get, "/v1/runs/\(run)", token: viewer.token).status == .notFound)
            let members =
                try await client.call(.get, "/v1/projects/\(project)/members", token: editor.token).body["items"]?
                .arrayValue ?? []
            #expect(Set(members.map { $0["memberId"]?.text ?? "" }) == [owner.id, editor.id])
        }
    }

    @Test("a role granted to a team reaches its members through their tokens")
    func teamRoles() async throws {
        let (owner, member) = (try await newUser("owner"), try await newUser("member"))
        let users = try UsersServer.shared()
        let team = try await users.call(
            "POST", "/v1/teams", #"{"name": "team-\#(UUID().uuidString.prefix(8))"}"#, token: owner.token)
        try await users.call(
            "PUT", "/v1/teams/\(team["id"]?.text ?? "")/members/\(member.id)", #"{"role": "member"}"#,
            token: owner.token)
        try await dataApp().test(.router) { client in
            let (project, _) = try await client.projectAndExperiment(owner.token)
            #expect(
                try await client.call(
                    .put, "/v1/projects/\(project)/members/team/\(team["id"]?.text ?? "")", token: owner.token,
                    json: #"{"role": "editor"}"#
                ).status == .created)
            // Tokens carry teams: sign in again for one that names the new team.
            let fresh = try await users.signIn(
                try await users.call("GET", "/v1/users/me", token: member.token)["email"]?.text ?? "",
                password: "a long enough pass")
            let created = try await client.call(
                .post, "/v1/projects/\(project)/experiments", token: fresh, json: #"{"name": "by the team"}"#)
            #expect(created.status == .created, "\(created.body)")
            #expect(try await client.call(.get, "/v1/projects", token: fresh).body["items"]?.arrayValue?.count == 1)
        }
    }

    @Test(
        "trash, restore and purge: a trashed project refuses writes; purge needs the trash first and removes everything"
    )
    func lifecycle() async throws {
        let owner = try await newUser("owner")
        try await dataApp().test(.router) { client in
            let (project, experiment) = try await client.projectAndExperiment(owner.token)
            let run = try await client.newRun(owner.token, experiment: experiment)
            #expect(
                try await client.call(.delete, "/v1/projects/\(project)?purge=true", token: owner.token).status
                    == .conflict)
            #expect(try await client.call(.delete, "/v1/projects/\(project)", token: owner.token).status == .ok)
            #expect(
                try await client.call(.get, "/v1/projects/\(project)", token: owner.token).body["lifecycle"]
                    == "trashed")
            let write = try await client.call(
                .post, "/v1/projects/\(project)/experiments", token: owner.token, json: #"{"name": "x"}"#)
            #expect(write.body["error"]?["code"] == "project_trashed")
            #expect(
                try await client.call(.get, "/v1/projects?view=trashed", token: owner.token).body["items"]?.arrayValue?
                    .count == 1)
            #expect(try await client.call(.get, "/v1/projects", token: owner.token).body["items"] == [])
            #expect(
                try await client.call(.post, "/v1/projects/\(project)/restore", token: owner.token).body["lifecycle"]
                    == "active")
            #expect(try await client.call(.get, "/v1/runs/\(run)", token: owner.token).status == .ok)
            #expect(try await client.call(.delete, "/v1/projects/\(project)", token: owner.token).status == .ok)
            #expect(
                try await client.call(.delete, "/v1/projects/\(project)?purge=true", token: owner.token).status == .ok)
            #expect(try await client.call(.get, "/v1/projects/\(project)", token: owner.token).status == .notFound)
            #expect(try await client.call(.get, "/v1/runs/\(run)", token: owner.token).status == .notFound)
            #expect(
                try await client.call(.get, "/v1/experiments/\(experiment)", token: owner.token).status == .notFound)
        }
    }

    @Test("bad input is a 400 naming the field")
    func validation() async throws {
        let owner = try await newUser("owner")
        try await dataApp().test(.router) { client in
            for (json, field) in [
                (#"{"name": ""}"#, "name"), (#"{"description": "x"}"#, "name"), (#"{"name": 3}"#, "name"),
            ] {
                let answer = try await client.call(.post, "/v1/projects", token: owner.token, json: json)
                #expect(answer.status == .badRequest, "\(json)")
                #expect(answer.body["error"]?["field"]?.text == field, "\(answer.body)")
            }
        }
    }
}
