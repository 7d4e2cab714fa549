import ComputeExecutors
import ComputeWire
import DataClient
import Foundation
import Logging
import Platform

/// Runs one assigned job on this node from start (or from wherever a restarted agent finds it)
/// to its final report: fetch code and datasets, launch in the executor, report running, pump
/// its log, upload what it wrote under /output to its run, report how it ended, clean up. The
/// end is reported only after the outputs are in data, so `job.succeeded` means they are there.
struct JobRunner: Sendable {
    let executor: any Executor
    let data: DataClient
    let compute: ComputeClient
    let inputs: JobInputs
    /// Opened for a job that serves an endpoint while it runs.
    let endpoints: JobEndpoints
    let settings: AgentSettings
    let logger: Logger

    /// `attach`: the job was launched by an earlier agent; follow it instead of starting it.
    func run(_ assignment: Assignment, attach: Bool) async {
        let jobID = assignment.jobId
        var logger = logger
        logger[metadataKey: "job"] = "\(jobID)"
        do {
            if !attach {
                do {
                    try await start(assignment)
                } catch let error as JobInputs.SetupError {
                    try await finish(
                        assignment, JobReport(state: "failed", reason: "setup_failed", message: error.description))
                    return
                } catch let error as ExecutorError {
                    try await finish(
                        assignment, JobReport(state: "failed", reason: "start_failed", message: error.message))
                    return
                }
                try await compute.report(jobID, JobReport(state: "running"))
            } else {
                executor.attach(jobID)
            }
            if let key = assignment.endpointKey {
                try endpoints.open(jobID, key: key, workDirectory: executor.directories(of: jobID).work)
            }
            let pump = JobLogPump(
                executor: executor, data: data, compute: compute, assignment: assignment, offsetFile: offsetFile(jobID))
            try await pump.run()
            let result = await executor.wait(for: jobID)
            // A cancelled wait answers a made-up result: the agent is stopping, the job is not.
            try Task.checkCancellation()
            let uploadProblem = await uploadOutputs(assignment)
            var report = Self.report(
                for: result, memoryMB: assignment.resources.memoryMB, diskMB: Self.diskMB(of: assignment),
                timeout: assignment.timeoutSeconds, workers: assignment.workers)
            if let uploadProblem, report.state == "succeeded" {
                report = JobReport(
                    state: "failed", reason: "output_upload_failed", message: uploadProblem, exitCode: report.exitCode,
                    usage: report.usage)
            }
            try await finish(assignment, report)
        } catch is CancellationError {
            logger.info("agent stopping; the job goes on and is re-attached at the next start")
        } catch let error as PeerError where error.code == "job_not_on_node" {
            logger.warning("compute no longer assigns this job here; stopping it", metadata: ["error": "\(error)"])
            try? await executor.cancel(jobID)
            try? cleanUp(jobID)
        } catch {
            logger.error("running the job failed", metadata: ["error": "\(error)"])
            try? await executor.cancel(jobID)
            try? await finish(assignment, JobReport(state: "failed", reason: "agent_error", message: "\(error)"))
        }
    }

