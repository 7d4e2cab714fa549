import Foundation

/// Timings of one benchmark row: total throughput plus per-operation latency percentiles.
struct Measurement {
    var name: String
    var bytes: Int64 = 0
    var operations = 0
    var elapsed: Duration = .zero
    var latencies: [Duration] = []

    var megabytesPerSecond: Double {
        Double(bytes) / 1_048_576 / elapsed.seconds
    }

    func percentile(_ fraction: Double) -> Duration {
        guard !latencies.isEmpty else { return .zero }
        let sorted = latencies.sorted()
        return sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
    }
}

extension Duration {
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    var microseconds: Double { seconds * 1e6 }
}

enum Table {
    static func print(title: String, rows: [Measurement], reference: String) {
        Swift.print("\n## \(title)  (reference: \(reference))")
        Swift.print(
            pad("case", 38) + pad("MB/s", 10) + pad("ops", 10) + pad("p50 µs", 10) + pad("p99 µs", 10) + "vs reference")
        let baseline = rows.first?.megabytesPerSecond ?? 0
        for row in rows {
            let relative = baseline > 0 ? String(format: "%.0f%%", row.megabytesPerSecond / baseline * 100) : "-"
            Swift.print(
                pad(row.name, 38) + pad(row.bytes > 0 ? String(format: "%.0f", row.megabytesPerSecond) : "-", 10)
                    + pad("\(row.operations)", 10)
                    + pad(row.latencies.isEmpty ? "-" : String(format: "%.0f", row.percentile(0.5).microseconds), 10)
                    + pad(row.latencies.isEmpty ? "-" : String(format: "%.0f", row.percentile(0.99).microseconds), 10)
                    + relative
            )
        }
    }

    /// For work measured in operations rather than bytes: rate, latency percentiles, and
    /// each row's p50 beside the first row's.
    static func printRates(title: String, rows: [Measurement], reference: String, unit: String = "ops/s") {
        Swift.print("\n## \(title)  (reference: \(reference))")
        Swift.print(pad("case", 44) + pad(unit, 12) + pad("p50 µs", 10) + pad("p99 µs", 10) + "p50 vs reference")
        let baseline = rows.first?.percentile(0.5).microseconds ?? 0
        for row in rows {
            let p50 = row.percentile(0.5).microseconds
            Swift.print(
                pad(row.name, 44) + pad(String(format: "%.0f", Double(row.operations) / row.elapsed.seconds), 12)
                    + pad(String(format: "%.1f", p50), 10)
                    + pad(String(format: "%.1f", row.percentile(0.99).microseconds), 10)
                    + (baseline > 0 ? String(format: "%.2f×", p50 / baseline) : "-")
            )
        }
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}

/// Peak resident memory of this process so far, in MB.
func peakRSSMegabytes() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

/// Runs a command and returns how long it took.
func timeCommand(_ path: String, _ arguments: [String]) throws -> Duration {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let start = ContinuousClock.now
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw CocoaError(.executableLoad) }
    return ContinuousClock.now - start
}

/// Runs `body` `count` times, timing each call and the whole.
func measure(_ name: String, count: Int, _ body: (Int) async throws -> Void) async throws -> Measurement {
    var row = Measurement(name: name, operations: count)
    row.latencies.reserveCapacity(count)
    let clock = ContinuousClock()
    let start = clock.now
    for index in 0..<count {
        let began = clock.now
        try await body(index)
        row.latencies.append(clock.now - began)
    }
    row.elapsed = clock.now - start
    return row
}

/// `count` calls of `body` shared by `clients` callers that each wait for one answer before
/// their next call: per-call latencies and the wall time of the whole.
func measureConcurrently(
    _ name: String, clients: Int, count: Int, _ body: @escaping @Sendable (Int) async throws -> Void
) async throws -> Measurement {
    var row = Measurement(name: name, operations: count)
    let start = ContinuousClock.now
    row.latencies = try await withThrowingTaskGroup(of: [Duration].self) { group in
        for client in 0..<clients {
            group.addTask {
                var latencies: [Duration] = []
                for index in stride(from: client, to: count, by: clients) {
                    let began = ContinuousClock.now
                    try await body(index)
                    latencies.append(ContinuousClock.now - began)
                }
                return latencies
            }
        }
        return try await group.reduce(into: []) { $0 += $1 }
    }
    row.elapsed = ContinuousClock.now - start
    return row
}
