// swift-tools-version:6.2
// One package for the whole platform: every service, app and library is a target here, so a
// single `swift build --build-tests` compiles everything once (docs/architecture.md says why each
// dependency is here). Targets follow one layout, `<folder>/Sources/<name>` and
// `<folder>/Tests/<name>`, so each is declared by its folder and what it imports; every module a
// target imports is named here (`make lint` checks it).
import PackageDescription

// MARK: - Dependencies

let package = Package(
    name: "MLExchange",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(
            url: "https://github.com/apple/swift-configuration",
            from: "1.4.0",
            traits: [.defaults, "CommandLineArguments"]
        ),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        // Hummingbird's own HTTP/1 parts as NIO sees them, for the WebSocket upgrade channel.
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-async-algorithms", from: "1.1.4"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.7.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        // Only for the `mlex` command-line client: its commands and DDL's task.yaml.
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ]
)

/// The products targets use, by the module name they import.
extension Target.Dependency {
    static let hummingbird = product(name: "Hummingbird", package: "hummingbird")
    static let hummingbirdCore = product(name: "HummingbirdCore", package: "hummingbird")
    static let hummingbirdTesting = product(name: "HummingbirdTesting", package: "hummingbird")
    static let hummingbirdBcrypt = product(name: "HummingbirdBcrypt", package: "hummingbird-auth")
    static let configuration = product(name: "Configuration", package: "swift-configuration")
    static let logging = product(name: "Logging", package: "swift-log")
    static let metrics = product(name: "Metrics", package: "swift-metrics")
    static let prometheus = product(name: "Prometheus", package: "swift-prometheus")
    static let serviceLifecycle = product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
    static let asyncHTTPClient = product(name: "AsyncHTTPClient", package: "async-http-client")
    static let nioCore = product(name: "NIOCore", package: "swift-nio")
    static let nioPosix = product(name: "NIOPosix", package: "swift-nio")
    static let nioHTTP1 = product(name: "NIOHTTP1", package: "swift-nio")
    static let nioWebSocket = product(name: "NIOWebSocket", package: "swift-nio")
    static let nioSSL = product(name: "NIOSSL", package: "swift-nio-ssl")
    static let nioHTTPTypes = product(name: "NIOHTTPTypes", package: "swift-nio-extras")
    static let nioHTTPTypesHTTP1 = product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras")
    static let nioEmbedded = product(name: "NIOEmbedded", package: "swift-nio")
    static let nioFoundationCompat = product(name: "NIOFoundationCompat", package: "swift-nio")
    static let nioConcurrencyHelpers = product(name: "NIOConcurrencyHelpers", package: "swift-nio")
    static let httpTypes = product(name: "HTTPTypes", package: "swift-http-types")
    static let systemPackage = product(name: "SystemPackage", package: "swift-system")
    static let crypto = product(name: "Crypto", package: "swift-crypto")
    static let asyncAlgorithms = product(name: "AsyncAlgorithms", package: "swift-async-algorithms")
    static let jwtKit = product(name: "JWTKit", package: "jwt-kit")
    static let argumentParser = product(name: "ArgumentParser", package: "swift-argument-parser")
    static let yams = product(name: "Yams", package: "Yams")
}

// MARK: - Target shapes

let strictSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

/// A library target at `<folder>/Sources/<name>`.
func library(_ name: String, in folder: String, _ dependencies: [Target.Dependency] = []) -> Target {
    .target(name: name, dependencies: dependencies, path: "\(folder)/Sources/\(name)", swiftSettings: strictSettings)
}

/// An executable at `<folder>/Sources/<name>`: a thin `main` over a library.
func executable(_ name: String, in folder: String, _ dependencies: [Target.Dependency]) -> Target {
    .executableTarget(
        name: name,
        dependencies: dependencies,
        path: "\(folder)/Sources/\(name)",
        swiftSettings: strictSettings
    )
}

