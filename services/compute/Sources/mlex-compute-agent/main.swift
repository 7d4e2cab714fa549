import ComputeAgent
import Foundation
import Platform

// mlex-compute-agent: the node agent beside compute (health on 8090 by default). Each job's
// supervisor is `mlex-compute-supervisor`, installed beside this executable.
let executable = URL(
    fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        ?? CommandLine.arguments[0])
let supervisor = executable.deletingLastPathComponent().appendingPathComponent("mlex-compute-supervisor").path
await ServiceMain.run(.compute, extraSettings: AgentApp.extraSettings) { settings, logger, metrics in
    try await AgentApp.buildApplication(settings: settings, logger: logger, metrics: metrics, supervisor: [supervisor])
}
