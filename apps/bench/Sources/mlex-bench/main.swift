import Bus
import Foundation
import KafkaBus

// `make bench`: each benchmark prints a table beside the reference it is judged against,
// measured in the same run on the same machine. Release build; never part of `make test`.
let arguments = CommandLine.arguments.dropFirst()
let selected = Set(arguments.filter { !$0.hasPrefix("--") })
let scratch = URL(
    fileURLWithPath: ProcessInfo.processInfo.environment["MLEX_BENCH_DIR"] ?? "data/bench", isDirectory: true)
try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)

if selected.isEmpty || selected.contains("blobs") {
    let megabytes = Int(ProcessInfo.processInfo.environment["MLEX_BENCH_BLOB_MB"] ?? "1024") ?? 1024
    try await BlobsBenchmark(directory: scratch.appendingPathComponent("blobs"), megabytes: megabytes).run()
}

if selected.isEmpty || selected.contains("bus") {
    let events = Int(ProcessInfo.processInfo.environment["MLEX_BENCH_BUS_EVENTS"] ?? "100000") ?? 100_000
    let directory = scratch.appendingPathComponent("bus")
    try? FileManager.default.removeItem(at: directory)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let path = directory.appendingPathComponent("bus.sqlite").path
    try await BusBenchmark(name: "SQLite log", events: events) { try SQLiteLogBus(path: path) }.run()
    if let bootstrap = ProcessInfo.processInfo.environment["MLEX_BENCH_KAFKA_BOOTSTRAP"] {
        let prefix = "bench\(UInt32.random(in: 0...UInt32.max))."
        // The tests' group timings: tansu makes a first join with the defaults wait ~23 s.
        let settings = ["session.timeout.ms": "2000", "heartbeat.interval.ms": "500"]
        try await BusBenchmark(name: "Kafka via tansu", events: events) {
            try KafkaBus(bootstrapServers: bootstrap, prefix: prefix, consumerSettings: settings)
        }.run()
    } else {
        print("\n(bus on Kafka: skipped; `make bench` starts tansu and sets MLEX_BENCH_KAFKA_BOOTSTRAP)")
    }
}

if selected.isEmpty || selected.contains("retention") {
    let events = Int(ProcessInfo.processInfo.environment["MLEX_BENCH_RETENTION_EVENTS"] ?? "1000000") ?? 1_000_000
    try await RetentionBenchmark(directory: scratch.appendingPathComponent("retention"), events: events).run()
}

if selected.isEmpty || selected.contains("store") {
    let documents = Int(ProcessInfo.processInfo.environment["MLEX_BENCH_STORE_DOCUMENTS"] ?? "100000") ?? 100_000
    try await StoreBenchmark(directory: scratch.appendingPathComponent("store"), documents: documents).run()
    try await DynamicKeyBenchmark(directory: scratch.appendingPathComponent("store-search"), documents: documents).run()
}

if selected.isEmpty || selected.contains("mongo") {
    if let url = ProcessInfo.processInfo.environment["MLEX_BENCH_MONGODB_URL"] {
        let documents = Int(ProcessInfo.processInfo.environment["MLEX_BENCH_MONGO_DOCUMENTS"] ?? "10000") ?? 10_000
        try await MongoStoreBenchmark(
            url: url, directory: scratch.appendingPathComponent("mongo"), documents: documents
        ).run()
    } else {
        print("\n(mongo: skipped; `make bench` starts nx-27017 and sets MLEX_BENCH_MONGODB_URL)")
    }
}

if selected.isEmpty || selected.contains("auth") {
    let tokens = Int(ProcessInfo.processInfo.environment["MLEX_BENCH_AUTH_TOKENS"] ?? "10000") ?? 10_000
    try await AuthBenchmark(tokens: tokens, cachedRequests: 100_000).run()
}

if selected.isEmpty || selected.contains("data") {
    let points = Int(ProcessInfo.processInfo.environment["MLEX_BENCH_DATA_POINTS"] ?? "1000000") ?? 1_000_000
    let runs = Int(ProcessInfo.processInfo.environment["MLEX_BENCH_DATA_RUNS"] ?? "100000") ?? 100_000
    try await DataBenchmark(directory: scratch.appendingPathComponent("data"), points: points, runs: runs).run()
}

