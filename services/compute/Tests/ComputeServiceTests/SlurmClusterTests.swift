import Foundation
import PlatformTesting
import Testing

/// The Slurm test cluster itself, before any executor uses it: a plain sbatch job runs to
/// completion inside its cgroup and its end stays readable.
@Suite(.timeLimit(.minutes(2)))
struct SlurmClusterTests {
    @Test("the test cluster runs an sbatch job to completion and keeps its final state")
    func sbatchJobCompletes() throws {
        let cluster = try SlurmTestCluster.shared.get()
        #expect(cluster.cpus >= 1 && cluster.memoryMB > 0, "\(cluster)")
        let output = try temporaryDirectory().appendingPathComponent("job.out")
        let submitted = try cluster.run(
            "sbatch",
            [
                "--parsable", "--partition=debug", "--mem=64M", "--time=1", "--output=\(output.path)",
                "--wrap", "echo ran on $SLURMD_NODENAME; grep memory /proc/self/cgroup",
            ])
        #expect(submitted.status == 0, "\(submitted.output)")
        let jobID = try #require(
            submitted.output.split(separator: "\n").first.map { String($0.split(separator: ";")[0]) }
                .flatMap(Int.init), "\(submitted.output)")

        // Polled rather than `sbatch --wait`, which checks only every few seconds.
        var job = ""
        for _ in 0..<300 {
            job = try cluster.run("scontrol", ["show", "job", "-o", String(jobID)]).output
            if !["PENDING", "CONFIGURING", "RUNNING", "COMPLETING"].contains(where: { job.contains("JobState=\($0) ") })
            {
                break
            }
            usleep(100_000)
        }
        #expect(job.contains("JobState=COMPLETED") && job.contains("ExitCode=0:0"), "\(job)")
        let printed = try String(contentsOf: output, encoding: .utf8)
        #expect(printed.contains("ran on \(cluster.nodeName)"), "\(printed)")
        // Inside the job's own memory cgroup: what enforces --mem.
        #expect(printed.contains("/job_\(jobID)/"), "\(printed)")
        let completions = try String(contentsOf: cluster.jobCompletionFile, encoding: .utf8)
        #expect(completions.contains("JobId=\(jobID) ") && completions.contains("JobState=COMPLETED"), "\(completions)")
    }
}
