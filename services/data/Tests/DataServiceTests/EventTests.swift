import Bus
import DataService
import Foundation
import Hummingbird
import HummingbirdTesting
import Platform
import PlatformTesting
import Testing

@Suite("data: events on mlex.data")
struct EventTests {
    @Test("each change is announced once, in order, with a snapshot carrying projectId")
    func announced() async throws {
        let (owner, viewer) = (try await newUser(), try await newUser())
        try await dataApp().test(.router) { client in
            let (project, experiment) = try await client.projectAndExperiment(owner.token)
            _ = try await client.call(
                .put, "/v1/projects/\(project)/members/user/\(viewer.id)", token: owner.token,
                json: #"{"role": "viewer"}"#)
            let run = try await client.newRun(owner.token, experiment: experiment)
            _ = try await client.call(.patch, "/v1/runs/\(run)", token: owner.token, json: #"{"status": "failed"}"#)
            _ = try await client.call(.delete, "/v1/runs/\(run)", token: owner.token)
            _ = try await client.call(.delete, "/v1/runs/\(run)?purge=true", token: owner.token)
            _ = try await client.call(.delete, "/v1/projects/\(project)/members/user/\(viewer.id)", token: owner.token)

            let bus = try SQLiteLogBus(
                path: try UsersServer.shared().stateDirectory.appendingPathComponent("bus.sqlite").path)
            let subscription = try await bus.subscribe(group: "test-\(ID.make())", topic: Topics.data)
            var events: [CloudEvent] = []
            for _ in 0..<100 where events.count < 9 {
                events += try await subscription.next(max: 500, wait: .milliseconds(100)).map(\.event).filter {
                    $0.data["projectId"]?.stringValue == project
                }
            }
            #expect(
                events.map(\.type) == [
                    "mlex.data.project.created", "mlex.data.project.member.changed", "mlex.data.experiment.created",
                    "mlex.data.project.member.changed", "mlex.data.run.created", "mlex.data.run.finished",
                    "mlex.data.run.trashed", "mlex.data.run.deleted", "mlex.data.project.member.changed",
                ])
            #expect(events[5].subject == run && events[5].data["status"] == "failed")
            #expect(events[3].data["memberId"]?.text == viewer.id && events[3].data["role"] == "viewer")
            #expect(events[8].data["memberId"]?.text == viewer.id && events[8].data["role"] == .null)
            #expect(events.allSatisfy { $0.source == "/mlex/data" })
        }
    }
}
