import Foundation
import Platform

/// The docker executor's goal beside its reference in the same run: how soon a trivial job in
/// a container runs after its submission (compute and an agent with the docker executor), and
/// how long it takes to succeed, against a plain `docker run --rm` of the same command in the
/// same image on the same daemon (Debian's docker CLI) — what any Docker user pays anyway.
struct DockerComputeBenchmark {
    let directory: URL
    let jobs: Int
    let socket: String
    let image: String

    func run() async throws {
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let plain = try plainDockerRun()
        let state = directory.appendingPathComponent("state")
        let services = try await BenchServices.start(directory: state)
        defer { services.stop() }
        let (computeTask, agentTask, compute) = try await ComputeBenchmark.startCompute(
            state: state, services: services,
            agentEnvironment: ["MLEX_AGENT_EXECUTOR": "docker", "MLEX_AGENT_DOCKER_SOCKET": socket]
        )
        defer {
            agentTask.cancel()
            computeTask.cancel()
        }
        let project = try await services.client.call("POST", "/v1/projects", #"{"name": "docker"}"#)["id"]!.stringValue!
        let trivial =
            #"{"projectId": "\#(project)", "image": "\#(image)", "command": ["/bin/true"], "resources": {"cpus": 0.1, "memoryMB": 64}}"#
        let (toRunning, toDone) = try await ComputeBenchmark.submitOneByOne(
            trivial, count: jobs, executor: "docker executor", compute: compute)
        Table.printRates(
            title: "compute, docker executor: a trivial job from submission to running, \(jobs) jobs one after another",
            rows: [plain, toRunning, toDone], reference: "docker run --rm of /bin/true in the same image, same daemon"
        )
    }

    /// `docker run --rm --network none <image> /bin/true`, start to exit, through the CLI.
    private func plainDockerRun() throws -> Measurement {
        var row = Measurement(name: "docker run --rm (the reference)", operations: jobs)
        let start = ContinuousClock.now
        for _ in 0..<jobs {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/docker")
            process.arguments = [
                "-H", "unix://\(socket)", "run", "--rm", "--network", "none", "--memory", "64m", "--cpus", "0.1", image,
                "/bin/true",
            ]
            let began = ContinuousClock.now
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw CocoaError(
                    .executableLoad,
                    userInfo: [NSLocalizedDescriptionKey: "docker run failed: \(process.terminationStatus)"])
            }
            row.latencies.append(ContinuousClock.now - began)
        }
        row.elapsed = ContinuousClock.now - start
        return row
    }
}
