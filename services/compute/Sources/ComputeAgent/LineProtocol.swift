import Foundation
import Platform

/// The lines a job prints to report, since it has no network (docs/design.md §4):
/// `::mlex progress 0.42 optional message`, `::mlex metric <key> <value> [step]`,
/// `::mlex param <key> <value>`, `::mlex tag <key> <value>`. Everything else is log; a line
/// that starts with `::mlex` but does not parse stays in the log with the reason.
enum LineProtocol {
    enum Line: Equatable {
        case log(String)
        case progress(Double, message: String?)
        case metric(key: String, value: Double, step: Int64?)
        case param(key: String, value: String)
        case tag(key: String, value: String)
        case malformed(String, reason: String)
    }

    static let marker = "::mlex "

    static func parse(_ text: String) -> Line {
        guard text.hasPrefix(marker) else { return .log(text) }
        let words = text.dropFirst(marker.count).split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
        guard let verb = words.first else { return .malformed(text, reason: "no verb after ::mlex") }
        switch verb {
        case "progress":
            guard words.count >= 2, let value = Double(words[1]), value.isFinite, (0...1).contains(value) else {
                return .malformed(text, reason: "progress takes a number from 0 to 1")
            }
            return .progress(value, message: words.count == 3 ? String(words[2]) : nil)
        case "metric":
            let parts = text.dropFirst(marker.count).split(separator: " ", omittingEmptySubsequences: true)
            guard (3...4).contains(parts.count), let written = Double(parts[2]) else {
                return .malformed(text, reason: "metric takes a key, a number and an optional integer step")
            }
            // As data and MLflow's server keep them: NaN as NaN (a diverging loss), ±inf as the
            // largest double of its sign.
            let value = written.clampedToFinite
            var step: Int64?
            if parts.count == 4 {
                guard let given = Int64(parts[3]) else {
                    return .malformed(text, reason: "a metric's step is an integer")
                }
                step = given
            }
            return .metric(key: String(parts[1]), value: value, step: step)
        case "param", "tag":
            guard words.count == 3 else { return .malformed(text, reason: "\(verb) takes a key and a value") }
            return verb == "param"
                ? .param(key: String(words[1]), value: String(words[2]))
                : .tag(key: String(words[1]), value: String(words[2]))
        default:
            return .malformed(text, reason: "unknown ::mlex verb \(verb); known: progress, metric, param, tag")
        }
    }
}