    private func start(_ assignment: Assignment) async throws {
        // Compute refuses such a job at submission; an assignment that has one anyway must not
        // quietly run with fewer workers than the job's script waits for.
        if assignment.workers > 1, ImageExecutors.runsImages(executor.kind) {
            throw ExecutorError(
                .invalidJob,
                "the \(executor.kind) executor runs one worker per job, and this job asks for \(assignment.workers); submit it to a queue with local or slurm nodes"
            )
        }
        let directories = try await executor.prepare(jobId: assignment.jobId, diskMB: Self.diskMB(of: assignment))
        try await inputs.unpackCode(assignment, into: directories.work)
        if assignment.endpointKind == TerminalSession.kind {
            try TerminalServer.install(inWorkDirectory: directories.work)
        }
        if assignment.command == DDLContract.command,
            !FileManager.default.fileExists(atPath: directories.work.appendingPathComponent(DDLContract.entryFile).path)
        {
            throw JobInputs.SetupError(
                description:
                    "the code package has no \(DDLContract.entryFile) at its root (the DDL contract needs main(dataset_dir, model_output_dir) there)"
            )
        }
        var environment = assignment.environment
        environment["MLEX_JOB_ID"] = assignment.jobId
        environment["MLEX_RUN_ID"] = assignment.runId
        environment["MLEX_PROJECT_ID"] = assignment.projectId
        environment["MLEX_DATASET_DIR"] = "/data"
        environment["MLEX_OUTPUT_DIR"] = "/output"
        environment["MLEX_PARAMS"] = JSONValue.object(assignment.params).jsonText
        // Progress lines must reach the agent while the job runs, not when Python exits.
        environment["PYTHONUNBUFFERED"] = environment["PYTHONUNBUFFERED"] ?? "1"
        if assignment.endpointKey != nil { environment[JobEndpoints.environmentName] = JobEndpoints.socketInSandbox }
        // Locally every worker sees all the job's GPUs (each worker's count times the workers), as
        // under torchrun: a worker picks its own by LOCAL_RANK. A Slurm job's script replaces this
        // with the devices Slurm allocated (SlurmSandboxLine).
        if !assignment.gpuIds.isEmpty { environment["CUDA_VISIBLE_DEVICES"] = assignment.gpuIds.joined(separator: ",") }
        let job = SandboxJob(
            jobId: assignment.jobId, command: assignment.command, environment: environment,
            inputs: try await inputs.datasets(assignment),
            limits: ResourceLimits(
                cpus: assignment.resources.cpus, memoryMB: assignment.resources.memoryMB, pids: settings.pidsLimit,
                diskMB: Self.diskMB(of: assignment), gpus: assignment.resources.gpus),
            timeoutSeconds: assignment.timeoutSeconds, image: assignment.image, workers: assignment.workers
        )
        try await executor.launch(job)
    }

    /// Uploads every regular file under the job's output dir as `outputs/<path>` of its run;
    /// returns what went wrong, if anything. Symlinks are skipped: the job made them, the agent
    /// must not follow them out of its sandbox.
    private func uploadOutputs(_ assignment: Assignment) async -> String? {
        let output = executor.directories(of: assignment.jobId).output
        guard
            let walker = FileManager.default.enumerator(
                at: output, includingPropertiesForKeys: [.isRegularFileKey, .isSymbolicLinkKey])
        else { return nil }
        var problems: [String] = []
        for case let file as URL in walker {
            guard let values = try? file.resourceValues(forKeys: [.isRegularFileKey, .isSymbolicLinkKey]),
                values.isRegularFile == true, values.isSymbolicLink != true
            else { continue }
            let relative = String(file.path.dropFirst(output.path.count + 1))
            do {
                try await data.upload(file, to: .run(assignment.runId), path: JobOutputs.prefix + relative)
            } catch {
                problems.append("\(relative): \(error)")
            }
        }
        if !problems.isEmpty {
            try? await data.appendLogs(
                run: assignment.runId,
                problems.map { ["level": "error", "message": .string("output not uploaded: \($0)")] })
            return "\(problems.count) output file(s) could not be uploaded; the first: \(problems[0])"
        }
        return nil
    }

    /// Reports the end (retrying until compute has it) and removes the job's local traces.
    private func finish(_ assignment: Assignment, _ report: JobReport) async throws {
        var failures = 0
        while true {
            do {
                try await compute.report(assignment.jobId, report)
                break
            } catch let error as PeerError where error.status < 500 && error.code != "job_not_on_node" {
                logger.error(
                    "compute refused the job's end report",
                    metadata: ["job": "\(assignment.jobId)", "error": "\(error)"])
                break
            } catch let error as PeerError where error.code == "job_not_on_node" {
                break
            } catch {
                failures += 1
                try await Task.sleep(for: Retry.backoff(after: failures))
            }
        }
        try cleanUp(assignment.jobId)
    }

