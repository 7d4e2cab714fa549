import Auth
import Bus
import Foundation
import HummingbirdTesting
import Platform
import PlatformTesting
import Synchronization
import Testing
import UsersService

/// The audit log end to end: entries recorded by every service's authentication layer, carried
/// on `mlex.audit`, stored and served by users (`GET /v1/audit`).
@Suite("users: audit log")
struct AuditTests {
    /// One write as the test expects to find it: who recorded it, method, route and status.
    struct Write: CustomStringConvertible {
        let service: String
        let method: String
        let route: String
        let status: Int

        var description: String { "\(service) \(method) \(route) \(status)" }

        func matches(_ entry: JSONValue) -> Bool {
            entry["service"]?.stringValue == service && entry["method"]?.stringValue == method
                && entry["route"]?.stringValue == route && entry["status"]?.intValue == Int64(status)
        }
    }

    @Test(
        "the audit log holds every write of a scripted session across services; an outsider reads none of it",
        .timeLimit(.minutes(3)))
    func scriptedSession() async throws {
        let users = try UsersServer.start(bus: nil)
        let platform = try LocalPlatform.start(users: users)
        let tag = try platform.startService(.tag, state: try temporaryDirectory())
        stopAtExit(tag.pid)
        let admin = try await users.signIn(UsersServer.adminEmail, password: UsersServer.adminPassword)

        // users: register and sign in, a wrong password, an API token made and revoked.
        let email = "owner-\(ID.make().suffix(12))@lab.example"
        let password = "a long enough pass"
        let owner = try await users.signUp(email, password: password)
        let wrongPassword = "not the password at all"
        let failed = try await httpCall(
            users.url + "/v1/sessions", "POST", ["email": .string(email), "password": .string(wrongPassword)],
            token: nil)
        #expect(failed.status == 401)
        let apiToken = try await httpCall(users.url + "/v1/tokens", "POST", ["name": "ci"], token: owner.token)
        let apiTokenID = try #require(apiToken.body["apiToken"]?["id"]?.stringValue, "\(apiToken.body)")
        #expect(
            try await httpCall(users.url + "/v1/tokens/\(apiTokenID)", "DELETE", token: owner.token).status == 204)

        // data: a project, an experiment, a run and its log, the run updated with the API token
        // made above (refused now it is revoked), then a write refused to an outsider.
        let project = try await httpCall(
            platform.dataURL + "/v1/projects", "POST", ["name": .string("audited-\(ID.make().suffix(8))")],
            token: owner.token)
        let projectID = try #require(project.body["id"]?.stringValue, "\(project.body)")
        let experiment = try await httpCall(
            platform.dataURL + "/v1/projects/\(projectID)/experiments", "POST", ["name": "exp"], token: owner.token)
        let experimentID = try #require(experiment.body["id"]?.stringValue, "\(experiment.body)")
        let run = try await httpCall(
            platform.dataURL + "/v1/experiments/\(experimentID)/runs", "POST", ["name": "r1"], token: owner.token)
        let runID = try #require(run.body["id"]?.stringValue, "\(run.body)")
        let logged = try await httpCall(
            platform.dataURL + "/v1/runs/\(runID)/logs", "POST", ["entries": [["message": "hello"]]],
            token: owner.token)
        #expect(logged.status == 200, "\(logged.body)")
        let outsider = try await users.signUp("outsider-\(ID.make().suffix(12))@lab.example")
        let intrusion = try await httpCall(
            platform.dataURL + "/v1/projects/\(projectID)/experiments", "POST", ["name": "mine"],
            token: outsider.token)
        #expect(intrusion.status == 404)

