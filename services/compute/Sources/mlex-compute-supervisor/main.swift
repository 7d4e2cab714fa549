import ComputeExecutors
import Foundation

// mlex-compute-supervisor <jobDir>: the detached supervisor of one job, started by the agent's
// local executor. Its own small executable (Foundation only) because it starts once per job:
// ~10 ms here against ~35 ms for the agent's binary with every server library linked in.
exit(Supervisor.main(arguments: Array(CommandLine.arguments.dropFirst())))
