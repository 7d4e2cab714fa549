import ComputeExecutors
import Foundation
import Glibc
import Testing

@Suite(.serialized, .timeLimit(.minutes(2)))
struct IsolationTests {
    @Test(arguments: Backend.allCases) func aJobHasNoNetworkButLoopback(_ backend: Backend) async throws {
        let listener = try TestListener()
        defer { listener.close() }
        try await withExecutor(backend) { harness in
            let (result, log, _) = try await run(
                harness,
                python(
                    """
                    import socket
                    for address in [("127.0.0.1", \(listener.port)), ("1.1.1.1", 53)]:
                        try:
                            socket.create_connection(address, timeout=5).close()
                            print("CONNECTED", address)
                        except OSError as error:
                            print("blocked", address, error)
                    print("interfaces=" + ",".join(name for _, name in socket.if_nameindex()))
                    """))
            #expect(result.reason == .exited && result.exitCode == 0, "\(result) \(log)")
            #expect(!log.contains("CONNECTED"))
            #expect(log.contains("blocked ('127.0.0.1', \(listener.port))"))
            #expect(log.contains("interfaces=lo\n"))
        }
    }

    @Test(arguments: Backend.allCases) func aJobSeesNeitherOtherJobsNorTheExecutorAndIsNotRoot(
        _ backend: Backend
    ) async throws {
        try await withExecutor(backend) { harness in
            let (_, other) = try await start(harness, ["/bin/sleep", "600"]) { directories in
                try "secret".write(
                    to: directories.work.appendingPathComponent("secret"), atomically: true, encoding: .utf8)
            }
            let script = """
                echo "uid=$(id -u) gid=$(id -g)"
                if cat '\(other.work.path)/secret' >/dev/null 2>&1; then echo SECRET-READ; else echo secret-unreadable; fi
                if [ -e '\(harness.root.path)' ]; then echo ROOT-VISIBLE; else echo root-invisible; fi
                if [ -n "$(ls -A /sys/fs/cgroup 2>/dev/null)" ]; then echo SYS-VISIBLE; else echo sys-invisible; fi
                if touch /usr/x 2>/dev/null; then echo USR-WRITABLE; else echo usr-readonly; fi
                for p in /proc/[0-9]*; do echo "proc: $(tr '\\0' ' ' < $p/cmdline)"; done
                """
            let (result, log, _) = try await run(harness, ["/bin/sh", "-c", script])
            #expect(result.reason == .exited && result.exitCode == 0, "\(result) \(log)")
            #expect(log.contains("uid=65534 gid=65534"))
            #expect(log.contains("secret-unreadable"))
            #expect(log.contains("root-invisible"))
            #expect(log.contains("sys-invisible"))
            #expect(log.contains("usr-readonly"))
            #expect(log.contains("proc: "))
            #expect(!log.contains("sleep 600"), "another job's process is visible: \(log)")
        }
    }

    /// /tmp is the job's own, writable by it (Python's tempfile picks it), and on its disk.
    @Test(arguments: Backend.allCases) func aJobHasAPrivateWritableTmpOnItsDisk(_ backend: Backend) async throws {
        try await withExecutor(backend) { harness in
            let (result, log, directories) = try await run(
                harness,
                python(
                    """
                    import os, tempfile
                    with tempfile.NamedTemporaryFile(delete=False) as f:
                        f.write(os.urandom(4 << 20))
                    scratch = tempfile.mkdtemp()
                    open(os.path.join(scratch, "x"), "w").write("x")
                    print("tempdir", tempfile.gettempdir(), "file", os.path.basename(f.name), flush=True)
                    """))
            #expect(result.reason == .exited && result.exitCode == 0, "\(result) \(log)")
            let match = try #require(log.firstMatch(of: /tempdir (\S+) file (\S+)/), "\(log)")
            #expect(match.1 == "/tmp")
            let tmp = try #require(directories.tmp)
            let size =
                try FileManager.default.attributesOfItem(atPath: tmp.appendingPathComponent(String(match.2)).path)[
                    .size] as? Int
            #expect(size == 4 << 20, "the file is on the job's disk")
            #expect(!FileManager.default.fileExists(atPath: "/tmp/" + match.2), "not in the host's /tmp")
        }
    }
}