    private func cleanUp(_ jobID: String) throws {
        endpoints.close(jobID)
        do {
            try executor.remove(jobID)
        } catch let error as ExecutorError where error.code == .notFound {}  // never launched
        try? FileManager.default.removeItem(at: offsetFile(jobID))
    }

    func offsetFile(_ jobID: String) -> URL {
        settings.stateDirectory.appendingPathComponent("offsets", isDirectory: true).appendingPathComponent(jobID)
    }

    /// The job's disk; one submitted before jobs had disks names none and gets the executors' default.
    static func diskMB(of assignment: Assignment) -> Int {
        assignment.resources.diskMB ?? ResourceLimits.defaultDiskMB
    }

    /// How the executor's outcome reads as a job's end (same states and reasons for every
    /// executor). A job of several workers fails as its first failing worker did, and says which:
    /// the executor's message begins "rank <r>: ", and so does the report's.
    static func report(
        for result: ExecutionResult, memoryMB: Int, diskMB: Int, timeout: Int?, workers: Int
    ) -> JobReport {
        var report = report(for: result, memoryMB: memoryMB, diskMB: diskMB, timeout: timeout)
        if workers > 1, report.state == "failed", let rank = rankPrefix(of: result.message),
            let message = report.message, !message.hasPrefix(rank)
        {
            report.message = rank + message
        }
        return report
    }

    /// "rank 3: " when `message` begins so (the executors' way of naming a failed worker).
    static func rankPrefix(of message: String?) -> String? {
        guard let message, message.hasPrefix("rank ") else { return nil }
        let rank = message.dropFirst("rank ".count).prefix { $0.isASCII && $0.isNumber }
        guard !rank.isEmpty, message.dropFirst("rank ".count + rank.count).hasPrefix(": ") else { return nil }
        return "rank \(rank): "
    }

    private static func report(for result: ExecutionResult, memoryMB: Int, diskMB: Int, timeout: Int?) -> JobReport {
        let usage = result.usage
        let code = result.exitCode.map(Int.init)
        switch result.reason {
        case .exited where result.exitCode == 0:
            return JobReport(
                state: "succeeded", reason: "exit_code", message: "exited with code 0", exitCode: 0, usage: usage)
        case .exited:
            return JobReport(
                state: "failed", reason: "exit_code", message: "exited with code \(code ?? -1)", exitCode: code,
                usage: usage)
        case .signaled:
            return JobReport(
                state: "failed", reason: "signal", message: "killed by signal \(result.signal ?? 0)",
                exitCode: code ?? 128 + Int(result.signal ?? 0), usage: usage)
        case .oomKilled:
            return JobReport(
                state: "failed", reason: "oom_killed",
                message: "killed by the kernel: it used more than its memory limit of \(memoryMB) MB",
                exitCode: code ?? 137, usage: usage)
        case .diskLimit:
            return JobReport(
                state: "failed", reason: "disk_limit",
                message: "ran out of disk: /job, /output and /tmp together may hold \(diskMB) MB (resources.diskMB)",
                exitCode: code, usage: usage)
        case .timedOut:
            return JobReport(
                state: "timed_out", reason: "timeout",
                message: "ran longer than its timeout of \(timeout ?? 0) seconds and was killed", exitCode: code,
                usage: usage)
        case .cancelled:
            return JobReport(
                state: "cancelled", reason: "cancelled", message: "cancelled; its processes were killed",
                exitCode: code, usage: usage)
        case .startFailed:
            return JobReport(
                state: "failed", reason: "start_failed", message: result.message ?? "the sandbox did not start",
                exitCode: code, usage: usage)
        case .supervisorLost:
            return JobReport(
                state: "failed", reason: "supervisor_lost",
                message: result.message ?? "the job's supervisor died; its outcome is unknown", exitCode: code,
                usage: usage)
        }
    }
}
