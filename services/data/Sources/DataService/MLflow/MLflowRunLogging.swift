import Auth
import Foundation
import Platform

/// How MLflow's logging calls write through our own write paths, so what they log is what our
/// API, `mlex` and the web UI show: metrics through `MetricSeriesStore.append` (one store batch
/// per request), params through `RunDirectory.logParams` (written once), tags through
/// `RunDirectory.setTags`. MLflow's rules apply on top: params are text, and a param logged again
/// with another value is `INVALID_PARAMETER_VALUE`; setting `mlflow.runName` renames the run.
struct MLflowRunLogging: Sendable {
    /// MLflow's LogBatch limits.
    static let maxMetrics = 1000
    static let maxParams = 100
    static let maxTags = 100
    static let maxEntities = 1000

    let core: DataCore

    /// MLflow `Metric` messages as one batch of our points (400 naming `<field>.<i>.<member>`).
    static func metricBatch(_ messages: [[String: JSONValue]], field: String) throws -> MetricBatch {
        let now = MLflowTime.nowMillis
        var points: [JSONValue] = []
        points.reserveCapacity(messages.count)
        for (index, message) in messages.enumerated() {
            let place = "\(field).\(index)"
            guard let key = message["key"]?.stringValue, !key.isEmpty else {
                throw APIError.invalidField("\(place).key", "missing value for required parameter 'key'")
            }
            // Protobuf's JSON mapping: a number, or a string ("NaN", "Infinity", "-Infinity", or
            // a number's text); NaN is kept and ±Infinity clamped as MLflow's server does (`MetricValue`).
            guard let given = message["value"], given != .null else {
                throw APIError.invalidField("\(place).value", "missing value for required parameter 'value'")
            }
            guard let value = MetricValue.input(given) ?? given.stringValue.flatMap(Double.init) else {
                throw APIError.invalidField("\(place).value", "a metric's value is a number")
            }
            points.append([
                "key": .string(key), "value": .double(value),
                "timestamp": .int(try MLflowMessage.int64(message["timestamp"], field: "\(place).timestamp") ?? now),
                "step": .int(try MLflowMessage.int64(message["step"], field: "\(place).step") ?? 0),
            ])
        }
        do {
            return try MetricBatch(body: ["points": .array(points)])
        } catch let error as APIError {
            // Our checks name `points.<i>…`; the client sent `<field>.<i>…`.
            throw APIError(
                error.status, code: error.code, message: error.message,
                field: error.field.map { $0.replacingOccurrences(of: "points", with: field) })
        }
    }

    func logMetrics(_ batch: MetricBatch, to run: Run) async throws {
        try await core.metrics.append(batch, to: run)
    }

    /// Params as MLflow logs them: text, written once. The same value again is accepted; the
    /// value another type of client logged (a number through our API) counts by its text.
    func logParams(_ params: [(key: String, value: String)], to run: Run) async throws {
        var new: [String: JSONValue] = [:]
        for (key, value) in params {
            if let existing = run.params[key] {
                guard MLflowViews.text(of: existing) == value else {
                    throw Self.paramChanged(key, from: MLflowViews.text(of: existing), to: value, run: run.id)
                }
            } else {
                new[key] = .string(value)
            }
        }
        guard !new.isEmpty else { return }
        do {
            try await core.runs.logParams(new, to: run)
        } catch let error as APIError where error.code == "param_conflict" {
            // Another request logged one of these keys meanwhile, with another value.
            throw APIError(.badRequest, code: "INVALID_PARAMETER_VALUE", message: error.message, field: error.field)
        }
    }

    static func paramChanged(_ key: String, from old: String, to new: String, run: String) -> APIError {
        APIError(
            .badRequest, code: "INVALID_PARAMETER_VALUE",
            message:
                "Changing param values is not allowed. Param with key='\(key)' was already logged with value='\(old)' for run ID='\(run)'. Attempted logging new value '\(new)'.",
            field: "params")
    }

    /// Sets tags; `mlflow.runName` also renames the run, as in MLflow.
    func setTags(_ tags: [(key: String, value: String)], on run: Run) async throws {
        guard !tags.isEmpty else { return }
        var values: [String: String?] = [:]
        for (key, value) in tags { values[key] = value }
        try await core.runs.setTags(values, on: run)
        if let name = tags.last(where: { $0.key == MLflowTags.runNameTag })?.value, !name.isEmpty, name != run.name {
            var renamed = run
            renamed.name = try Validate.name(name, field: "value")
            _ = try await core.runs.entities.update(run, to: renamed, verb: nil)
        }
    }
}
