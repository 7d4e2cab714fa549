// swift-tools-version:6.2
// One package for the whole platform: every service, app and library is a target here, so a
// single `swift build --build-tests` compiles everything once (see docs/architecture.md for why
// each dependency is here).
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "MLExchange",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(
            url: "https://github.com/apple/swift-configuration", from: "1.4.0",
            traits: [.defaults, "CommandLineArguments"]
        ),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-async-algorithms", from: "1.1.4"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.7.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        // Only for the `mlex` command-line client: its commands and DDL's task.yaml.
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // MARK: libs
        .target(
            name: "Platform",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            path: "libs/Platform/Sources/Platform",
            swiftSettings: strictSettings
        ),
        .target(
            name: "PlatformTesting",
            dependencies: [
                "Platform",
                "Auth",
                "SQLite",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "libs/Platform/Sources/PlatformTesting",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PlatformTests",
            dependencies: [
                "Platform",
                "PlatformTesting",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "libs/Platform/Tests/PlatformTests",
            swiftSettings: strictSettings
        ),

        // One C library, one wrapper module: only `SQLite` imports `CSQLite`.
        .systemLibrary(
            name: "CSQLite",
            path: "libs/CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        // Kafka through librdkafka: only `Kafka` imports `CRdKafka`.
        .systemLibrary(
            name: "CRdKafka",
            path: "libs/CRdKafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]
        ),
        .target(
            name: "Kafka",
            dependencies: ["CRdKafka", .product(name: "NIOPosix", package: "swift-nio")],
            path: "libs/Kafka/Sources/Kafka",
            swiftSettings: strictSettings
        ),

        .target(
            name: "KafkaBus",
            dependencies: [
                "Kafka", "Bus", "Platform",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "libs/Kafka/Sources/KafkaBus",
            swiftSettings: strictSettings
        ),

        // MongoDB through libmongoc: only `Mongo` imports `CMongoC`.
        .systemLibrary(
            name: "CMongoC",
            path: "libs/CMongoC",
            pkgConfig: "libmongoc-1.0",
            providers: [.apt(["libmongoc-dev", "libbson-dev"])]
        ),
        .target(
            name: "Mongo",
            dependencies: ["CMongoC", "Platform", .product(name: "NIOPosix", package: "swift-nio")],
            path: "libs/Mongo/Sources/Mongo",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "MongoTests",
            dependencies: ["Mongo", "MongoStore", "Store", "Platform", "PlatformTesting"],
            path: "libs/Mongo/Tests/MongoTests",
            swiftSettings: strictSettings
        ),
        .target(
            name: "MongoStore",
            dependencies: [
                "Mongo", "Store", "Blobs", "Platform",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "libs/Mongo/Sources/MongoStore",
            swiftSettings: strictSettings
        ),
        .target(
            name: "SQLite",
            dependencies: ["CSQLite"],
            path: "libs/SQLite/Sources/SQLite",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SQLiteTests",
            dependencies: ["SQLite", "PlatformTesting"],
            path: "libs/SQLite/Tests/SQLiteTests",
            swiftSettings: strictSettings
        ),
        .target(
            name: "Store",
            dependencies: ["SQLite", "Platform"],
            path: "libs/Store/Sources/Store",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "StoreTests",
            dependencies: ["MongoStore", "Store", "Platform", "PlatformTesting"],
            path: "libs/Store/Tests/StoreTests",
            swiftSettings: strictSettings
        ),
        .target(
            name: "Bus",
            dependencies: ["SQLite", "Platform"],
            path: "libs/Bus/Sources/Bus",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "BusTests",
            dependencies: [.product(name: "ServiceLifecycle", package: "swift-service-lifecycle"), .product(name: "Logging", package: "swift-log"), "KafkaBus", "Bus", "Platform", "PlatformTesting"],
            path: "libs/Bus/Tests/BusTests",
            swiftSettings: strictSettings
        ),
        // The outbox, its relay and the idempotent consumer: where Store and Bus meet.
        .target(
            name: "Outbox",
            dependencies: [
                "Store",
                "Bus",
                "Platform",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "libs/Outbox/Sources/Outbox",
            swiftSettings: strictSettings
        ),
        .target(
            name: "OutboxTestSupport",
            dependencies: ["Outbox", "Store", "MongoStore", "Bus", "Platform", .product(name: "Logging", package: "swift-log")],
            path: "libs/Outbox/Tests/OutboxTestSupport",
            swiftSettings: strictSettings
        ),
        // A real process for the crash tests to SIGKILL mid-batch and mid-relay.
        .executableTarget(
            name: "outbox-crash-child",
            dependencies: ["OutboxTestSupport", "Outbox", "Store", "Bus", "Platform", .product(name: "Logging", package: "swift-log")],
            path: "libs/Outbox/Tests/outbox-crash-child",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "OutboxTests",
            dependencies: [
                "Outbox",
                "OutboxTestSupport",
                "outbox-crash-child",
                "Store",
                "Bus",
                "Platform",
                "PlatformTesting",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "libs/Outbox/Tests/OutboxTests",
            swiftSettings: strictSettings
        ),
        .target(
            name: "Blobs",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "libs/Blobs/Sources/Blobs",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "BlobsTests",
            dependencies: ["MongoStore", 
                "Blobs",
                "PlatformTesting",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "libs/Blobs/Tests/BlobsTests",
            swiftSettings: strictSettings
        ),

        // Which store and bus a service runs on, chosen by configuration.
        .target(
            name: "Backends",
            dependencies: [
                "Store", "MongoStore", "Blobs", "Bus", "KafkaBus", "Outbox", "Platform",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "libs/Backends/Sources/Backends",
            swiftSettings: strictSettings
        ),

        // Token verification, the authenticated principal and project permissions, for every service.
        .target(
            name: "Auth",
            dependencies: [
                "Platform",
                "Bus",
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "libs/Auth/Sources/Auth",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "AuthTests",
            dependencies: [
                "Auth",
                "Platform",
                "PlatformTesting",
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            path: "libs/Auth/Tests/AuthTests",
            swiftSettings: strictSettings
        ),

        // MARK: services/users
        .target(
            name: "UsersService",
            dependencies: [
                "Platform",
                "Auth",
                "Backends",
                "Store",
                "Bus",
                "Outbox",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            path: "services/users/Sources/UsersService",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "mlex-users",
            dependencies: ["UsersService", "Platform"],
            path: "services/users/Sources/mlex-users",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "UsersServiceTests",
            dependencies: [
                "KafkaBus",
                "UsersService",
                "Auth",
                "Bus",
                "Platform",
                "PlatformTesting",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "services/users/Tests/UsersServiceTests",
            swiftSettings: strictSettings
        ),

        // MARK: services/data
        .target(
            name: "DataService",
            dependencies: [
                "Platform",
                "Auth",
                "Backends",
                "Store",
                "Bus",
                "Blobs",
                "Outbox",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            path: "services/data/Sources/DataService",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "mlex-data",
            dependencies: ["DataService", "Platform"],
            path: "services/data/Sources/mlex-data",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "DataServiceTests",
            dependencies: [
                "DataService",
                "Blobs",
                "Bus",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                "Auth",
                "Store",
                "Platform",
                "PlatformTesting",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            path: "services/data/Tests/DataServiceTests",
            swiftSettings: strictSettings
        ),

        // MARK: libs/DataClient — how services other than data use data's API
        .target(
            name: "DataClient",
            dependencies: [
                "Platform", "Auth", "Bus", "Outbox", "Store",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "libs/DataClient/Sources/DataClient",
            swiftSettings: strictSettings
        ),

        // MARK: services/compute
        .target(
            name: "ComputeWire",
            dependencies: ["Platform", "ComputeExecutors"],
            path: "services/compute/Sources/ComputeWire",
            swiftSettings: strictSettings
        ),
        // The local executor: Foundation only, so it can be built and tested on its own.
        .target(
            name: "ComputeExecutors",
            path: "services/compute/Sources/ComputeExecutors",
            swiftSettings: strictSettings
        ),
        // The Docker executor: the Engine API over its unix socket (AsyncHTTPClient speaks http+unix).
        .target(
            name: "ComputeDocker",
            dependencies: [
                "ComputeExecutors",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "services/compute/Sources/ComputeDocker",
            swiftSettings: strictSettings
        ),
        .target(
            name: "ComputeService",
            dependencies: [
                "Platform", "Auth", "Backends", "Store", "Bus", "Outbox", "DataClient", "ComputeWire",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            path: "services/compute/Sources/ComputeService",
            swiftSettings: strictSettings
        ),
        .target(
            name: "ComputeAgent",
            dependencies: [
                "Platform", "Auth", "DataClient", "ComputeWire", "ComputeExecutors", "ComputeDocker",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            path: "services/compute/Sources/ComputeAgent",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "mlex-compute",
            dependencies: ["ComputeService", "Platform"],
            path: "services/compute/Sources/mlex-compute",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "mlex-compute-agent",
            dependencies: ["ComputeAgent", "Platform"],
            path: "services/compute/Sources/mlex-compute-agent",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "mlex-compute-supervisor",
            dependencies: ["ComputeExecutors"],
            path: "services/compute/Sources/mlex-compute-supervisor",
            swiftSettings: strictSettings
        ),
        // Starts users, data, compute and agents as real processes (built by `swift build`).
        .testTarget(
            name: "ComputeServiceTests",
            dependencies: [
                "Platform", "PlatformTesting", "Auth", "ComputeTestSupport", "ComputeService",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "services/compute/Tests/ComputeServiceTests",
            swiftSettings: strictSettings
        ),
        // A dockerd of the tests' own with a job image imported: for the executor and service suites.
        .target(
            name: "ComputeTestSupport",
            dependencies: ["ComputeDocker"],
            path: "services/compute/Tests/ComputeTestSupport",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ComputeExecutorsTests",
            dependencies: ["ComputeExecutors", "ComputeDocker", "ComputeTestSupport"],
            path: "services/compute/Tests/ComputeExecutorsTests",
            swiftSettings: strictSettings
        ),

        // MARK: libs/ParameterSchema — a model's typed parameters (ingest checks, mlhub deploys)
        .target(
            name: "ParameterSchema",
            dependencies: ["Platform"],
            path: "libs/ParameterSchema/Sources/ParameterSchema",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ParameterSchemaTests",
            dependencies: ["ParameterSchema", "Platform"],
            path: "libs/ParameterSchema/Tests/ParameterSchemaTests",
            swiftSettings: strictSettings
        ),

        // MARK: services/ingest
        .target(
            name: "IngestService",
            dependencies: [
                "Platform", "Store", "Bus", "Outbox", "Backends", "Auth", "DataClient", "ParameterSchema", "Blobs",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "services/ingest/Sources/IngestService",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "mlex-ingest",
            dependencies: ["IngestService", "Platform"],
            path: "services/ingest/Sources/mlex-ingest",
            swiftSettings: strictSettings
        ),
        // Ingest → hub → tag → deploy through the bus, every service a real process.
        .testTarget(
            name: "IngestServiceTests",
            dependencies: [
                "IngestService", "Platform", "PlatformTesting",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "services/ingest/Tests/IngestServiceTests",
            swiftSettings: strictSettings
        ),

        // MARK: services/mlhub
        .target(
            name: "MLHubService",
            dependencies: [
                "Platform", "Store", "Bus", "Outbox", "Backends", "Auth", "DataClient", "ParameterSchema",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            path: "services/mlhub/Sources/MLHubService",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "mlex-mlhub",
            dependencies: ["MLHubService", "Platform"],
            path: "services/mlhub/Sources/mlex-mlhub",
            swiftSettings: strictSettings
        ),
        // Starts users, data, compute, tag and mlhub as real processes; builds the app itself
        // only to check its API description.
        .testTarget(
            name: "MLHubServiceTests",
            dependencies: [
                "MLHubService", "Platform", "PlatformTesting", "Bus",
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            path: "services/mlhub/Tests/MLHubServiceTests",
            swiftSettings: strictSettings
        ),

        // MARK: services/tag
        .target(
            name: "TagService",
            dependencies: [
                "Platform", "Store", "Bus", "Outbox", "Backends", "Auth", "DataClient",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            path: "services/tag/Sources/TagService",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "mlex-tag",
            dependencies: ["TagService", "Platform"],
            path: "services/tag/Sources/mlex-tag",
            swiftSettings: strictSettings
        ),
        // Starts users, data, compute and tag as real processes (built by `swift build`), and
        // builds the tag app itself only to check its API description.
        .testTarget(
            name: "TagServiceTests",
            dependencies: [
                "TagService", "Platform", "PlatformTesting", "Bus",
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            path: "services/tag/Tests/TagServiceTests",
            swiftSettings: strictSettings
        ),

        // MARK: apps/bench — `make bench`, release build, never part of `make test`
        .executableTarget(
            name: "mlex-bench",
            dependencies: [
                "Auth",
                "DataService",
                "UsersService",
                "ComputeService",
                "ComputeAgent",
                "ComputeExecutors",
                "MLHubService",
                "IngestService",
                "KafkaBus",
                "MongoStore",
                "Blobs",
                "Bus",
                "Store",
                "Platform",
                "CSQLite",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "apps/bench/Sources/mlex-bench",
            swiftSettings: strictSettings
        ),

        // MARK: apps/web — the single-origin gateway (UI comes later)
        .target(
            name: "WebGateway",
            dependencies: [
                "Platform",
                "Auth",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            path: "apps/web/Sources/WebGateway",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "mlex-web",
            dependencies: ["WebGateway", "Platform"],
            path: "apps/web/Sources/mlex-web",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "WebGatewayTests",
            dependencies: [
                "WebGateway",
                "Platform",
                "PlatformTesting",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "apps/web/Tests/WebGatewayTests",
            swiftSettings: strictSettings
        ),
    
        // MARK: clients/swift — the platform's HTTP API for programs (the CLI, notebooks' tools)
        .target(
            name: "MLExClient",
            dependencies: [
                "Platform",
                "Blobs",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ],
            path: "clients/swift/Sources/MLExClient",
            swiftSettings: strictSettings
        ),

        // MARK: apps/cli — `mlex`, the command-line client
        .target(
            name: "MLExCLI",
            dependencies: [
                "MLExClient",
                "Blobs",
                "Platform",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
            ],
            path: "apps/cli/Sources/MLExCLI",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "mlex",
            dependencies: ["MLExCLI"],
            path: "apps/cli/Sources/mlex",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "CLITests",
            dependencies: ["MLExCLI", "MLExClient", "Platform", "PlatformTesting"],
            path: "apps/cli/Tests/CLITests",
            swiftSettings: strictSettings
        ),
        // Drives the built `mlex` against users, data, compute, an agent and the gateway as processes.
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["Platform", "PlatformTesting"],
            path: "apps/cli/Tests/EndToEndTests",
            swiftSettings: strictSettings
        ),

        // MARK: doc_compose — the Dockerfile and the docker-compose subsets, checked without Docker
        .testTarget(
            name: "DeploymentTests",
            dependencies: ["Platform", .product(name: "Yams", package: "Yams")],
            path: "doc_compose/Tests/DeploymentTests",
            swiftSettings: strictSettings
        ),
    ]
)