if selected.isEmpty || selected.contains("search") {
    let stages = (ProcessInfo.processInfo.environment["MLEX_BENCH_SEARCH_RUNS"] ?? "10000,30000,100000")
        .split(separator: ",").compactMap { Int($0) }
    try await SearchScaleBenchmark(directory: scratch.appendingPathComponent("search"), stages: stages).run()
}

if selected.isEmpty || selected.contains("files") {
    let megabytes = Int(ProcessInfo.processInfo.environment["MLEX_BENCH_FILE_MB"] ?? "1024") ?? 1024
    try await FilesBenchmark(directory: scratch.appendingPathComponent("files"), megabytes: megabytes).run()
}

if selected.isEmpty || selected.contains("compute") {
    let jobs = Int(ProcessInfo.processInfo.environment["MLEX_BENCH_COMPUTE_JOBS"] ?? "100") ?? 100
    let submissions = Int(ProcessInfo.processInfo.environment["MLEX_BENCH_COMPUTE_SUBMISSIONS"] ?? "2000") ?? 2000
    try await ComputeBenchmark(
        directory: scratch.appendingPathComponent("compute"), jobs: jobs, submissions: submissions
    ).run()
}

if selected.isEmpty || selected.contains("docker") {
    let environment = ProcessInfo.processInfo.environment
    if let socket = environment["MLEX_BENCH_DOCKER_SOCKET"], let image = environment["MLEX_BENCH_DOCKER_IMAGE"] {
        let jobs = Int(environment["MLEX_BENCH_DOCKER_JOBS"] ?? "50") ?? 50
        try await DockerComputeBenchmark(
            directory: scratch.appendingPathComponent("docker"), jobs: jobs, socket: socket, image: image
        ).run()
    } else {
        print("\n(docker: skipped; `make bench` starts a dockerd and sets MLEX_BENCH_DOCKER_SOCKET)")
    }
}

if selected.isEmpty || selected.contains("slurm") {
    // Its own one-node cluster (apps/run/slurm-cluster.sh): root and `make deps`' slurm-wlm.
    if getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/sbin/slurmctld") {
        let jobs = Int(ProcessInfo.processInfo.environment["MLEX_BENCH_SLURM_JOBS"] ?? "20") ?? 20
        try await SlurmBenchmark(directory: scratch.appendingPathComponent("slurm"), jobs: jobs).run()
    } else {
        print("\n(slurm: skipped; needs root and slurm-wlm + munge from `make deps`)")
    }
}

if selected.isEmpty || selected.contains("mlhub") {
    let versions = Int(ProcessInfo.processInfo.environment["MLEX_BENCH_HUB_VERSIONS"] ?? "100000") ?? 100_000
    let queries = Int(ProcessInfo.processInfo.environment["MLEX_BENCH_HUB_QUERIES"] ?? "200") ?? 200
    try await HubBenchmark(directory: scratch.appendingPathComponent("mlhub"), versions: versions, queries: queries)
        .run()
}

if selected.isEmpty || selected.contains("ingest") {
    let packages = Int(ProcessInfo.processInfo.environment["MLEX_BENCH_INGEST_PACKAGES"] ?? "200") ?? 200
    try await IngestBenchmark(directory: scratch.appendingPathComponent("ingest"), packages: packages).run()
}

if selected.isEmpty || selected.contains("gateway") {
    let environment = ProcessInfo.processInfo.environment
    let requests = Int(environment["MLEX_BENCH_GATEWAY_REQUESTS"] ?? "2000") ?? 2000
    let batches = Int(environment["MLEX_BENCH_GATEWAY_BATCHES"] ?? "100") ?? 100
    try await GatewayBenchmark(
        directory: scratch.appendingPathComponent("gateway"), requests: requests, batches: batches
    ).run()
}

