import Foundation
import Platform
import Yams

// What the deployment tests read, and the checks they make. Each check returns its problems as
// sentences, so a test asserts none and another feeds it a broken input to see that it catches.

/// The repository: this file is doc_compose/Tests/DeploymentTests/Deployment.swift.
let repository = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

func repositoryText(_ path: String) throws -> String {
    try String(contentsOf: repository.appendingPathComponent(path), encoding: .utf8)
}

/// Every capture group of every match (index 0 is the first group).
func captures(_ pattern: String, in text: String) -> [[String]] {
    let regex = try! NSRegularExpression(pattern: pattern, options: [.anchorsMatchLines])
    return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).map { match in
        (1..<match.numberOfRanges).map { index in
            Range(match.range(at: index), in: text).map { String(text[$0]) } ?? ""
        }
    }
}

/// The subsets: doc_compose/<subset>.yml each, and `make compose_<subset>`.
let subsets = ["compute", "data", "ingest", "mlhub", "tag", "users", "all"]

// MARK: Package.swift and the Makefile

struct PackageExecutables {
    /// Executable target name → its path.
    let paths: [String: String]

    /// Reads the three ways Package.swift declares an executable: `executable("name", in:
    /// "folder", …)` at `folder/Sources/name`, a service's `service(…, folder: "f", executable:
    /// "name", …)` at `services/f/Sources/name`, and a plain `.executableTarget(name:…, path:…)`.
    init(manifest: String) {
        var paths: [String: String] = [:]
        for match in captures(#"executable\(\s*"([^"]+)",\s*in:\s*"([^"]+)""#, in: manifest) {
            paths[match[0]] = "\(match[1])/Sources/\(match[0])"
        }
        for match in captures(#"folder:\s*"([^"]+)",\s*executable:\s*"([^"]+)""#, in: manifest) {
            paths[match[1]] = "services/\(match[0])/Sources/\(match[1])"
        }
        // Each chunk runs from one `.executableTarget(` to the next target of any kind.
        for chunk in manifest.components(separatedBy: ".executableTarget(").dropFirst() {
            let target = chunk.components(separatedBy: ".target(")[0].components(separatedBy: ".testTarget(")[0]
            guard let name = captures(#"^\s*name:\s*"([^"]+)""#, in: target).first?[0],
                let path = captures(#"^\s*path:\s*"([^"]+)""#, in: target).first?[0]
            else { continue }
            paths[name] = path
        }
        self.paths = paths
    }

    var names: Set<String> { Set(paths.keys) }

    /// What a deployment runs as a process: the gateway and each service's executable (the
    /// Makefile's EXECUTABLES rule). The job supervisor is started by the agent, never alone.
    var services: Set<String> {
        Set(
            paths.filter { name, path in
                name.hasPrefix("mlex-") && name != "mlex-compute-supervisor"
                    && (path.hasPrefix("services/") || path.hasPrefix("apps/web/"))
            }.keys)
    }

    /// What the image must carry: everything but test-only executables (under a Tests
    /// directory) and the benchmarks (`make bench`).
    var deployable: Set<String> {
        Set(paths.filter { _, path in !path.contains("/Tests/") && !path.hasPrefix("apps/bench/") }.keys)
    }
}

/// The Makefile's `NEEDS_<svc> := mlex-… …` lines.
func makefileNeeds(_ makefile: String) -> [String: Set<String>] {
    var needs: [String: Set<String>] = [:]
    for line in captures(#"^NEEDS_([a-z]+)\s*:=(.*)$"#, in: makefile) {
        needs[line[0]] = Set(line[1].split(separator: " ").map(String.init))
    }
    return needs
}

/// The executables a subset must run: itself, what the Makefile says it needs, and the
/// gateway; `all` runs every service.
func expectedExecutables(_ subset: String, needs: [String: Set<String>], package: PackageExecutables) -> Set<String> {
    subset == "all" ? package.services : needs[subset, default: []].union(["mlex-web", "mlex-\(subset)"])
}

// MARK: ports

/// The documented port of an executable: ServiceName's default for the gateway and services,
/// docs/configuration.md's `mlex.agent.port` default for the node agent.
func documentedPort(_ executable: String, configurationDoc: String) -> Int? {
    if executable == "mlex-compute-agent" {
        return captures(#"`mlex\.agent\.port` \| `MLEX_AGENT_PORT` \| `(\d+)`"#, in: configurationDoc).first.flatMap {
            Int($0[0])
        }
    }
    guard executable.hasPrefix("mlex-") else { return nil }
    return ServiceName(rawValue: String(executable.dropFirst("mlex-".count)))?.defaultPort
}

/// The setting prefix a process binds with: the agent acts as compute.
func hostVariable(_ executable: String) -> String {
    let service = executable == "mlex-compute-agent" ? "compute" : String(executable.dropFirst("mlex-".count))
    return "MLEX_\(service.uppercased())_HOST"
}

// MARK: the Dockerfile

struct DockerStage {
    let name: String
    var lines: [String] = []

    /// The executable the stage runs (CMD or ENTRYPOINT, exec form).
    var command: String? { captures(#"^(?:CMD|ENTRYPOINT) \["([^"]+)""#, in: text).first?[0] }
    var exposed: [Int] { captures(#"^EXPOSE (\d+)"#, in: text).compactMap { Int($0[0]) } }
    var healthPorts: [Int] {
        captures(#"^HEALTHCHECK .*http://127\.0\.0\.1:(\d+)/health"#, in: text).compactMap { Int($0[0]) }
    }
    /// Executables copied from the build stage's /out.
    var copied: Set<String> {
        Set(
            captures(#"^COPY --from=build (.*) /usr/local/bin/"#, in: text).flatMap { $0[0].split(separator: " ") }
                .map { String($0.split(separator: "/").last!) })
    }
    var text: String { lines.joined(separator: "\n") }
}

struct Dockerfile {
    let stages: [String: DockerStage]
    /// The build stage's PRODUCTS list.
    let products: [String]

    init(_ text: String) {
        var stages: [String: DockerStage] = [:]
        var current: DockerStage?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("FROM ") {
                if let current { stages[current.name] = current }
                current = DockerStage(name: captures(#" AS (\S+)$"#, in: line).first?[0] ?? "")
            }
            current?.lines.append(line)
        }
        if let current { stages[current.name] = current }
        self.stages = stages
        products =
            captures(#"^ARG PRODUCTS="([^"]*)""#, in: text).first?[0].split(separator: " ").map(String.init) ?? []
    }

    /// The stage a compose service's build target names, and the executable it runs.
    func executable(ofTarget target: String) -> String? { stages[target]?.command }
}

func dockerfileProblems(_ dockerfile: Dockerfile, package: PackageExecutables, configurationDoc: String) -> [String] {
    var problems: [String] = []
    let products = Set(dockerfile.products)
    for missing in package.deployable.subtracting(products).sorted() {
        problems.append("the Dockerfile's PRODUCTS leave out \(missing), an executable of Package.swift")
    }
    for unknown in products.subtracting(package.names).sorted() {
        problems.append("the Dockerfile builds \(unknown), which Package.swift does not define")
    }
    let commands = Dictionary(dockerfile.stages.values.compactMap { stage in stage.command.map { ($0, stage) } }) {
        first, _ in first
    }
    for service in package.services.sorted() {
        guard let stage = commands[service] else {
            problems.append("no Dockerfile target runs \(service)")
            continue
        }
        let port = documentedPort(service, configurationDoc: configurationDoc)
        if stage.exposed != [port].compactMap({ $0 }) {
            problems.append("target \(stage.name) exposes \(stage.exposed), not \(port.map(String.init) ?? "?")")
        }
        if stage.healthPorts != [port].compactMap({ $0 }) {
            problems.append(
                "target \(stage.name) checks health on \(stage.healthPorts), not GET /health on \(port.map(String.init) ?? "?")"
            )
        }
    }
    for stage in dockerfile.stages.values.sorted(by: { $0.name < $1.name }) {
        guard let command = stage.command else { continue }
        if !package.names.contains(command) {
            problems.append("target \(stage.name) runs \(command), which Package.swift does not define")
        }
        if !products.contains(command) {
            problems.append("target \(stage.name) runs \(command), which the build stage does not build")
        }
        if !stage.copied.contains(command) {
            problems.append("target \(stage.name) runs \(command) without copying it in")
        }
    }
    if let agent = commands["mlex-compute-agent"], !agent.copied.contains("mlex-compute-supervisor") {
        problems.append(
            "the agent's target lacks mlex-compute-supervisor, which the agent starts from its own directory")
    }
    return problems
}

// MARK: compose files

/// `docker-compose config` of one subset: what compose itself makes of the file (extends,
/// anchors and defaults resolved). Run once per subset for every test.
struct ComposeRun: Sendable {
    let status: Int32
    let output: String
    let errors: String
}

/// docker-compose on PATH (or Debian's /usr/bin), nil when it is not installed.
let composeTool: String? = {
    let directories =
        (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init) + [
            "/usr/bin", "/usr/local/bin",
        ]
    return directories.map { "\($0)/docker-compose" }.first { FileManager.default.isExecutableFile(atPath: $0) }
}()

let composeRuns: [String: ComposeRun]? = {
    guard let tool = composeTool else { return nil }
    // An empty env file, so a developer's doc_compose/.env cannot change what is checked, and
    // no DEPLOY_* or COMPOSE_* variable from this environment either: the files' defaults.
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("deployment-tests-\(getpid())")
    try? FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let envFile = scratch.appendingPathComponent("empty.env")
    _ = FileManager.default.createFile(atPath: envFile.path, contents: Data())
    let environment = ProcessInfo.processInfo.environment.filter {
        !$0.key.hasPrefix("DEPLOY_") && !$0.key.hasPrefix("COMPOSE_")
    }
    var runs: [String: ComposeRun] = [:]
    for subset in subsets {
        runs[subset] = runProcess(
            tool, ["-p", "mlexchange", "--env-file", envFile.path, "-f", "doc_compose/\(subset).yml", "config"],
            environment: environment, scratch: scratch)
    }
    return runs
}()

func runProcess(_ tool: String, _ arguments: [String], environment: [String: String], scratch: URL) -> ComposeRun {
    // Output goes to files: a pipe left unread while waiting could fill and stall the child.
    let out = scratch.appendingPathComponent("out-\(UUID().uuidString)")
    let err = scratch.appendingPathComponent("err-\(UUID().uuidString)")
    _ = FileManager.default.createFile(atPath: out.path, contents: nil)
    _ = FileManager.default.createFile(atPath: err.path, contents: nil)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tool)
    process.arguments = arguments
    process.environment = environment
    process.currentDirectoryURL = repository
    do {
        let outHandle = try FileHandle(forWritingTo: out)
        let errHandle = try FileHandle(forWritingTo: err)
        defer {
            try? outHandle.close()
            try? errHandle.close()
        }
        process.standardOutput = outHandle
        process.standardError = errHandle
        try process.run()
        process.waitUntilExit()
    } catch {
        return ComposeRun(status: -1, output: "", errors: "could not run \(tool): \(error)")
    }
    let text = { (url: URL) in (try? String(contentsOf: url, encoding: .utf8)) ?? "" }
    return ComposeRun(status: process.terminationStatus, output: text(out), errors: text(err))
}

func composeDocument(_ yaml: String) throws -> [String: Any] {
    try Yams.load(yaml: yaml) as? [String: Any] ?? [:]
}

/// The `services` of a compose config, by name.
func composeServices(_ document: [String: Any]) -> [String: [String: Any]] {
    (document["services"] as? [String: Any] ?? [:]).compactMapValues { $0 as? [String: Any] }
}

/// `environment` as a map (compose may print a list of KEY=value too).
func environment(of service: [String: Any]) -> [String: String] {
    if let map = service["environment"] as? [String: Any] {
        return map.mapValues { "\($0)" }
    }
    var result: [String: String] = [:]
    for entry in service["environment"] as? [String] ?? [] {
        let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
        result[parts[0]] = parts.count > 1 ? parts[1] : ""
    }
    return result
}

/// Checks one subset's resolved config: its containers, what they run, their ports, peers and
/// backends, and that secrets are only ever files.
func composeProblems(
    subset: String, document: [String: Any], dockerfile: Dockerfile, package: PackageExecutables,
    needs: [String: Set<String>], configurationDoc: String
) -> [String] {
    var problems: [String] = []
    let services = composeServices(document)
    for (name, secret) in (document["secrets"] as? [String: Any] ?? [:]).sorted(by: { $0.key < $1.key }) {
        // A file, by default in data/ (gitignored), where `make compose_<subset>` generates it.
        guard let file = (secret as? [String: Any])?["file"] as? String else {
            problems.append("\(subset): secret \(name) is not a file")
            continue
        }
        if !file.hasPrefix(repository.appendingPathComponent("data").path + "/") {
            problems.append("\(subset): secret \(name) is kept at \(file), outside the gitignored data/")
        }
    }
    var executables: [String: String] = [:]  // compose service → executable
    for (name, service) in services.sorted(by: { $0.key < $1.key }) {
        for (key, value) in environment(of: service).sorted(by: { $0.key < $1.key }) {
            problems += secretProblems(subset: subset, service: name, key: key, value: value)
        }
        if let build = service["build"] as? [String: Any] {
            guard let target = build["target"] as? String, let executable = dockerfile.executable(ofTarget: target)
            else {
                problems.append(
                    "\(subset): \(name) builds a Dockerfile target that runs nothing (\(build["target"] ?? "none"))")
                continue
            }
            if !package.names.contains(executable) {
                problems.append("\(subset): \(name) runs \(executable), which Package.swift does not define")
            }
            if !package.services.contains(executable) {
                problems.append("\(subset): \(name) runs \(executable), which is no service of Package.swift")
            }
            executables[name] = executable
        } else {
            let image = service["image"] as? String ?? ""
            let known =
                (name == "mongodb" && image.hasPrefix("mongo:"))
                || (name == "kafka" && image.hasPrefix("apache/kafka:"))
            if !known {
                problems.append(
                    "\(subset): \(name) is neither an MLExchange service nor the MongoDB or Kafka of the platform (\(image))"
                )
            }
            if service["healthcheck"] == nil { problems.append("\(subset): \(name) has no health check") }
            if (service["volumes"] as? [Any] ?? []).isEmpty {
                problems.append("\(subset): \(name) keeps its data in no volume")
            }
        }
    }
    for backend in ["mongodb", "kafka"] where services[backend] == nil {
        problems.append("\(subset): no \(backend)")
    }
    let expected = expectedExecutables(subset, needs: needs, package: package)
    let actual = Set(executables.values)
    if actual != expected {
        problems.append("\(subset) runs \(actual.sorted()), the Makefile says \(expected.sorted())")
    }
    if executables.count != actual.count { problems.append("\(subset) runs an executable twice: \(executables)") }

    for (name, executable) in executables.sorted(by: { $0.key < $1.key }) {
        let service = services[name]!
        let env = environment(of: service)
        let port = documentedPort(executable, configurationDoc: configurationDoc)
        let published = (service["ports"] as? [Any] ?? []).map { "\($0)" }
        if port == nil || published != ["127.0.0.1:\(port!):\(port!)/tcp"] {
            problems.append(
                "\(subset): \(name) publishes \(published), not its documented port \(port.map(String.init) ?? "?")")
        }
        if env[hostVariable(executable)] != "0.0.0.0" {
            problems.append("\(subset): \(name) does not set \(hostVariable(executable))=0.0.0.0")
        }
        // The production shape: every service on MongoDB and Kafka (the gateway and the agent
        // keep no documents and follow no topics).
        if !["mlex-web", "mlex-compute-agent"].contains(executable) {
            if env["MLEX_STORE"]?.hasPrefix("mongodb://") != true {
                problems.append("\(subset): \(name) is not on MongoDB (MLEX_STORE)")
            }
            if env["MLEX_BUS"]?.hasPrefix("kafka://") != true {
                problems.append("\(subset): \(name) is not on Kafka (MLEX_BUS)")
            }
        }
        for (key, value) in env.sorted(by: { $0.key < $1.key }) {
            // MLEX_<SVC>_URL names a peer: its container by the name compose gives it, on that
            // service's documented port.
            if let peer = captures(#"^MLEX_([A-Z]+)_URL$"#, in: key).first?[0],
                let peerService = ServiceName(rawValue: peer.lowercased())
            {
                let url = URL(string: value)
                if url?.port != peerService.defaultPort {
                    problems.append(
                        "\(subset): \(name) finds \(peerService.rawValue) at \(value), not on port \(peerService.defaultPort)"
                    )
                }
                if let host = url?.host, let runs = executables[host], runs != "mlex-\(peerService.rawValue)" {
                    problems.append("\(subset): \(name) finds \(peerService.rawValue) at \(host), which runs \(runs)")
                }
            }
        }
    }
    return problems
}

/// A setting that holds a secret must be a file (or directory) under /run/secrets, where
/// compose mounts secrets: the value itself never appears in a compose file.
func secretProblems(subset: String, service: String, key: String, value: String) -> [String] {
    guard key.range(of: #"PASSWORD|SECRET|TOKEN|CREDENTIAL|PRIVATE|_KEY$"#, options: .regularExpression) != nil else {
        return []
    }
    if (key.hasSuffix("_FILE") || key.hasSuffix("_DIR")) && value.hasPrefix("/run/secrets") { return [] }
    return ["\(subset): \(service) sets \(key) in its environment; a secret must come from a file under /run/secrets"]
}

/// Text checks over the files as written: every MLEX_ variable is documented, and nothing that
/// looks like a credential is in them.
func textProblems(file: String, text: String, configurationDoc: String) -> [String] {
    var problems: [String] = []
    for variable in Set(captures(#"\b(MLEX_[A-Z0-9_]+)"#, in: text).map { $0[0] }).sorted()
    where !configurationDoc.contains(variable) {
        problems.append("\(file) uses \(variable), which docs/configuration.md does not document")
    }
    if !captures(#"(://[^/\s:@"']+:[^/\s@"']+@)"#, in: text).isEmpty {
        problems.append("\(file) has a URL with a password in it")
    }
    if text.contains("-----BEGIN") { problems.append("\(file) has a PEM key in it") }
    return problems
}
