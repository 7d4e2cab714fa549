import ArgumentParser
import Foundation
import MLExClient
import Wire

/// `mlex quota`: the caller's compute quotas, or a project's compute and storage quotas, each
/// with what is used of it now.
struct QuotaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quota",
        abstract: "Your quotas (or a project's, with --project) and what is used of each now.",
        discussion: """
            Compute quotas count workers running at once and CPU- and GPU-hours of the
            current UTC month; a project also has a storage quota. No limit shows as -.
            Administrators set them through the API (PUT /api/compute/v1/quotas/…,
            PUT /api/data/v1/quotas/…).
            """)
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: OutputOptions
    @Option(help: "A project (name or id).") var project: String?

    func run() async throws {
        try await reportingErrors {
            let client = try global.client()
            var answer: JSONValue
            if let project {
                let id = try await client.projectID(project)
                answer = ["compute": try await client.call(.compute, .GET, "/v1/quotas/projects/\(id)")]
                answer["storage"] = try await client.call(.data, .GET, "/v1/quotas/projects/\(id)")
            } else {
                answer = ["compute": try await client.call(.compute, .GET, "/v1/quotas/users/me")]
            }
            if output.json { return Console.json(answer) }
            let compute = answer["compute"] ?? [:]
            var rows = QuotaView.computeRows(compute)
            if let storage = answer["storage"] {
                rows.append([
                    "storage", QuotaView.bytes(storage["limits"]?["storageBytes"]),
                    QuotaView.bytes(storage["use"]?["storageBytes"]),
                ])
            }
            Console.table(["QUOTA", "LIMIT", "USED"], rows)
        }
    }
}

/// `mlex usage`: accounting totals of ended jobs.
struct UsageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "usage",
        abstract: "What ended jobs consumed: CPU-, GPU- and wall hours and memory, per project, user, day or month.",
        discussion: """
            Without options: your own jobs of this UTC month. Administrators see every
            job; --project shows a project's (you need to be able to read it).
            """)
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: OutputOptions
    @Option(help: "A project (name or id).") var project: String?
    @Option(help: "A user id (yourself, or anyone for administrators).") var user: String?
    @Option(help: "First UTC day (2026-12-01) or RFC 3339 time; default: this month's start.") var from: String?
    @Option(help: "End, exclusive, as --from; default: now.") var to: String?
    @Option(name: .customLong("group-by"), help: "Any of project, user, day, month, comma-separated.")
    var groupBy: String?

    func run() async throws {
        try await reportingErrors {
            let client = try global.client()
            let projectID: String? = if let project { try await client.projectID(project) } else { nil }
            let answer = try await client.call(
                .compute, .GET, "/v1/usage",
                query: ["projectId": projectID, "userId": user, "from": from, "to": to, "groupBy": groupBy])
            if output.json { return Console.json(answer) }
            let groups = (answer["groupBy"]?.arrayValue ?? []).compactMap(\.stringValue)
            var rows = (answer["items"]?.arrayValue ?? []).map { item in
                groups.map { Console.cell(item[$0]) } + QuotaView.totals(item)
            }
            rows.append(groups.map { _ in "" } + QuotaView.totals(answer["total"] ?? [:]))
            if !groups.isEmpty { rows[rows.count - 1][0] = "total" }
            Console.table(
                groups.map { $0.uppercased() } + ["JOBS", "CPU-H", "GPU-H", "WALL-H", "MEM-GB-H"], rows)
        }
    }
}

/// How quotas and totals read in a terminal.
enum QuotaView {
    static func computeRows(_ compute: JSONValue) -> [[String]] {
        let limits = compute["limits"] ?? [:]
        let use = compute["use"] ?? [:]
        let month = use["month"]?.stringValue ?? ""
        return [
            ["workers at once", number(limits["maxActiveWorkers"]), number(use["activeWorkers"])],
            ["CPU-hours \(month)", number(limits["cpuHoursPerMonth"]), number(use["cpuHours"])],
            ["GPU-hours \(month)", number(limits["gpuHoursPerMonth"]), number(use["gpuHours"])],
        ]
    }

    static func totals(_ item: JSONValue) -> [String] {
        let seconds = { (key: String) in item[key]?.numberValue ?? 0 }
        return [
            Console.cell(item["jobs"]), hours(seconds("cpuSeconds")), hours(seconds("gpuSeconds")),
            hours(seconds("wallSeconds")), hours(seconds("memoryByteSeconds") / 1e9),
        ]
    }

    static func hours(_ seconds: Double) -> String { String(format: "%.2f", seconds / 3600) }

    /// "-" for no limit; at most two decimals.
    static func number(_ value: JSONValue?) -> String {
        guard let number = value?.numberValue else { return "-" }
        return number == number.rounded() ? String(Int(number)) : String(format: "%.2f", number)
    }

    static func bytes(_ value: JSONValue?) -> String {
        guard let bytes = value?.intValue else { return "-" }
        return Console.bytes(bytes)
    }
}
