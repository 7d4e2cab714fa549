import Foundation
import Platform
import PlatformTesting
import Store
import Testing

@testable import ComputeService

/// Accounting through the real services: real short jobs on the shared local agent, then
/// `/v1/usage` and /metrics, which must add up to exactly the jobs that ran.
@Suite("compute: accounting")
struct AccountingTests {
    /// Spins the CPU for about `seconds`, so the job's cgroup measures CPU time.
    static let spin = "import time\nt = time.time()\nwhile time.time() - t < 0.6: pass\nprint('done', flush=True)"

    @Test("accounting totals match the jobs that ran; others cannot read them", .timeLimit(.minutes(3)))
    func totalsMatchJobs() async throws {
        let cluster = try ComputeCluster.shared()
        let owner = try await cluster.newOwner()
        let jobs = [
            try await cluster.submit(pythonJob(owner.project, Self.spin), token: owner.token),
            try await cluster.submit(pythonJob(owner.project, Self.spin), token: owner.token),
        ]
        var ended: [JSONValue] = []
        for job in jobs { ended.append(try await cluster.finished(job, token: owner.token, seconds: 120)) }
        #expect(ended.allSatisfy { $0["state"] == "succeeded" }, "\(ended)")
        let wall = ended.reduce(0.0) { sum, job in
            guard let started = job["startedAt"]?.stringValue.flatMap(Timestamp.parse),
                let end = job["endedAt"]?.stringValue.flatMap(Timestamp.parse)
            else { return .nan }
            return sum + end.timeIntervalSince(started)
        }
        let cpu = ended.reduce(0.0) { $0 + ($1["usage"]?["cpuSeconds"]?.numberValue ?? .nan) }

        let usage = try await cluster.compute(
            "GET", "/v1/usage?projectId=\(owner.project)&groupBy=project,user,day", token: owner.token)
        #expect(usage.status == 200, "\(usage.body)")
        let total = try #require(usage.body["total"])
        #expect(total["jobs"] == 2, "\(usage.body)")
        #expect(abs((total["wallSeconds"]?.numberValue ?? 0) - wall) < 0.01, "\(usage.body) vs wall \(wall)")
        #expect(abs((total["cpuSeconds"]?.numberValue ?? 0) - cpu) < 1e-6 && cpu > 0, "\(usage.body) vs cpu \(cpu)")
        #expect(
            (total["memoryByteSeconds"]?.numberValue ?? 0) > 0 && total["gpuSeconds"]?.numberValue == 0, "\(usage.body)"
        )
        let items = usage.body["items"]?.arrayValue ?? []
        #expect(items.count == 1, "\(usage.body)")
        #expect(
            items.first?["project"]?.stringValue == owner.project && items.first?["user"]?.stringValue == owner.id
                && items.first?["day"]?.stringValue == UsagePeriod.day(of: Date()), "\(usage.body)")
        // A non-admin's own usage with no filter is their own jobs: the same two.
        let own = try await cluster.compute("GET", "/v1/usage?groupBy=month", token: owner.token).body
        #expect(own["total"]?["jobs"] == 2, "\(own)")

        // An outsider reads neither the project's usage nor the owner's.
        let outsider = try await cluster.newOwner()
        #expect(
            try await cluster.compute("GET", "/v1/usage?projectId=\(owner.project)", token: outsider.token).status
                == 404)
        #expect(try await cluster.compute("GET", "/v1/usage?userId=\(owner.id)", token: outsider.token).status == 403)
        #expect(try await cluster.compute("GET", "/v1/usage", token: outsider.token).body["total"]?["jobs"] == 0)
        // An administrator reads everyone's, per user.
        let admin = try await TemplateTests.adminToken(cluster)
        let everyone = try await cluster.compute("GET", "/v1/usage?groupBy=user", token: admin).body
        let mine = (everyone["items"]?.arrayValue ?? []).first { $0["user"]?.stringValue == owner.id }
        #expect(mine?["jobs"] == 2, "\(everyone)")
        #expect(
            try await cluster.compute("GET", "/v1/usage?groupBy=week", token: admin).body["error"]?["field"]
                == "groupBy")

        let metrics = try await cluster.bytes(cluster.computeURL + "/metrics", token: owner.token)
        let line = metrics.split(separator: "\n").first {
            $0.hasPrefix("mlex_compute_job_cpu_seconds_total") && $0.contains("project=\"\(owner.project)\"")
        }
        let counted = line.flatMap { Double($0.split(separator: " ").last ?? "") }
        #expect(counted.map { abs($0 - cpu) < 1e-6 } == true, "\(String(describing: line))")
    }

    @Test("accounting records and usage samples past their retention are pruned; newer ones stay (time injected)")
    func retention() async throws {
        let store = try SQLiteDocumentStore(path: try temporaryDirectory().appendingPathComponent("store.sqlite").path)
        try await CollectionCatalog.load(domain: "compute", from: repositoryRoot().appendingPathComponent("db")).apply(
            to: store)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        func record(_ id: String, endedDaysAgo days: Double) -> JSONValue {
            let ended = now.addingTimeInterval(-days * 86400)
            return [
                "id": .string(id), "projectId": "p", "owner": "u", "state": "succeeded", "workers": 1, "gpus": 0,
                "startedAt": .string(Timestamp.format(ended)), "endedAt": .string(Timestamp.format(ended)),
                "endedAtMs": .int(Int64(ended.timeIntervalSince1970 * 1000)), "day": "d", "month": "m",
                "cpuSeconds": 1, "memoryByteSeconds": 1, "gpuSeconds": 0, "wallSeconds": 1,
            ]
        }
        func sample(_ id: String, minutesAgo minutes: Double) -> JSONValue {
            [
                "id": .string(id), "subject": "job:x",
                "atMs": .int(Int64((now.timeIntervalSince1970 - minutes * 60) * 1000)),
            ]
        }
        try await store.insert(record("old", endedDaysAgo: 401), into: JobAccounting.collection)
        try await store.insert(record("new", endedDaysAgo: 399), into: JobAccounting.collection)
        try await store.insert(sample("stale", minutesAgo: 16), into: UsageHistory.collection)
        try await store.insert(sample("fresh", minutesAgo: 14), into: UsageHistory.collection)
        let retention = ComputeRetention(
            store: store, accountingRetention: 400 * 86400, usageWindow: 15 * 60, now: { now },
            logger: .init(label: "test"))
        try await retention.prune()
        #expect(try await store.find(JobAccounting.collection, Query()).compactMap { $0["id"]?.stringValue } == ["new"])
        #expect(
            try await store.find(UsageHistory.collection, Query()).compactMap { $0["id"]?.stringValue } == ["fresh"])
    }
}