/// Test helpers or a test process that live beside the tests, at `<folder>/Tests/<name>`.
func testSupport(_ name: String, in folder: String, _ dependencies: [Target.Dependency]) -> Target {
    .target(name: name, dependencies: dependencies, path: "\(folder)/Tests/\(name)", swiftSettings: strictSettings)
}

/// A Swift Testing suite at `<folder>/Tests/<name>`.
func tests(_ name: String, in folder: String, _ dependencies: [Target.Dependency]) -> Target {
    .testTarget(name: name, dependencies: dependencies, path: "\(folder)/Tests/\(name)", swiftSettings: strictSettings)
}

/// A C library from Debian, found by pkg-config. One wrapper target imports it, nothing else.
func cLibrary(_ name: String, pkgConfig: String, apt: [String]) -> Target {
    .systemLibrary(name: name, path: "libs/\(name)", pkgConfig: pkgConfig, providers: [.apt(apt)])
}

/// A service: its library (routes, records, repositories), its `mlex-<service>` executable and
/// its tests, all under `services/<service>`.
func service(
    _ name: String,
    folder: String,
    executable executableName: String,
    _ dependencies: [Target.Dependency],
    tests testDependencies: [Target.Dependency]
) -> [Target] {
    let path = "services/\(folder)"
    return [
        library(name, in: path, dependencies),
        executable(executableName, in: path, [.target(name: name), "Platform"]),
        tests("\(name)Tests", in: path, [.target(name: name)] + testDependencies),
    ]
}

// MARK: - libs: the wire contracts and the server kit

package.targets += [
    // JSONValue, ids, timestamps, the error shape: Foundation only, so clients link no server.
    library("Wire", in: "libs/Wire"),
    tests("WireTests", in: "libs/Wire", ["Wire"]),
    library(
        "Platform",
        in: "libs/Platform",
        [
            "Wire", .hummingbird, .hummingbirdCore, .configuration, .logging, .metrics, .prometheus,
            .serviceLifecycle, .nioCore, .nioConcurrencyHelpers, .nioHTTP1, .nioHTTPTypes, .nioHTTPTypesHTTP1,
            .nioWebSocket, .httpTypes, .systemPackage,
        ]
    ),
    // Real servers on loopback ports, stopped by pid: what every integration suite starts.
    library(
        "PlatformTesting",
        in: "libs/Platform",
        [
            "Platform", "Auth", "SQLite", "Forwarding", .hummingbird, .hummingbirdTesting, .asyncHTTPClient, .nioCore,
            .nioPosix, .nioHTTP1, .nioWebSocket, .logging,
        ]
    ),
    tests(
        "PlatformTests",
        in: "libs/Platform",
        [
            "Platform", "PlatformTesting", .hummingbird, .hummingbirdTesting, .asyncHTTPClient, .configuration,
            .logging, .prometheus, .nioConcurrencyHelpers, .httpTypes, .serviceLifecycle,
        ]
    ),
]

// MARK: - libs: C libraries, each behind one wrapper

package.targets += [
    cLibrary("CSQLite", pkgConfig: "sqlite3", apt: ["libsqlite3-dev"]),
    library("SQLite", in: "libs/SQLite", ["CSQLite"]),
    tests("SQLiteTests", in: "libs/SQLite", ["SQLite", "PlatformTesting"]),

    cLibrary("CRdKafka", pkgConfig: "rdkafka", apt: ["librdkafka-dev"]),
    library("Kafka", in: "libs/Kafka", ["CRdKafka", .nioPosix]),
    library("KafkaBus", in: "libs/Kafka", ["Kafka", "Bus", "Platform", .nioPosix, .serviceLifecycle]),

    cLibrary("CMongoC", pkgConfig: "libmongoc-1.0", apt: ["libmongoc-dev", "libbson-dev"]),
    library("Mongo", in: "libs/Mongo", ["CMongoC", "Platform", .nioCore, .nioPosix]),
    library("MongoStore", in: "libs/Mongo", ["Mongo", "Store", "Blobs", "Platform", .crypto, .nioCore]),
    tests("MongoTests", in: "libs/Mongo", ["Mongo", "MongoStore", "Store", "Platform", "PlatformTesting"]),
]

