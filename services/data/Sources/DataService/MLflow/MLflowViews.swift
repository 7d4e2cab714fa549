import Platform

/// Our experiments and runs as MLflow's client parses them (protobuf JSON, snake_case, times in
/// epoch milliseconds, lists of `{key, value}` where we keep objects).
enum MLflowViews {
    /// MLflow's `Experiment`: `artifact_location` is the proxied-artifact URI the client
    /// resolves against its tracking URI (docs/mlflow.md).
    static func experiment(_ experiment: Experiment) -> JSONValue {
        var view: [String: JSONValue] = [
            "experiment_id": .string(experiment.id), "name": .string(experiment.name),
            "artifact_location": .string("mlflow-artifacts:/\(experiment.id)"),
            "lifecycle_stage": .string(lifecycleStage(experiment.lifecycle)),
            "tags": .array((experiment.tags ?? []).map { ["key": .string($0.key), "value": .string($0.value)] }),
        ]
        view["creation_time"] = MLflowTime.millis(experiment.createdAt).map(JSONValue.int)
        view["last_update_time"] = MLflowTime.millis(experiment.updatedAt ?? experiment.createdAt).map(JSONValue.int)
        return .object(view)
    }

    static func lifecycleStage(_ lifecycle: Lifecycle) -> String {
        lifecycle == .trashed ? "deleted" : "active"
    }

    /// MLflow's `RunInfo`.
    static func runInfo(_ run: Run) -> JSONValue {
        var info: [String: JSONValue] = [
            "run_id": .string(run.id), "run_uuid": .string(run.id), "experiment_id": .string(run.experimentId),
            "run_name": .string(run.name), "user_id": .string(run.createdBy),
            "status": .string(status(run.status)),
            "artifact_uri": .string("mlflow-artifacts:/\(run.experimentId)/\(run.id)/artifacts"),
            "lifecycle_stage": .string(lifecycleStage(run.lifecycle)),
        ]
        info["start_time"] = MLflowTime.millis(run.startTime).map(JSONValue.int)
        info["end_time"] = MLflowTime.millis(run.endTime).map(JSONValue.int)
        return .object(info)
    }

    /// MLflow's `Run`: info, data (latest metrics, params as text, tags), inputs and outputs.
    static func run(_ run: Run, inputs: JSONValue = [:], outputs: JSONValue = [:]) -> JSONValue {
        var metrics: [JSONValue] = []
        metrics.reserveCapacity(run.metrics.stored.count)
        for (encoded, value) in run.metrics.stored {
            let summary = run.metricSummaries.stored[encoded]
            metrics.append([
                "key": .string(FieldKey.decode(encoded)), "value": MetricValue.read(value).map(metricValue) ?? value,
                "timestamp": summary?["timestamp"] ?? 0, "step": summary?["step"] ?? 0,
            ])
        }
        let params = run.params.stored.map { encoded, value -> JSONValue in
            ["key": .string(FieldKey.decode(encoded)), "value": .string(text(of: value))]
        }
        let tags = run.tags.stored.map { encoded, value -> JSONValue in
            ["key": .string(FieldKey.decode(encoded)), "value": .string(text(of: value))]
        }
        return [
            "info": runInfo(run),
            "data": ["metrics": .array(metrics), "params": .array(params), "tags": .array(tags)],
            "inputs": inputs, "outputs": outputs,
        ]
    }

    /// A metric value as MLflow's server answers it: protobuf's JSON mapping writes a NaN as the
    /// string "NaN", which its client reads back as `float("nan")`. (±Infinity never gets here:
    /// it is clamped on the way in, `MetricValue`.)
    static func metricValue(_ value: Double) -> JSONValue {
        value.isNaN ? .string("NaN") : .double(value)
    }

    /// What `metricValue` answers, for the OpenAPI document.
    static let metricValueSchema: JSONValue = ["anyOf": [Schema.number, ["enum": ["NaN"]]]]

    /// A param or tag as MLflow's text: params logged through our own API may be numbers or booleans.
    static func text(of value: JSONValue) -> String {
        switch value {
        case .string(let text): text
        case .int(let number): String(number)
        case .double(let number): String(number)
        case .bool(let flag): String(flag)
        case .null: ""
        default: value.jsonText
        }
    }

    static func status(_ status: RunStatus) -> String { status.rawValue.uppercased() }

    /// MLflow's `RunStatus` by name (or by its protobuf number, 1–5).
    static func status(_ value: JSONValue, field: String) throws -> RunStatus {
        let byNumber: [Int64: RunStatus] = [1: .running, 2: .scheduled, 3: .finished, 4: .failed, 5: .killed]
        if let number = try? MLflowMessage.int64(value, field: field), let status = byNumber[number] { return status }
        guard let name = value.stringValue, let status = RunStatus(rawValue: name.lowercased()) else {
            throw APIError.invalidField(field, "\(field) is one of RUNNING, SCHEDULED, FINISHED, FAILED, KILLED")
        }
        return status
    }

    /// MLflow's `ViewType` (ACTIVE_ONLY, DELETED_ONLY, ALL, or 1–3) as the lifecycle it keeps; nil is all.
    static func lifecycle(viewType value: JSONValue?, field: String) throws -> Lifecycle? {
        switch value {
        case nil, .null?, .string("ACTIVE_ONLY")?, .int(1)?, .string("1")?: return .active
        case .string("DELETED_ONLY")?, .int(2)?, .string("2")?: return .trashed
        case .string("ALL")?, .int(3)?, .string("3")?: return nil
        default: throw APIError.invalidField(field, "\(field) is ACTIVE_ONLY, DELETED_ONLY or ALL")
        }
    }
}
