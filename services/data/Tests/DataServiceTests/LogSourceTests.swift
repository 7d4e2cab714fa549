import DataService
import Foundation
import Hummingbird
import HummingbirdTesting
import Platform
import PlatformTesting
import Testing

/// A producer that may send a batch again after a crash (a compute agent re-reading a job's log
/// from its last saved offset) names a source and numbers its entries; data stores each once.
@Suite("data: log entries from a source are stored once, and carry the rank of their worker")
struct LogSourceTests {
    static func batch(_ sequences: ClosedRange<Int>, source: String = "job-log-1", rank: Int? = nil) -> String {
        let entries = sequences.map {
            #"{"message": "line \#($0)", "sequence": \#($0 * 10)"# + (rank.map { #", "rank": \#($0)"# } ?? "") + "}"
        }
        return #"{"source": "\#(source)", "entries": [\#(entries.joined(separator: ","))]}"#
    }

    static func messages(
        _ client: some TestClientProtocol, run: String, token: String, query: String = ""
    )
        async throws -> [String]
    {
        try await client.call(.get, "/v1/runs/\(run)/logs?limit=1000\(query)", token: token).body["items"]?
            .arrayValue?.map { $0["message"]?.text ?? "" } ?? []
    }

    @Test("a batch sent again, whole or grown, stores only the entries not yet stored from its source")
    func repeatedBatches() async throws {
        let owner = try await newUser()
        try await dataApp().test(.router) { client in
            let (_, experiment) = try await client.projectAndExperiment(owner.token)
            let run = try await client.newRun(owner.token, experiment: experiment)
            let post = { (body: String) in
                try await client.call(.post, "/v1/runs/\(run)/logs", token: owner.token, json: body).body
            }
            #expect(try await post(Self.batch(0...4))["accepted"] == 5)
            let again = try await post(Self.batch(0...4))
            #expect(again["accepted"] == 0)
            #expect(again["skipped"] == 5)
            // After a crash the agent reads from its last saved offset and finds more written.
            let grown = try await post(Self.batch(3...7))
            #expect(grown["accepted"] == 3)
            #expect(grown["skipped"] == 2)
            // Another source (the job's next attempt) starts from nothing.
            #expect(try await post(Self.batch(0...1, source: "job-log-2"))["accepted"] == 2)
            let expected = (0...7).map { "line \($0)" } + ["line 0", "line 1"]
            #expect(try await Self.messages(client, run: run, token: owner.token) == expected)
        }
    }

    @Test("sequences must be given, not negative and increasing; the source is checked; 400 names the field")
    func badSequences() async throws {
        let owner = try await newUser()
        try await dataApp().test(.router) { client in
            let (_, experiment) = try await client.projectAndExperiment(owner.token)
            let run = try await client.newRun(owner.token, experiment: experiment)
            let cases: [(String, String)] = [
                (
                    #"{"source": "a", "entries": [{"message": "x", "sequence": 5}, {"message": "y", "sequence": 5}]}"#,
                    "entries.1.sequence"
                ),
                (#"{"source": "a", "entries": [{"message": "x"}]}"#, "entries.0.sequence"),
                (#"{"source": "a", "entries": [{"message": "x", "sequence": -1}]}"#, "entries.0.sequence"),
                (#"{"entries": [{"message": "x", "sequence": 1}]}"#, "entries.0.sequence"),
                (#"{"source": "a/b", "entries": [{"message": "x", "sequence": 1}]}"#, "source"),
                (#"{"entries": [{"message": "x", "rank": 5000}]}"#, "entries.0.rank"),
            ]
            for (body, field) in cases {
                let answer = try await client.call(.post, "/v1/runs/\(run)/logs", token: owner.token, json: body)
                #expect(answer.status == .badRequest, "\(body)")
                #expect(answer.body["error"]?["field"]?.text == field, "\(body)")
            }
            #expect(try await Self.messages(client, run: run, token: owner.token).isEmpty)
        }
    }

    @Test("entries keep the rank of the worker that printed them, and a page can hold one rank's")
    func ranks() async throws {
        let owner = try await newUser()
        try await dataApp().test(.router) { client in
            let (_, experiment) = try await client.projectAndExperiment(owner.token)
            let run = try await client.newRun(owner.token, experiment: experiment)
            _ = try await client.call(
                .post, "/v1/runs/\(run)/logs", token: owner.token,
                json: #"{"entries": [{"message": "a", "rank": 0}, {"message": "b", "rank": 1}, {"message": "c"}]}"#)
            let all =
                try await client.call(.get, "/v1/runs/\(run)/logs", token: owner.token).body["items"]?
                .arrayValue ?? []
            #expect(all.map { $0["rank"]?.intValue } == [0, 1, nil])
            #expect(try await Self.messages(client, run: run, token: owner.token, query: "&rank=1") == ["b"])
            #expect(
                try await client.call(.get, "/v1/runs/\(run)/logs?rank=x", token: owner.token).body["error"]?["field"]
                    == "rank")
        }
    }
}