// MARK: - libs: store, bus, outbox, blobs, backends, auth

package.targets += [
    library("Store", in: "libs/Store", ["SQLite", "Platform"]),
    tests("StoreTests", in: "libs/Store", ["MongoStore", "Store", "Platform", "PlatformTesting"]),

    library("Bus", in: "libs/Bus", ["SQLite", "Platform"]),
    tests("BusTests", in: "libs/Bus", ["KafkaBus", "Bus", "Platform", "PlatformTesting", .serviceLifecycle, .logging]),

    // The outbox, its relay and the idempotent consumer: where Store and Bus meet.
    library("Outbox", in: "libs/Outbox", ["Store", "Bus", "Platform", .logging, .serviceLifecycle]),
    testSupport(
        "OutboxTestSupport", in: "libs/Outbox", ["Outbox", "Store", "MongoStore", "Bus", "Platform", .logging]),
    // A real process for the crash tests to SIGKILL mid-batch and mid-relay.
    .executableTarget(
        name: "outbox-crash-child",
        dependencies: ["OutboxTestSupport", "Outbox", "Store", "Bus", "Platform", .logging],
        path: "libs/Outbox/Tests/outbox-crash-child",
        swiftSettings: strictSettings
    ),
    tests(
        "OutboxTests",
        in: "libs/Outbox",
        [
            "Outbox", "OutboxTestSupport", "outbox-crash-child", "Store", "Bus", "Platform", "PlatformTesting",
            .logging, .serviceLifecycle,
        ]
    ),

    library("Blobs", in: "libs/Blobs", [.crypto, .nioCore, .nioPosix]),
    tests("BlobsTests", in: "libs/Blobs", ["MongoStore", "Blobs", "PlatformTesting", .crypto, .nioCore]),

    // Which store and bus a service runs on, chosen by configuration.
    library(
        "Backends",
        in: "libs/Backends",
        ["Store", "MongoStore", "Blobs", "Bus", "KafkaBus", "Outbox", "Platform", .logging, .serviceLifecycle]
    ),

    // Token verification, the authenticated principal and project permissions, for every service.
    library(
        "Auth",
        in: "libs/Auth",
        [
            "Platform", "Bus", .jwtKit, .crypto, .hummingbird, .asyncHTTPClient, .nioCore, .httpTypes, .logging,
            .serviceLifecycle,
        ]
    ),
    tests(
        "AuthTests",
        in: "libs/Auth",
        ["Auth", "Bus", "Platform", "PlatformTesting", .jwtKit, .crypto, .hummingbird, .hummingbirdTesting]
    ),

    // Forwarding HTTP to another server (the gateway, compute to agents, agents to job sockets).
    library(
        "Forwarding",
        in: "libs/Forwarding",
        [
            "Platform", .asyncHTTPClient, .hummingbird, .httpTypes, .logging, .nioCore, .nioConcurrencyHelpers,
            .nioHTTP1, .nioPosix, .nioSSL, .nioWebSocket, .serviceLifecycle,
        ]
    ),
    tests(
        "ForwardingTests",
        in: "libs/Forwarding",
        [
            "Forwarding", "Platform", .logging, .nioConcurrencyHelpers, .nioCore, .nioHTTP1, .nioPosix, .nioSSL,
            .nioWebSocket,
        ]
    ),

    // How services other than data use data's API.
    library(
        "DataClient",
        in: "libs/DataClient",
        ["Platform", "Auth", "Bus", "Outbox", "Store", .asyncHTTPClient, .nioCore, .nioHTTP1, .httpTypes, .logging]
    ),
    // A model's typed parameters (ingest checks them, mlhub deploys with them).
    library("ParameterSchema", in: "libs/ParameterSchema", ["Platform"]),
    tests("ParameterSchemaTests", in: "libs/ParameterSchema", ["ParameterSchema", "Platform"]),
    // MLflow's search-filter grammar, parsed and matched once for data's and mlhub's MLflow searches.
    library("MLflowFilter", in: "libs/MLflowFilter"),
    tests("MLflowFilterTests", in: "libs/MLflowFilter", ["MLflowFilter"]),
]

