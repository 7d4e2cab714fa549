import Auth
import Foundation
import Hummingbird
import Platform

/// MLflow's run calls on our runs: create, get, update, delete (to our trash) and restore.
/// A run's user is the caller (our user id); the client's `mlflow.user` tag stays a tag.
enum MLflowRunRoutes {
    static let runIDBody = Schema.object(["run_id": Schema.string], required: ["run_id"])
    static let run = Schema.object(
        ["info": Schema.anyObject, "data": Schema.anyObject, "inputs": Schema.anyObject], required: ["info", "data"])

    static func register(_ api: APIBuilder<AuthRequestContext>, _ tracking: MLflowTracking) {
        let core = tracking.core
        let runs = core.runs
        let tags = ["mlflow"]

        MLflowScope.on(
            api, .post, "runs/create",
            OperationDoc(
                "MLflow CreateRun: a running run in the experiment (\"0\": the project's Default) (editors)",
                tags: tags,
                body: Schema.object([
                    "experiment_id": Schema.string, "user_id": Schema.string, "run_name": Schema.string,
                    "start_time": Schema.integer,
                    "tags": Schema.array(of: Schema.object(["key": Schema.string, "value": Schema.string])),
                ]),
                response: Schema.object(["run": run], required: ["run"]))
        ) { request, context in
            let message = try await MLflowMessage.body(of: request, context: context)
            let experimentID = try message.string("experiment_id") ?? MLflowTracking.defaultExperimentID
            var runTags = try MLflowTags.pairs(
                try message.messages("tags"), field: "tags", maxValue: RunFieldRules.maxTagLength)
            let startMillis = try message.int64("start_time").flatMap { $0 > 0 ? $0 : nil } ?? MLflowTime.nowMillis
            let startTime = try MLflowTime.text(startMillis, field: "start_time")
            let experiment = try await tracking.experiment(experimentID, context, needs: .editor)
            // MLflow names a run by `run_name`, else by its `mlflow.runName` tag; the two agree.
            let tagged = runTags.last { $0.key == MLflowTags.runNameTag }?.value
            let id = ID.make()
            let name = try Validate.name(
                try message.string("run_name") ?? tagged.flatMap { $0.isEmpty ? nil : $0 } ?? "run-\(id.suffix(8))",
                field: "run_name")
            runTags.removeAll { $0.key == MLflowTags.runNameTag }
            runTags.append((MLflowTags.runNameTag, name))
            // A nested run names its parent in a tag; our runs keep the link too (when it is a run of the project).
            var parent = Presence<String>.null
            if let parentID = runTags.last(where: { $0.key == MLflowTags.parentRunTag })?.value, ID.isValid(parentID),
                let found = try await runs.run(id: parentID), found.projectId == experiment.projectId
            {
                parent = .present(found.id)
            }
            let now = Timestamp.now
            let created = Run(
                id: id, projectId: experiment.projectId, experimentId: experiment.id, name: name, status: .running,
                startTime: startTime, endTime: nil, createdBy: try context.requirePrincipal().id, parentRunId: parent,
                source: RunSource(),
                params: RunFields(),
                tags: RunFields(named: Dictionary(runTags.map { ($0.key, JSONValue.string($0.value)) }) { $1 }),
                metrics: RunFields(), metricSummaries: RunFields(), lifecycle: .active, createdAt: now,
                updatedAt: now, trashedAt: .absent, exitCode: nil)
            try await runs.create(created)
            return JSONResponse(["run": MLflowViews.run(created, inputs: ["dataset_inputs": []])] as JSONValue)
        }

        MLflowScope.on(
            api, .get, "runs/get",
            OperationDoc(
                "MLflow GetRun: info, latest metrics, params, tags and dataset inputs (viewers)", tags: tags,
                query: [.init("run_id", Schema.string, "the run's id", required: true)],
                response: Schema.object(["run": run], required: ["run"]))
        ) { request, context in
            let found = try await tracking.run(MLflowMessage.query(of: request), context, needs: .viewer)
            let (inputs, outputs) = try await MLflowRunInputs(store: core.store).views(of: found.id)
            return JSONResponse(["run": MLflowViews.run(found, inputs: inputs, outputs: outputs)] as JSONValue)
        }

        MLflowScope.on(
            api, .post, "runs/update",
            OperationDoc(
                "MLflow UpdateRun: status, end_time and run_name; a terminal status announces run.finished (editors)",
                tags: tags,
                body: Schema.object([
                    "run_id": Schema.string, "run_uuid": Schema.string,
                    "status": Schema.enumeration(["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"]),
                    "end_time": Schema.integer, "run_name": Schema.string,
                ]),
                response: Schema.object(["run_info": Schema.anyObject], required: ["run_info"]))
        ) { request, context in
            let message = try await MLflowMessage.body(of: request, context: context)
            let found = try await tracking.run(message, context, needs: .editor)
            let updated = try await update(found, with: message, runs: runs)
            return JSONResponse(["run_info": MLflowViews.runInfo(updated)] as JSONValue)
        }

        MLflowScope.on(
            api, .post, "runs/delete",
            OperationDoc("MLflow DeleteRun: to our trash, restorable (editors)", tags: tags, body: runIDBody)
        ) { request, context in
            let message = try await MLflowMessage.body(of: request, context: context)
            let found = try await tracking.anyRun(message, context, needs: .editor)
            try await runs.entities.remove(found, purge: false)
            return JSONResponse([:] as JSONValue)
        }

        MLflowScope.on(
            api, .post, "runs/restore",
            OperationDoc("MLflow RestoreRun: out of our trash (editors)", tags: tags, body: runIDBody)
        ) { request, context in
            let message = try await MLflowMessage.body(of: request, context: context)
            let found = try await tracking.anyRun(message, context, needs: .editor)
            _ = try await runs.entities.restore(found)
            return JSONResponse([:] as JSONValue)
        }
    }

    /// MLflow's UpdateRun: unlike our PATCH, any status may follow any other (its client sets a
    /// finished run RUNNING again when a script resumes it). Moving to a terminal status sets the
    /// end time and announces `run.finished`, as our own API does.
    static func update(_ run: Run, with message: MLflowMessage, runs: RunDirectory) async throws -> Run {
        var changed = run
        var verb: String?
        if let statusValue = message.fields["status"], statusValue != .null {
            let status = try MLflowViews.status(statusValue, field: "status")
            if status != run.status {
                changed.status = status
                if status.isTerminal { verb = "finished" }
            }
        }
        if let endMillis = try message.int64("end_time") {
            changed.endTime = try MLflowTime.text(endMillis, field: "end_time")
        } else if changed.status.isTerminal, changed.status != run.status {
            changed.endTime = Timestamp.now
        }
        if let name = try message.string("run_name") {
            changed.name = try Validate.name(name, field: "run_name")
        }
        if changed.name != run.name {
            try await runs.setTags([MLflowTags.runNameTag: changed.name], on: run)
        }
        guard changed != run else { return run }
        return try await runs.entities.update(run, to: changed, verb: verb)
    }
}
