import ComputeAgent
import ComputeExecutors
import ComputeService
import Foundation
import Logging
import Platform

/// Compute's two goals, beside their references in the same run: how soon a trivial job runs
/// after its submission (local executor, agent beside compute) against the same command started
/// directly under bubblewrap in a cgroup (the floor: what sandboxing itself costs), and how many
/// submissions per second the API accepts against data's run creation alone (which each
/// submission includes).
struct ComputeBenchmark {
    let directory: URL
    let jobs: Int
    let submissions: Int

    func run() async throws {
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let state = directory.appendingPathComponent("state")
        let services = try await BenchServices.start(directory: state)
        defer { services.stop() }
        let (computeTask, agentTask, compute) = try await Self.startCompute(state: state, services: services)
        defer {
            agentTask.cancel()
            computeTask.cancel()
        }
        let project = try await services.client.call("POST", "/v1/projects", #"{"name": "compute"}"#)["id"]!
            .stringValue!

        let floor = try sandboxFloor(work: directory.appendingPathComponent("floor"))
        let trivial =
            #"{"projectId": "\#(project)", "command": ["/bin/true"], "resources": {"cpus": 0.1, "memoryMB": 64}}"#
        let (toRunning, toDone) = try await Self.submitOneByOne(
            trivial, count: jobs, executor: "local executor", compute: compute)
        Table.printRates(
            title: "compute: a trivial job from submission to running, \(jobs) jobs one after another",
            rows: [floor, toRunning, toDone], reference: "bwrap + cgroups directly, spawn to exit of /bin/true")

        try await submissionRates(project: project, services: services, compute: compute)
    }

    /// Submits `spec` `count` times, each after the previous one succeeded: submission → running
    /// and submission → succeeded, from the job's own transition times.
    static func submitOneByOne(
        _ spec: String, count: Int, executor: String, compute: APIClient
    ) async throws -> (running: Measurement, succeeded: Measurement) {
        var toRunning = Measurement(name: "POST /v1/jobs → running (\(executor))", operations: count)
        var toDone = Measurement(name: "POST /v1/jobs → succeeded (\(executor))", operations: count)
        let started = ContinuousClock.now
        for _ in 0..<count {
            let submitted = Date()
            let id = try await compute.call("POST", "/v1/jobs", spec)["id"]!.stringValue!
            var job: JSONValue = .null
            repeat {
                job = try await compute.call("GET", "/v1/jobs/\(id)")
                if job["state"] == "succeeded" { break }
                guard job["state"] != "failed" else {
                    throw CocoaError(
                        .executableLoad, userInfo: [NSLocalizedDescriptionKey: "bench job failed: \(job.jsonText)"])
                }
                try await Task.sleep(for: .milliseconds(2))
            } while true
            let running = Timestamp.parse(job["startedAt"]!.stringValue!)!
            let ended = Timestamp.parse(job["endedAt"]!.stringValue!)!
            toRunning.latencies.append(.milliseconds(Int64(running.timeIntervalSince(submitted) * 1000)))
            toDone.latencies.append(.milliseconds(Int64(ended.timeIntervalSince(submitted) * 1000)))
        }
        toRunning.elapsed = ContinuousClock.now - started
        toDone.elapsed = toRunning.elapsed
        return (toRunning, toDone)
    }

    /// Submissions accepted per second with 16 clients, while a job holding the whole node keeps
    /// them queued (so the node is not what is measured); then they are cancelled.
    private func submissionRates(project: String, services: BenchServices, compute: APIClient) async throws {
        let cpus = ProcessInfo.processInfo.activeProcessorCount
        let blocker = try await compute.call(
            "POST", "/v1/jobs",
            #"{"projectId": "\#(project)", "command": ["/bin/sleep", "3600"], "resources": {"cpus": \#(cpus), "memoryMB": 64}}"#
        )["id"]!.stringValue!
        let clients = 16
        let runCreation = try await measureConcurrently(
            "PUT data /v1/jobs/{id}/run alone", clients: clients, count: submissions
        ) { _ in
            try await services.client.call(
                "PUT", "/v1/jobs/\(ID.make())/run", #"{"projectId": "\#(project)", "name": "bench"}"#)
        }
        let accepted = try await measureConcurrently(
            "POST /v1/jobs (queued; run created in data)", clients: clients, count: submissions
        ) { _ in
            try await compute.call(
                "POST", "/v1/jobs",
                #"{"projectId": "\#(project)", "command": ["/bin/true"], "resources": {"cpus": 1, "memoryMB": 64}}"#)
        }
        Table.printRates(
            title: "compute: sustained submissions, \(clients) clients, \(submissions) each row",
            rows: [runCreation, accepted], reference: "data's run creation, which every submission waits for")
        var after: String?
        repeat {
            let page = try await compute.call(
                "GET", "/v1/jobs?projectId=\(project)&state=queued&limit=500" + (after.map { "&after=\($0)" } ?? ""))
            for job in page["items"]?.arrayValue ?? [] {
                try await compute.call("POST", "/v1/jobs/\(job["id"]!.stringValue!)/cancel")
            }
            after = page["nextAfter"]?.stringValue
        } while after != nil
        try await compute.call("POST", "/v1/jobs/\(blocker)/cancel")
        // Its sandbox must be gone before the agent stops with the benchmark.
        while try await compute.call("GET", "/v1/jobs/\(blocker)")["state"] != "cancelled" {
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// The floor: the same trivial command in a fresh cgroup under the same bubblewrap sandbox,
    /// spawned directly and waited for, no service, agent or supervisor.
    private func sandboxFloor(work: URL) throws -> Measurement {
        let hierarchy = try CgroupHierarchy.detect()
        try hierarchy.prepareParents()
        var row = Measurement(name: "bwrap + cgroups directly (the floor)", operations: jobs)
        let start = ContinuousClock.now
        for index in 0..<jobs {
            let id = "bench-floor-\(index)"
            let directories = JobDirectories(
                work: work.appendingPathComponent("\(id)/work"), output: work.appendingPathComponent("\(id)/output"))
            for directory in [directories.work, directories.output] {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                chown(directory.path, 65534, 65534)
            }
            let job = SandboxJob(
                jobId: id, command: ["/bin/true"], limits: ResourceLimits(cpus: 0.1, memoryMB: 64, pids: 64))
            let began = ContinuousClock.now
            let cgroups = hierarchy.cgroups(for: id)
            try cgroups.create(limits: job.limits)
            let argv = cgroups.placed(
                try SandboxCommand.arguments(job: job, directories: directories, uid: 65534, gid: 65534))
            let process = Process()
            process.executableURL = URL(fileURLWithPath: argv[0])
            process.arguments = Array(argv.dropFirst())
            try process.run()
            process.waitUntilExit()
            row.latencies.append(ContinuousClock.now - began)
            try cgroups.remove()
        }
        row.elapsed = ContinuousClock.now - start
        return row
    }

    /// Compute and one agent in this process; the agent's supervisors are the release
    /// `mlex-compute-supervisor` beside this executable.
    /// `agentEnvironment` adds agent settings (e.g. the docker executor).
    static func startCompute(
        state: URL, services: BenchServices, agentEnvironment: [String: String] = [:]
    ) async throws -> (Task<Void, any Error>, Task<Void, any Error>, APIClient) {
        let logger = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
        let computePort = try LoopbackPort.free()
        let agentPort = try LoopbackPort.free()
        let environment = services.environment.merging(
            [
                "MLEX_COMPUTE_PORT": String(computePort), "MLEX_COMPUTE_URL": "http://127.0.0.1:\(computePort)",
                "MLEX_AGENT_PORT": String(agentPort),
            ].merging(agentEnvironment) { $1 }
        ) { $1 }
        let computeSettings = try await ServiceSettings.forTesting(
            .compute, stateDirectory: state, extraSettings: ComputeApp.extraSettings, environment: environment)
        let computeTask = try await BenchServices.run(
            ComputeApp.buildApplication(settings: computeSettings, logger: logger))
        let agentSettings = try await ServiceSettings.forTesting(
            .compute, stateDirectory: state, extraSettings: AgentApp.extraSettings, environment: environment)
        let executable = URL(
            fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        let supervisor = executable.deletingLastPathComponent().appendingPathComponent("mlex-compute-supervisor").path
        let agentTask = try await BenchServices.run(
            AgentApp.buildApplication(
                settings: agentSettings, logger: logger, metrics: .init(), supervisor: [supervisor]))
        let client = APIClient(base: "http://127.0.0.1:\(computePort)")
        client.token = services.client.token
        // Wait until the agent's node is registered.
        for _ in 0..<100 where (try? await client.call("GET", "/v1/nodes"))?["items"]?.arrayValue?.isEmpty != false {
            try await Task.sleep(for: .milliseconds(100))
        }
        return (computeTask, agentTask, client)
    }
}