// MARK: - services

/// What every service library is built on.
let serviceKit: [Target.Dependency] = [
    "Platform", "Auth", "Backends", "Store", "Bus", "Outbox", .hummingbird, .logging, .prometheus,
]

package.targets += service(
    "UsersService",
    folder: "users",
    executable: "mlex-users",
    serviceKit + ["DataClient", .hummingbirdBcrypt, .jwtKit, .crypto, .nioCore, .nioPosix, .serviceLifecycle],
    tests: [
        "KafkaBus", "Auth", "Bus", "Platform", "PlatformTesting", .hummingbird, .hummingbirdTesting, .httpTypes,
        .nioCore, .jwtKit, .crypto,
    ]
)

package.targets += service(
    "DataService",
    folder: "data",
    executable: "mlex-data",
    serviceKit + ["Blobs", "MLflowFilter", .serviceLifecycle, .nioCore, .httpTypes],
    tests: [
        "Blobs", "Bus", "Auth", "Store", "Platform", "PlatformTesting", .crypto, .nioCore, .httpTypes,
        .hummingbird, .hummingbirdTesting,
    ]
)

package.targets += service(
    "IngestService",
    folder: "ingest",
    executable: "mlex-ingest",
    serviceKit + ["DataClient", "ParameterSchema", "Blobs", .crypto, .serviceLifecycle],
    // Ingest → hub → tag → deploy through the bus, every service a real process.
    tests: ["Platform", "PlatformTesting", .hummingbird, .crypto]
)

package.targets += service(
    "MLHubService",
    folder: "mlhub",
    executable: "mlex-mlhub",
    serviceKit + ["DataClient", "ParameterSchema", "MLflowFilter", .httpTypes],
    // Users, data, compute, tag and mlhub as real processes; the app itself only for its API description.
    tests: ["Platform", "PlatformTesting", "Bus", .hummingbird]
)

package.targets += service(
    "TagService",
    folder: "tag",
    executable: "mlex-tag",
    serviceKit + ["DataClient"],
    // Users, data, compute and tag as real processes; the app itself only for its API description.
    tests: ["Platform", "PlatformTesting", "Bus", .hummingbird]
)

// MARK: - services/compute: the job API and scheduler, the node agent, the executors

package.targets += [
    // What compute, its agents and executors say to each other: Foundation and Wire only, so
    // neither the scheduler links the sandbox nor the sandbox links a server.
    library("ComputeWire", in: "services/compute", ["Wire"]),
    // The local executor and its sandbox (bubblewrap, cgroups, the job disk).
    library("ComputeExecutors", in: "services/compute", ["ComputeWire"]),
    // The Docker executor: the Engine API over its unix socket (AsyncHTTPClient speaks http+unix).
    library(
        "ComputeDocker",
        in: "services/compute",
        ["ComputeExecutors", "ComputeWire", .asyncHTTPClient, .nioCore, .nioFoundationCompat, .nioHTTP1]
    ),
    // The Slurm executor: Slurm's client commands (sbatch, scontrol, scancel, sinfo, sstat).
    library("ComputeSlurm", in: "services/compute", ["ComputeExecutors", "ComputeWire"]),
    library(
        "ComputeService",
        in: "services/compute",
        serviceKit + [
            "DataClient", "ComputeWire", "Forwarding", "ParameterSchema", .serviceLifecycle, .nioCore, .nioHTTP1,
            .httpTypes, .metrics,
        ]
    ),
    library(
        "ComputeAgent",
        in: "services/compute",
        [
            "Platform", "Auth", "DataClient", "ComputeWire", "ComputeExecutors", "ComputeDocker", "ComputeSlurm",
            "Forwarding", .hummingbird, .httpTypes, .nioHTTP1, .serviceLifecycle, .logging, .prometheus,
        ]
    ),
    executable("mlex-compute", in: "services/compute", ["ComputeService", "Platform"]),
    executable("mlex-compute-agent", in: "services/compute", ["ComputeAgent", "Platform"]),
    // Started by the agent, one per job: holds the sandbox and writes the job's status.
    executable("mlex-compute-supervisor", in: "services/compute", ["ComputeExecutors"]),
    // A dockerd of the tests' own with a job image imported: for the executor and service suites.
    testSupport("ComputeTestSupport", in: "services/compute", ["ComputeDocker"]),
    tests(
        "ComputeExecutorsTests", in: "services/compute",
        ["ComputeExecutors", "ComputeDocker", "ComputeWire", "ComputeTestSupport"]),
    // Users, data, compute and agents as real processes (built by `swift build`).
    tests(
        "ComputeServiceTests",
        in: "services/compute",
        [
            "Platform", "PlatformTesting", "Auth", "Store", "ComputeTestSupport", "ComputeService", "ComputeSlurm",
            "ComputeAgent", "ComputeExecutors", "ComputeWire", .hummingbird, .asyncHTTPClient, .nioCore, .nioWebSocket,
        ]
    ),
]

