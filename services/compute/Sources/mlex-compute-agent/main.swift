import ComputeAgent
import ComputeExecutors
import Foundation
import Platform

// mlex-compute-agent: the node agent beside compute (health on 8090 by default).
// `mlex-compute-agent supervise <jobDir>` is the detached supervisor of one job, started by the
// agent's executor; it must outlive the agent, so it is this same executable in another mode.
let arguments = CommandLine.arguments
if arguments.count >= 2, arguments[1] == "supervise" {
    exit(Supervisor.main(arguments: Array(arguments.dropFirst(2))))
}
// The supervisor is started by absolute path: the agent's working directory may change.
let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? arguments[0]
await ServiceMain.run(.compute, extraSettings: AgentApp.extraSettings) { settings, logger, metrics in
    try await AgentApp.buildApplication(settings: settings, logger: logger, metrics: metrics, supervisor: [executable, "supervise"])
}