if selected.isEmpty || selected.contains("endpoints") {
    let environment = ProcessInfo.processInfo.environment
    try await EndpointBenchmark(
        directory: scratch.appendingPathComponent("endpoints"),
        requests: Int(environment["MLEX_BENCH_ENDPOINT_REQUESTS"] ?? "2000") ?? 2000,
        coldStarts: Int(environment["MLEX_BENCH_COLD_STARTS"] ?? "5") ?? 5
    ).run()
}

if selected.isEmpty || selected.contains("web") {
    let environment = ProcessInfo.processInfo.environment
    try await WebBenchmark(
        directory: scratch.appendingPathComponent("web"),
        runs: Int(environment["MLEX_BENCH_WEB_RUNS"] ?? "100000") ?? 100_000,
        points: Int(environment["MLEX_BENCH_WEB_POINTS"] ?? "1000000") ?? 1_000_000,
        repetitions: Int(environment["MLEX_BENCH_WEB_REPETITIONS"] ?? "10") ?? 10
    ).run()
    try await WebJobsBenchmark(
        directory: scratch.appendingPathComponent("web-jobs"),
        jobs: Int(environment["MLEX_BENCH_WEB_JOBS"] ?? "10000") ?? 10_000,
        repetitions: Int(environment["MLEX_BENCH_WEB_REPETITIONS"] ?? "10") ?? 10,
        logSeconds: Int(environment["MLEX_BENCH_WEB_LOG_SECONDS"] ?? "15") ?? 15
    ).run()
}

if selected.isEmpty || selected.contains("mlflow") {
    let environment = ProcessInfo.processInfo.environment
    if let server = environment["MLEX_BENCH_MLFLOW_SERVER"], FileManager.default.isExecutableFile(atPath: server) {
        func setting(_ name: String, _ fallback: Int) -> Int {
            Int(environment["MLEX_BENCH_MLFLOW_\(name)"] ?? "") ?? fallback
        }
        let runs = setting("RUNS", 10_000)
        try await MLflowBenchmark(
            directory: scratch.appendingPathComponent("mlflow"), server: server,
            python: environment["MLEX_BENCH_PYTHON"] ?? ".venv/bin/python", runs: runs,
            ourRuns: setting("OUR_RUNS", 100_000), batches: setting("BATCHES", 100), metrics: setting("METRICS", 1000),
            searches: setting("SEARCHES", 50), historyPoints: setting("HISTORY_POINTS", 100_000),
            artifactMegabytes: setting("ARTIFACT_MB", 512)
        ).run()
    } else {
        print(
            "\n(mlflow: skipped; `make bench` installs MLflow's server into .venv-mlflow and sets MLEX_BENCH_MLFLOW_SERVER)"
        )
    }
}

if selected.isEmpty || selected.contains("python") {
    let environment = ProcessInfo.processInfo.environment
    func setting(_ name: String, _ fallback: Int) -> Int {
        Int(environment["MLEX_BENCH_PYTHON_\(name)"] ?? "") ?? fallback
    }
    // Without .venv-mlflow only the rows against MLflow's own server are left out.
    let server = environment["MLEX_BENCH_MLFLOW_SERVER"].flatMap {
        FileManager.default.isExecutableFile(atPath: $0) ? $0 : nil
    }
    try await PythonClientBenchmark(
        directory: scratch.appendingPathComponent("python"),
        python: environment["MLEX_BENCH_PYTHON"] ?? ".venv/bin/python",
        mlflowServer: server, points: setting("POINTS", 1_000_000), mlflowPoints: setting("MLFLOW_POINTS", 500),
        mlflowBufferedPoints: setting("MLFLOW_BUFFERED_POINTS", 20_000)
    ).run()
}

if selected.isEmpty || selected.contains("idle") {
    let environment = ProcessInfo.processInfo.environment
    if let busPath = environment[IdleBenchmark.peerVariable] {
        // The latency run's other process: this binary again, started by the run below.
        try await IdleBenchmark.publishAsPeer(busPath: busPath)
    } else {
        let seconds = Int(environment["MLEX_BENCH_IDLE_SECONDS"] ?? "60") ?? 60
        try await IdleBenchmark(directory: scratch.appendingPathComponent("idle"), seconds: seconds, latencyEvents: 200)
            .run()
    }
}
