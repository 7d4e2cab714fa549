import Auth
import Bus
import DataService
import Foundation
import Hummingbird
import HummingbirdTesting
import Platform
import PlatformTesting
import Testing

@Suite("data: the runs of compute jobs")
struct JobTests {
    /// A service token of the compute service, from the real users service.
    static func computeToken() async throws -> String {
        let users = try UsersServer.shared()
        let credential = try ServiceCredential.load(.compute, stateDirectory: users.stateDirectory, file: "")
        let session = try await users.call(
            "POST", "/v1/sessions/service",
            (["service": "compute", "credential": .string(credential)] as JSONValue).jsonText)
        return try #require(session["accessToken"]?.stringValue, "\(session)")
    }

    @Test("compute gets one run per job, and job events alone move its status, forward only")
    func jobRuns() async throws {
        let owner = try await newUser()
        let compute = try await Self.computeToken()
        try await dataApp().test(.router) { client in
            let (project, _) = try await client.projectAndExperiment(owner.token)
            let job = ID.make()
            let body =
                #"{"projectId": "\#(project)", "submittedBy": "\#(owner.id)", "name": "train", "params": {"epochs": 3}}"#
            let created = try await client.call(.put, "/v1/jobs/\(job)/run", token: compute, json: body)
            #expect(created.status == .created, "\(created.body)")
            #expect(created.body["status"] == "scheduled")
            #expect(created.body["createdBy"]?.text == owner.id)
            #expect(created.body["source"]?["jobId"]?.text == job)
            let run = created.body["id"]?.text ?? ""
            let again = try await client.call(.put, "/v1/jobs/\(job)/run", token: compute, json: body)
            #expect(again.status == .ok && again.body["id"]?.text == run)
            let experiment = try await client.call(
                .get, "/v1/projects/\(project)/experiments/by-name?name=jobs", token: owner.token)
            #expect(experiment.body["id"] == created.body["experimentId"])
            let impersonating = try await client.call(.put, "/v1/jobs/\(ID.make())/run", token: owner.token, json: body)
            #expect(impersonating.body["error"]?["field"] == "submittedBy")

            let bus = try SQLiteLogBus(
                path: try UsersServer.shared().stateDirectory.appendingPathComponent("bus.sqlite").path)
            func publish(_ state: String, _ extra: JSONValue = [:], job: String = job, run: String = run) async throws {
                var data: JSONValue = [
                    "id": .string(job), "runId": .string(run), "projectId": .string(project), "state": .string(state),
                ]
                for (key, value) in extra.objectValue ?? [:] { data[key] = value }
                try await bus.publish(
                    [CloudEvent(source: "/mlex/compute", type: "mlex.compute.job.\(state)", subject: job, data: data)],
                    to: Topics.compute)
            }
            func status(becomes expected: String, run: String = run) async throws -> JSONValue {
                try await withRetries(100) {
                    let current = try await client.call(.get, "/v1/runs/\(run)", token: owner.token).body
                    guard current["status"] == .string(expected) else { throw POSIXError(.EAGAIN) }
                    return current
                }
            }
            try await publish("running")
            _ = try await status(becomes: "running")
            try await publish("failed", ["exitCode": 137])
            let failed = try await status(becomes: "failed")
            #expect(failed["exitCode"] == 137)
            #expect(failed["endTime"] != nil)
            // A late report of an earlier state does not move a finished run back.
            try await publish("running")
            try await publish("scheduled")
            // A sentinel published after them: once it has moved another job's run, the consumer
            // has read past the late events, however slow it is.
            let sentinelJob = ID.make()
            let sentinelBody = #"{"projectId": "\#(project)", "submittedBy": "\#(owner.id)", "name": "sentinel"}"#
            let sentinelRun =
                try await client.call(.put, "/v1/jobs/\(sentinelJob)/run", token: compute, json: sentinelBody).body[
                    "id"]?.text ?? ""
            try await publish("running", job: sentinelJob, run: sentinelRun)
            _ = try await status(becomes: "running", run: sentinelRun)
            #expect(try await client.call(.get, "/v1/runs/\(run)", token: owner.token).body["status"] == "failed")
        }
    }
}
