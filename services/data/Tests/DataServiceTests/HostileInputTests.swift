import HTTPTypes
import Platform
import PlatformTesting
import Testing

/// Input that once trapped the data process, or stored what could never be read back.
@Suite("data: hostile keys, times and nesting answer 4xx and leave the run readable")
struct HostileInputTests {
    @Test("a key canonically equal to a stored one (the Kelvin sign and K) is refused by name; the run stays readable")
    func canonicallyEqualKeys() async throws {
        let owner = try await newUser()
        try await dataApp().test(.router) { client in
            let (_, experiment) = try await client.projectAndExperiment(owner.token)
            let run = try await client.newRun(owner.token, experiment: experiment)
            #expect(
                try await client.call(
                    .post, "/v1/runs/\(run)/params", token: owner.token, json: #"{"params": {"K": 1}}"#
                ).status == .ok)
            for route in ["params", "tags"] {
                let body = route == "params" ? #"{"params": {"\u212A": 2}}"# : #"{"tags": {"\u212A": "x"}}"#
                let method: HTTPRequest.Method = route == "params" ? .post : .patch
                let refused = try await client.call(method, "/v1/runs/\(run)/\(route)", token: owner.token, json: body)
                #expect(refused.status == .badRequest, "\(route): \(refused.body)")
                #expect(refused.body["error"]?["field"]?.text.hasPrefix(route) == true)
            }
            let metric = try await client.call(
                .post, "/v1/runs/\(run)/metrics", token: owner.token,
                json: #"{"points": [{"key": "\u212A", "value": 1, "step": 0}]}"#)
            #expect(metric.status == .badRequest, "\(metric.body)")
            let read = try await client.call(.get, "/v1/runs/\(run)", token: owner.token)
            #expect(read.status == .ok && read.body["params"]?["K"] == 1)
        }
    }

    @Test(
        "run search by a time in epoch milliseconds outside years 0–9999 is a 400 naming the position, not a trap",
        arguments: [
            "startTime > 9223372036854775807", "endTime < -9223372036854775808", "startTime >= 253402300800000",
        ])
    func timesOutOfRange(filter: String) async throws {
        let owner = try await newUser()
        try await dataApp().test(.router) { client in
            let (project, _) = try await client.projectAndExperiment(owner.token)
            let answer = try await client.search(owner.token, project: project, filter: filter)
            #expect(answer.status == .badRequest, "\(answer.body)")
            #expect(try await client.search(owner.token, project: project, filter: "startTime > 0").status == .ok)
        }
    }

    @Test("a body nested deeper than 64 levels is refused before it is stored")
    func deepNesting() async throws {
        let owner = try await newUser()
        try await dataApp().test(.router) { client in
            let (_, experiment) = try await client.projectAndExperiment(owner.token)
            let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
            let refused = try await client.call(
                .post, "/v1/experiments/\(experiment)/runs", token: owner.token, json: #"{"params": {"x": \#(deep)}}"#)
            #expect(
                refused.status == .badRequest && refused.body["error"]?["code"] == "nested_too_deeply",
                "\(refused.body)")
            let inString = #"{"name": "\#(String(repeating: "[", count: 100))"}"#
            let created = try await client.call(
                .post, "/v1/experiments/\(experiment)/runs", token: owner.token, json: inString)
            #expect(created.status == .created, "brackets inside a string do not nest: \(created.body)")
        }
    }
}
