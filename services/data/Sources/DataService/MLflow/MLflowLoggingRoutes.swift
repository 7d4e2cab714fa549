import Auth
import Foundation
import Hummingbird
import Platform

/// MLflow's logging calls: log-metric, log-parameter, log-batch, set-tag, delete-tag, log-inputs,
/// outputs and log-model, each answered `{}` as MLflow's server does.
enum MLflowLoggingRoutes {
    static let keyValue = Schema.object(["key": Schema.string, "value": Schema.string])
    static let metric = Schema.object([
        "key": Schema.string, "value": MetricValue.inputSchema, "timestamp": Schema.integer, "step": Schema.integer,
    ])
    static let empty = Schema.object([:])

    static func register(_ api: APIBuilder<AuthRequestContext>, _ tracking: MLflowTracking) {
        let logging = MLflowRunLogging(core: tracking.core)
        let io = MLflowRunInputs(store: tracking.core.store)
        let tags = ["mlflow"]

        MLflowScope.on(
            api, .post, "runs/log-batch",
            OperationDoc(
                "MLflow LogBatch: up to 1000 metrics, 100 params and 100 tags (1000 in all) in one request (editors)",
                tags: tags,
                body: Schema.object([
                    "run_id": Schema.string, "metrics": Schema.array(of: metric),
                    "params": Schema.array(of: keyValue), "tags": Schema.array(of: keyValue),
                ]),
                response: empty)
        ) { request, context in
            let message = try await MLflowMessage.body(of: request, context: context)
            let metrics = try message.messages("metrics")
            let params = try message.messages("params")
            let runTags = try message.messages("tags")
            try checkLimit(metrics.count, MLflowRunLogging.maxMetrics, "metrics")
            try checkLimit(params.count, MLflowRunLogging.maxParams, "params")
            try checkLimit(runTags.count, MLflowRunLogging.maxTags, "tags")
            try checkLimit(metrics.count + params.count + runTags.count, MLflowRunLogging.maxEntities, "entities")
            let batch = try MLflowRunLogging.metricBatch(metrics, field: "metrics")
            let paramPairs = try MLflowTags.pairs(params, field: "params", maxValue: RunFieldRules.maxParamLength)
            let tagPairs = try MLflowTags.pairs(runTags, field: "tags", maxValue: RunFieldRules.maxTagLength)
            let run = try await tracking.run(message, context, needs: .editor)
            try await logging.logParams(paramPairs, to: run)
            try await logging.logMetrics(batch, to: run)
            try await logging.setTags(tagPairs, on: run)
            return JSONResponse([:] as JSONValue)
        }

        MLflowScope.on(
            api, .post, "runs/log-metric",
            OperationDoc(
                "MLflow LogMetric: one point (editors)", tags: tags,
                body: Schema.object([
                    "run_id": Schema.string, "key": Schema.string, "value": MetricValue.inputSchema,
                    "timestamp": Schema.integer, "step": Schema.integer,
                ]),
                response: empty)
        ) { request, context in
            let message = try await MLflowMessage.body(of: request, context: context)
            let batch = try MLflowRunLogging.metricBatch([message.fields], field: "metric")
            let run = try await tracking.run(message, context, needs: .editor)
            try await logging.logMetrics(batch, to: run)
            return JSONResponse([:] as JSONValue)
        }

        MLflowScope.on(
            api, .post, "runs/log-parameter",
            OperationDoc(
                "MLflow LogParam: a param, as text, written once (editors)", tags: tags,
                body: Schema.object(["run_id": Schema.string, "key": Schema.string, "value": Schema.string]),
                response: empty)
        ) { request, context in
            let message = try await MLflowMessage.body(of: request, context: context)
            let pair = try MLflowTags.pairs([message.fields], field: "param", maxValue: RunFieldRules.maxParamLength)
            let run = try await tracking.run(message, context, needs: .editor)
            try await logging.logParams(pair, to: run)
            return JSONResponse([:] as JSONValue)
        }

        MLflowScope.on(
            api, .post, "runs/set-tag",
            OperationDoc(
                "MLflow SetTag; mlflow.runName renames the run (editors)", tags: tags,
                body: Schema.object(["run_id": Schema.string, "key": Schema.string, "value": Schema.string]),
                response: empty)
        ) { request, context in
            let message = try await MLflowMessage.body(of: request, context: context)
            let pair = try MLflowTags.pairs([message.fields], field: "tag", maxValue: RunFieldRules.maxTagLength)
            let run = try await tracking.run(message, context, needs: .editor)
            try await logging.setTags(pair, on: run)
            return JSONResponse([:] as JSONValue)
        }

        MLflowScope.on(
            api, .post, "runs/delete-tag",
            OperationDoc(
                "MLflow DeleteTag (editors)", tags: tags,
                body: Schema.object(["run_id": Schema.string, "key": Schema.string]), response: empty)
        ) { request, context in
            let message = try await MLflowMessage.body(of: request, context: context)
            let key = try message.string("key", required: true) ?? ""
            let run = try await tracking.run(message, context, needs: .editor)
            guard run.tags[key] != nil else {
                throw APIError.notFound("No tag with name: \(key) in run with id \(run.id)", field: "key")
            }
            try await tracking.core.runs.setTags([key: nil], on: run)
            return JSONResponse([:] as JSONValue)
        }

        MLflowScope.on(
            api, .post, "runs/log-inputs",
            OperationDoc(
                "MLflow LogInputs: the datasets (and logged models) a run read, recorded as given; GET /v1/runs/{id}/mlflow-io shows them (editors)",
                tags: tags,
                body: Schema.object([
                    "run_id": Schema.string, "datasets": Schema.array(of: Schema.anyObject),
                    "models": Schema.array(of: Schema.anyObject),
                ]),
                response: empty)
        ) { request, context in
            let message = try await MLflowMessage.body(of: request, context: context)
            var entries = try MLflowRunIO.datasetInputs(try message.messages("datasets"))
            entries += try MLflowRunIO.models(try message.messages("models"), kind: .modelInput, field: "models")
            let run = try await tracking.run(message, context, needs: .editor)
            try await io.record(entries, for: run)
            return JSONResponse([:] as JSONValue)
        }

        MLflowScope.on(
            api, .post, "runs/outputs",
            OperationDoc(
                "MLflow LogOutputs: the logged models a run wrote (editors)", tags: tags,
                body: Schema.object(["run_id": Schema.string, "models": Schema.array(of: Schema.anyObject)]),
                response: empty)
        ) { request, context in
            let message = try await MLflowMessage.body(of: request, context: context)
            let entries = try MLflowRunIO.models(try message.messages("models"), kind: .modelOutput, field: "models")
            let run = try await tracking.run(message, context, needs: .editor)
            try await io.record(entries, for: run)
            return JSONResponse([:] as JSONValue)
        }

        MLflowScope.on(
            api, .post, "runs/log-model",
            OperationDoc(
                "MLflow LogModel (MLflow 2's record of a logged model): appended to the run's mlflow.log-model.history tag (editors)",
                tags: tags,
                body: Schema.object(["run_id": Schema.string, "model_json": Schema.string]), response: empty)
        ) { request, context in
            let message = try await MLflowMessage.body(of: request, context: context)
            let modelJSON = try message.string("model_json", required: true) ?? ""
            guard let model = try? JSONValue.parse(modelJSON), model.objectValue != nil else {
                throw APIError.invalidField("model_json", "model_json is a JSON object")
            }
            let run = try await tracking.run(message, context, needs: .editor)
            let history = run.tags[MLflowRunIO.modelHistoryTag]?.stringValue.flatMap { try? JSONValue.parse($0) }
            let value = JSONValue.array((history?.arrayValue ?? []) + [model]).jsonText
            guard value.count <= RunFieldRules.maxTagLength else {
                throw APIError.invalidField("model_json", "the run's model history would exceed a tag's length")
            }
            try await logging.setTags([(MLflowRunIO.modelHistoryTag, value)], on: run)
            return JSONResponse([:] as JSONValue)
        }

        api.get(
            "/v1/runs/{id}/mlflow-io",
            OperationDoc(
                "What MLflow's client recorded a run read and wrote: dataset inputs as it described them, logged-model inputs and outputs (viewers)",
                tags: ["runs"],
                response: Schema.object(
                    ["items": Schema.array(of: Schema.anyObject)], required: ["items"]))
        ) { _, context in
            let run = try await tracking.core.run(try context.parameters.requireID("id"), context, needs: .viewer)
            let entries = try await io.entries(of: run.id).map { entry -> JSONValue in
                [
                    "kind": entry["kind"] ?? .null, "mlflow": entry["mlflow"] ?? .null,
                    "addedAt": entry["addedAt"] ?? .null,
                ]
            }
            return JSONResponse(["items": .array(entries)] as JSONValue)
        }
    }

    private static func checkLimit(_ count: Int, _ limit: Int, _ field: String) throws {
        guard count <= limit else {
            throw APIError.invalidField(
                field, "A batch logging request can contain at most \(limit) \(field); got \(count)")
        }
    }
}