        // compute: a template of the project; tag: a label on the run (once tag has heard of it).
        let template = try await httpCall(
            platform.computeURL + "/v1/templates", "POST",
            ["name": .string("audit-\(ID.make().suffix(10))"), "runtime": "host", "projectId": .string(projectID)],
            token: owner.token)
        #expect(template.status == 201, "\(template.body)")
        var tagged = 0
        for _ in 0..<100 where tagged != 200 {
            tagged = try await httpCall(
                tag.url + "/v1/entities/run/\(runID)/tags", "POST", ["tags": ["audited"]], token: owner.token
            ).status
            if tagged != 200 { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(tagged == 200)

        // The owner reads every write of the project, whichever service served it.
        let projectWrites = [
            Write(service: "data", method: "POST", route: "/v1/projects", status: 201),
            Write(service: "data", method: "POST", route: "/v1/projects/{id}/experiments", status: 201),
            Write(service: "data", method: "POST", route: "/v1/experiments/{id}/runs", status: 201),
            Write(service: "data", method: "POST", route: "/v1/runs/{id}/logs", status: 200),
            Write(service: "data", method: "POST", route: "/v1/projects/{id}/experiments", status: 404),
            Write(service: "compute", method: "POST", route: "/v1/templates", status: 201),
            Write(service: "tag", method: "POST", route: "/v1/entities/{kind}/{id}/tags", status: 200),
        ]
        let audit = users.url + "/v1/audit?projectId=\(projectID)&order=oldest&limit=500"
        let seen = try await eventually(audit, token: owner.token, seconds: 30) { body in
            let items = body["items"]?.arrayValue ?? []
            return projectWrites.allSatisfy { write in items.contains(where: write.matches) }
        }
        let items = seen["items"]?.arrayValue ?? []
        let created = try #require(
            items.first { Write(service: "data", method: "POST", route: "/v1/projects", status: 201).matches($0) })
        #expect(created["actor"]?["kind"] == "user" && created["actor"]?["id"]?.stringValue == owner.id)
        #expect(created["actor"]?["email"]?.stringValue == email, "users adds the account's email")
        #expect(created["actor"]?["tokenId"]?.stringValue != nil, "the login session")
        #expect(created["result"] == "ok" && created["entityId"]?.stringValue == projectID)
        #expect(created["requestId"]?.stringValue?.isEmpty == false)
        #expect(created["remoteAddress"] == "127.0.0.1")
        let refused = try #require(items.first { $0["status"] == 404 })
        #expect(refused["actor"]?["id"]?.stringValue == outsider.id && refused["result"] == "failed")
        let ids = items.compactMap { $0["id"]?.stringValue }
        #expect(ids == ids.sorted(), "order=oldest: oldest first (ids are UUIDv7, in time order)")

        // An outsider learns nothing of the project, not even that it exists; a member who is
        // not an owner, or anyone without a project, is refused.
        let peek = try await httpCall(users.url + "/v1/audit?projectId=\(projectID)", "GET", token: outsider.token)
        #expect(peek.status == 404, "\(peek.body)")
        #expect(!peek.body.jsonText.contains(projectWrites[0].route))
        #expect(try await httpCall(users.url + "/v1/audit", "GET", token: owner.token).status == 403)
        #expect(try await httpCall(users.url + "/v1/audit", "GET", token: nil).status == 401)

        // The account's own writes at users, and the failed sign-in, are there for an admin.
        let accountWrites = [
            Write(service: "users", method: "POST", route: "/v1/users", status: 201),
            Write(service: "users", method: "POST", route: "/v1/sessions", status: 201),
            Write(service: "users", method: "POST", route: "/v1/sessions", status: 401),
            Write(service: "users", method: "POST", route: "/v1/tokens", status: 201),
            Write(service: "users", method: "DELETE", route: "/v1/tokens/{id}", status: 204),
        ]
        let usersLog = try await eventually(
            users.url + "/v1/audit?service=users&limit=500", token: admin, seconds: 30
        ) { body in
            let mine = (body["items"]?.arrayValue ?? []).filter {
                $0["actor"]?["id"]?.stringValue == owner.id || $0["actor"]?["name"]?.stringValue == email
            }
            return accountWrites.allSatisfy { write in mine.contains(where: write.matches) }
        }
        let entries = usersLog["items"]?.arrayValue ?? []
        let failedSignIn = try #require(
            entries.first {
                $0["route"] == "/v1/sessions" && $0["status"] == 401 && $0["actor"]?["name"]?.stringValue == email
            })
        #expect(failedSignIn["actor"]?["kind"] == "anonymous" && failedSignIn["result"] == "denied")
        let revoked = try #require(
            entries.first { $0["method"] == "DELETE" && $0["actor"]?["id"]?.stringValue == owner.id })
        #expect(revoked["entityId"]?.stringValue == apiTokenID)
        let madeToken = try #require(
            entries.first { $0["route"] == "/v1/tokens" && $0["actor"]?["id"]?.stringValue == owner.id })
        #expect(madeToken["entityId"]?.stringValue == apiTokenID)
        #expect(
            !usersLog.jsonText.contains(wrongPassword) && !usersLog.jsonText.contains(password), "no password is kept")
        let newestFirst = entries.compactMap { $0["id"]?.stringValue }
        #expect(newestFirst == newestFirst.sorted(by: >), "newest first by default")
    }

    @Test("entries are stored once, paged newest first, and dropped past the retention as the injected clock moves")
    func retentionAndPaging() async throws {
        let now = Date()
        let clock = Mutex(now)
        let (app, state) = try await usersApp(
            auditClock: AuditClock(interval: .milliseconds(50)) { clock.withLock { $0 } })
        let bus = try SQLiteLogBus(path: state.appendingPathComponent("bus.sqlite").path)
        func entry(daysAgo: Double, route: String) -> AuditEntry {
            let time = now.addingTimeInterval(-daysAgo * 86_400)
            return AuditEntry(
                id: ID.make(now: time), time: time, service: "data", actor: .init(kind: .user, id: "someone"),
                method: "POST", route: route, path: route, projectID: ID.make(), status: 201, requestID: "r")
        }
        let old = entry(daysAgo: 400, route: "/v1/old")
        let recent = entry(daysAgo: 10, route: "/v1/recent")
        let newest = entry(daysAgo: 1, route: "/v1/newest")
        // The recent one twice, as a relay repeating itself would.
        try await bus.publish([old, recent, recent, newest].map(\.event), to: AuditTrail.topic)

        try await app.test(.router) { client in
            let admin = try await client.login(adminEmail, password: adminPassword)["accessToken"]?.stringValue
            func routes(_ query: String = "") async throws -> [String] {
                let (status, body) = try await client.call(.get, "/v1/audit?service=data" + query, token: admin)
                #expect(status == .ok, "\(body)")
                return (body["items"]?.arrayValue ?? []).compactMap { $0["route"]?.stringValue }
            }
            var seen: [String] = []
            for _ in 0..<100 where seen != ["/v1/newest", "/v1/recent"] {
                seen = try await routes()
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(seen == ["/v1/newest", "/v1/recent"], "the 400-day-old entry is past 365 days; one copy each")

            let (_, first) = try await client.call(.get, "/v1/audit?service=data&limit=1", token: admin)
            #expect(first["items"]?.arrayValue?.first?["route"] == "/v1/newest")
            let next = try #require(first["nextAfter"]?.stringValue)
            #expect(try await routes("&limit=1&after=\(next)") == ["/v1/recent"])
            #expect(
                try await routes("&from=\(Timestamp.format(now.addingTimeInterval(-2 * 86_400)))") == ["/v1/newest"])
            #expect(try await routes("&order=oldest") == ["/v1/recent", "/v1/newest"])
            let (bad, _) = try await client.call(.get, "/v1/audit?from=yesterday", token: admin)
            #expect(bad == .badRequest)

            // 360 days on, the 10-day-old entry is 370 days old and goes; the newest stays.
            clock.withLock { $0 = now.addingTimeInterval(360 * 86_400) }
            for _ in 0..<100 where seen != ["/v1/newest"] {
                seen = try await routes()
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(seen == ["/v1/newest"])
        }
    }
}
