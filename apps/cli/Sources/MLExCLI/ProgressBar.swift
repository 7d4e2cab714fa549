import Foundation
import MLExClient
import Synchronization

/// A transfer's progress on stderr: a bar redrawn in place (bytes, rate, ETA) on a terminal;
/// on anything else (CI logs, pipes) one line when it starts and one when it ends.
final class ProgressBar: Sendable {
    private let label: String
    private let total: Int64
    private let interactive: Bool
    private let started = Date()
    private let lastDraw = Mutex(Date.distantPast)

    init(_ label: String, total: Int64, interactive: Bool = Console.stderrIsTerminal) {
        self.label = label
        self.total = total
        self.interactive = interactive
        // Off a terminal a big transfer says when it starts; every transfer says when it ends.
        if !interactive, total >= 1 << 20 { Console.note("\(label): \(Console.bytes(total))…") }
    }

    var reporter: TransferProgress { { [self] done, _ in self.update(done) } }

    func update(_ done: Int64) {
        guard interactive else { return }
        let now = Date()
        let due = lastDraw.withLock { last in
            guard now.timeIntervalSince(last) >= 0.1 || done >= total else { return false }
            last = now
            return true
        }
        guard due else { return }
        let elapsed = max(now.timeIntervalSince(started), 0.001)
        let rate = Double(done) / elapsed
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let fraction = total > 0 ? min(Double(done) / Double(total), 1) : 1
        let width = 24
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        let text =
            "\r\(label) \(bar) \(Int(fraction * 100))% \(Console.bytes(done))/\(Console.bytes(total)) \(Console.bytes(Int64(rate)))/s ETA \(Self.duration(eta))\u{1B}[K"
        Console.write(text, to: STDERR_FILENO)
    }

    func finish() {
        let elapsed = Date().timeIntervalSince(started)
        let rate = Console.bytes(Int64(Double(total) / max(elapsed, 0.001)))
        let summary = "\(label): \(Console.bytes(total)) in \(String(format: "%.1f", elapsed)) s (\(rate)/s)"
        if interactive {
            Console.write("\r\(summary)\u{1B}[K\n", to: STDERR_FILENO)
        } else {
            Console.note(summary)
        }
    }

    static func duration(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded())
        return whole >= 3600
            ? "\(whole / 3600)h\(whole % 3600 / 60)m" : whole >= 60 ? "\(whole / 60)m\(whole % 60)s" : "\(whole)s"
    }
}
