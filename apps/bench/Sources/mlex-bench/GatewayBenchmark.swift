import Foundation
import Logging
import Platform
import WebGateway

/// What the gateway costs (issue 25): the same requests from the same client, straight to data
/// and through the gateway (`/api/data/…`), with 1 and with 4 concurrent callers. Users, data
/// and the gateway run in this process on loopback ports. Goals: a small GET through the
/// gateway at ≥ 80% of the direct rate, metric ingest at ≥ 90%.
///
/// The machine is shared and noisy, so each pair runs in alternating rounds (direct, gateway,
/// direct, …) and each row sums its rounds: a slow moment lands on both sides alike.
struct GatewayBenchmark {
    let directory: URL
    /// Requests per row and round for the small calls.
    let requests: Int
    /// Batches of 1000 points per row and round for ingest.
    let batches: Int
    let rounds = 3

    func run() async throws {
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let services = try await BenchServices.start(directory: directory)
        defer { services.stop() }
        let gateway = try await services.startGateway(directory: directory)
        defer { gateway.task.cancel() }

        let direct = services.client
        let proxied = APIClient(base: "\(gateway.url)/api/data")
        proxied.token = direct.token
        let project = try await direct.call("POST", "/v1/projects", #"{"name": "gateway"}"#)["id"]!.stringValue!
        let experiment = try await direct.call(
            "POST", "/v1/projects/\(project)/experiments", #"{"name": "gateway"}"#)["id"]!.stringValue!
        // Fills both clients' connection pools and the services' caches before anything is timed.
        for client in [direct, proxied] {
            for _ in 0..<200 { try await client.call("GET", "/v1/projects/\(project)") }
        }

        for clients in [1, 4] {
            let health = try await pair("GET /health", clients: clients, count: requests, direct, proxied) {
                client, _ in
                try await client.call("GET", "/health")
            }
            let get = try await pair("GET /v1/projects/{id}", clients: clients, count: requests, direct, proxied) {
                client, _ in
                try await client.call("GET", "/v1/projects/\(project)")
            }
            Self.printShares(
                title: "Gateway: small requests, \(clients) concurrent client\(clients == 1 ? "" : "s")",
                pairs: [health, get], unit: "requests/s", perOperation: 1)
        }

        let bodies = (0..<batches).map { batch in
            "{\"points\": ["
                + (0..<1000).map { index in
                    let step = batch * 1000 + index
                    return
                        #"{"key": "loss", "value": \#(Double(step % 977) / 1000), "step": \#(step), "timestamp": \#(1_700_000_000_000 + step)}"#
                }.joined(separator: ",") + "]}"
        }
        for clients in [1, 4] {
            // A run per caller, row and round: every batch writes fresh steps, and callers write
            // side by side as separate training jobs do.
            let ingest = try await pair(
                "POST /v1/runs/{id}/metrics, 1000 points", clients: clients, count: batches, direct, proxied,
                prepare: { client in
                    var runs: [String] = []
                    for _ in 0..<clients {
                        runs.append(
                            try await client.call("POST", "/v1/experiments/\(experiment)/runs", "{}")["id"]!
                                .stringValue!)
                    }
                    return runs
                },
                call: { client, runs, batch in
                    try await client.call("POST", "/v1/runs/\(runs[batch % runs.count])/metrics", bodies[batch])
                })
            Self.printShares(
                title:
                    "Gateway: metric ingest, \(clients) concurrent client\(clients == 1 ? "" : "s") (p50/p99 per batch)",
                pairs: [ingest], unit: "points/s", perOperation: 1000)
        }
    }

    /// A direct row and a gateway row of the same calls.
    struct Pair {
        var direct: Measurement
        var gateway: Measurement
    }

    private func pair(
        _ name: String, clients: Int, count: Int, _ direct: APIClient, _ proxied: APIClient,
        _ call: @escaping @Sendable (APIClient, Int) async throws -> Void
    ) async throws -> Pair {
        try await pair(
            name, clients: clients, count: count, direct, proxied, prepare: { _ in [] },
            call: { client, _, index in try await call(client, index) })
    }

    /// Runs the calls in alternating rounds, direct first, and sums each side's rounds.
    /// `prepare` runs untimed before every round; its result is handed to each call.
    private func pair(
        _ name: String, clients: Int, count: Int, _ direct: APIClient, _ proxied: APIClient,
        prepare: (APIClient) async throws -> [String],
        call: @escaping @Sendable (APIClient, [String], Int) async throws -> Void
    ) async throws -> Pair {
        var result = Pair(
            direct: Measurement(name: "\(name), direct"), gateway: Measurement(name: "\(name), via gateway"))
        for _ in 0..<rounds {
            for (client, viaGateway) in [(direct, false), (proxied, true)] {
                let prepared = try await prepare(client)
                let round = try await measureConcurrently("", clients: clients, count: count) { index in
                    try await call(client, prepared, index)
                }
                if viaGateway { result.gateway.add(round) } else { result.direct.add(round) }
            }
        }
        return result
    }

    /// Each pair as two rows, the gateway's beside the direct one with its share of the direct rate.
    static func printShares(title: String, pairs: [Pair], unit: String, perOperation: Int) {
        print("\n## \(title)  (reference: the same calls straight to data)")
        print(
            Table.pad("case", 52) + Table.pad(unit, 12) + Table.pad("p50 µs", 10) + Table.pad("p99 µs", 10)
                + "share of direct")
        for pair in pairs {
            let directRate = Double(pair.direct.operations * perOperation) / pair.direct.elapsed.seconds
            for row in [pair.direct, pair.gateway] {
                let rate = Double(row.operations * perOperation) / row.elapsed.seconds
                print(
                    Table.pad(row.name, 52) + Table.pad(String(format: "%.0f", rate), 12)
                        + Table.pad(String(format: "%.1f", row.percentile(0.5).microseconds), 10)
                        + Table.pad(String(format: "%.1f", row.percentile(0.99).microseconds), 10)
                        + String(format: "%.0f%%", rate / directRate * 100))
            }
        }
    }
}

extension Measurement {
    /// Adds another round of the same calls.
    mutating func add(_ round: Measurement) {
        operations += round.operations
        elapsed += round.elapsed
        latencies += round.latencies
    }
}