// MARK: - apps: the gateway, the CLI, the benchmarks

package.targets += [
    // The single-origin gateway (the web UI comes later).
    library(
        "WebGateway",
        in: "apps/web",
        [
            "Platform", "Auth", "Forwarding", .hummingbird, .asyncHTTPClient, .nioCore, .nioHTTP1, .httpTypes,
            .logging, .prometheus, .serviceLifecycle,
        ]
    ),
    executable("mlex-web", in: "apps/web", ["WebGateway", "Platform"]),
    tests(
        "WebGatewayTests",
        in: "apps/web",
        [
            "WebGateway", "Platform", "PlatformTesting", .hummingbird, .hummingbirdTesting, .asyncHTTPClient,
            .httpTypes, .logging, .nioCore, .serviceLifecycle,
        ]
    ),

    // The platform's HTTP API for programs (the CLI, notebooks' tools): no server inside.
    library(
        "MLExClient",
        in: "clients/swift",
        ["Wire", "Blobs", .asyncHTTPClient, .nioCore, .nioHTTP1, .nioFoundationCompat]
    ),
    // `mlex`, the command-line client.
    library(
        "MLExCLI", in: "apps/cli",
        [
            "MLExClient", "Blobs", "Wire", "Forwarding", "Platform", .argumentParser, .yams, .logging, .nioCore,
            .nioHTTP1, .nioWebSocket,
        ]
    ),
    executable("mlex", in: "apps/cli", ["MLExCLI"]),
    tests("CLITests", in: "apps/cli", ["MLExCLI", "MLExClient", "Wire", "Platform", "PlatformTesting"]),
    // Drives the built `mlex` against users, data, compute, an agent and the gateway as processes.
    tests("EndToEndTests", in: "apps/cli", ["Platform", "PlatformTesting", .crypto]),

    // `make bench`: release build, never part of `make test`.
    executable(
        "mlex-bench",
        in: "apps/bench",
        [
            "Auth", "DataService", "UsersService", "ComputeService", "ComputeAgent", "ComputeExecutors",
            "MLHubService", "IngestService", "KafkaBus", "MongoStore", "Blobs", "Bus", "Store", "SQLite",
            "Platform", "PlatformTesting", "WebGateway", .nioCore, .crypto, .asyncAlgorithms, .hummingbird, .jwtKit,
            .nioEmbedded, .logging, .hummingbirdBcrypt, .asyncHTTPClient,
        ]
    ),

    // The Dockerfile and the docker-compose subsets, checked without Docker.
    tests("DeploymentTests", in: "doc_compose", ["Platform", .yams]),
]
