import Foundation
import Testing

@testable import ComputeExecutors

/// The pieces that need no sandbox to check, plus the benchmark's "bare bwrap in a cgroup" path.
struct SandboxCommandTests {
    let directories = JobDirectories(
        work: URL(fileURLWithPath: "/srv/mlex/jobs/j1/disk/work"),
        output: URL(fileURLWithPath: "/srv/mlex/jobs/j1/disk/output"),
        tmp: URL(fileURLWithPath: "/srv/mlex/jobs/j1/disk/tmp")
    )

    @Test func theSandboxIsolatesAndNeverBindsStateOrKernelInterfaces() throws {
        let job = SandboxJob(
            jobId: "j1", command: ["python3", "main.py"], environment: ["SEED": "7", "MLEX_OUTPUT_DIR": "/elsewhere"],
            limits: roomyLimits)
        let argv = try SandboxCommand.arguments(job: job, directories: directories, uid: 65534, gid: 65534)
        for flag in [
            "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--die-with-parent", "--new-session",
            "--clearenv",
        ] {
            #expect(argv.contains(flag))
        }
        let sources = argv.indices.filter { ["--bind", "--ro-bind"].contains(argv[$0]) }.map { argv[$0 + 1] }
        #expect(
            !sources.contains { $0 == "/" || $0.hasPrefix("/sys") || $0.hasPrefix("/root") || $0 == "/srv/mlex/jobs" })
        #expect(argv.suffix(2) == ["python3", "main.py"])
        #expect(argv.contains("--reuid") && argv.contains("65534"))
        #expect(environment(argv)["MLEX_OUTPUT_DIR"] == "/output")
        #expect(environment(argv)["SEED"] == "7")
        #expect(environment(argv)["HOME"] == "/job")
    }

    /// bwrap's own tmpfs would be root's and unwritable for the job: /tmp is the job's tmp/ on
    /// its disk, or without one a tmpfs everyone may write to.
    @Test func tmpIsTheJobsOwnOrAWritableTmpfs() throws {
        let job = SandboxJob(jobId: "j1", command: ["/bin/true"], limits: roomyLimits)
        let argv = try SandboxCommand.arguments(job: job, directories: directories, uid: 65534, gid: 65534)
        let binds = argv.indices.filter { argv[$0] == "--bind" }.map { "\(argv[$0 + 1]) \(argv[$0 + 2])" }
        #expect(binds.contains("/srv/mlex/jobs/j1/disk/tmp /tmp"))
        #expect(!argv.contains("--tmpfs"))

        let bare = try SandboxCommand.arguments(
            job: job, directories: JobDirectories(work: directories.work, output: directories.output), uid: 65534,
            gid: 65534)
        let tmpfs = try #require(bare.firstIndex(of: "--tmpfs"))
        #expect(Array(bare[tmpfs - 2...tmpfs + 1]) == ["--perms", "1777", "--tmpfs", "/tmp"])
    }

    @Test(arguments: ["", "../x", "a/b", "a b", "ä", String(repeating: "a", count: 65)])
    func badJobIdsAreRefused(_ id: String) {
        #expect(!SandboxJob.isValidJobId(id))
    }

    @Test func uuidJobIdsAreAccepted() {
        #expect(SandboxJob.isValidJobId(UUID().uuidString))
    }

    @Test func bwrapsSignalConventionAndPrecedenceDecideTheReason() {
        let killed = WaitStatus(raw: 137 << 8)
        #expect(
            ExitClassifier.classify(killed, cancelled: false, timedOut: false, oomKills: 0, timeoutSeconds: nil).reason
                == .signaled)
        #expect(
            ExitClassifier.classify(killed, cancelled: false, timedOut: false, oomKills: 0, timeoutSeconds: nil).signal
                == 9)
        #expect(
            ExitClassifier.classify(killed, cancelled: false, timedOut: false, oomKills: 1, timeoutSeconds: nil).reason
                == .oomKilled)
        #expect(
            ExitClassifier.classify(killed, cancelled: true, timedOut: false, oomKills: 1, timeoutSeconds: nil).reason
                == .cancelled)
        #expect(
            ExitClassifier.classify(
                WaitStatus(raw: 9), cancelled: false, timedOut: true, oomKills: 0, timeoutSeconds: 1
            ).reason == .timedOut)
        let exited = ExitClassifier.classify(
            WaitStatus(raw: 3 << 8), cancelled: false, timedOut: false, oomKills: 0, timeoutSeconds: nil)
        #expect(exited == .init(reason: .exited, exitCode: 3))
        // A full disk explains a failure, not a success, and never an OOM kill.
        #expect(
            ExitClassifier.classify(
                WaitStatus(raw: 1 << 8), cancelled: false, timedOut: false, oomKills: 0, diskFull: true,
                timeoutSeconds: nil
            ).reason == .diskLimit)
        #expect(
            ExitClassifier.classify(
                killed, cancelled: false, timedOut: false, oomKills: 0, diskFull: true, timeoutSeconds: nil
            ).reason == .diskLimit)
        #expect(
            ExitClassifier.classify(
                WaitStatus(raw: 0), cancelled: false, timedOut: false, oomKills: 0, diskFull: true, timeoutSeconds: nil
            ).reason == .exited)
        #expect(
            ExitClassifier.classify(
                killed, cancelled: false, timedOut: false, oomKills: 1, diskFull: true, timeoutSeconds: nil
            ).reason == .oomKilled)
    }

    /// What the benchmark does: the same sandbox, placed in cgroups by hand, no supervisor.
    @Test(.timeLimit(.minutes(1))) func theSandboxRunsInCgroupsWithoutASupervisor() throws {
        let jobId = "bare-\(UUID().uuidString.prefix(8))"
        let root = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("mlex-bare-\(jobId)")
        let work = root.appendingPathComponent("work")
        let output = root.appendingPathComponent("output")
        for directory in [work, output] {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        }
        defer { try? FileManager.default.removeItem(at: root) }

        let cgroups = try CgroupHierarchy.detect().cgroups(for: jobId)
        try cgroups.create(limits: roomyLimits)
        defer { try? cgroups.remove() }
        let job = SandboxJob(jobId: jobId, command: ["/bin/sh", "-c", "echo bare > /output/done"], limits: roomyLimits)
        let process = Process()
        let argv = cgroups.placed(
            try SandboxCommand.arguments(
                job: job, directories: JobDirectories(work: work, output: output), uid: 65534, gid: 65534))
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        try FileManager.default.setAttributes(
            [.ownerAccountID: 65534, .groupOwnerAccountID: 65534], ofItemAtPath: output.path)
        try process.run()
        process.waitUntilExit()

        #expect(process.terminationStatus == 0)
        #expect(try String(contentsOf: output.appendingPathComponent("done"), encoding: .utf8) == "bare\n")
        #expect((cgroups.usage()?.cpuSeconds ?? 0) > 0)
        try cgroups.remove()
        #expect(!cgroups.exists)
    }

    private func environment(_ argv: [String]) -> [String: String] {
        var values: [String: String] = [:]
        for index in argv.indices where argv[index] == "--setenv" { values[argv[index + 1]] = argv[index + 2] }
        return values
    }
}
