import ArgumentParser
import Blobs
import Foundation
import MLExClient
import Wire

struct Submit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run this git project's last commit as a job, as its task file says.",
        discussion: """
            Packages exactly the committed tree (git archive HEAD; uncommitted
            changes to tracked files are refused), uploads it and the task's
            local dataset directory (as a new dataset version, unless an
            identical one exists), and submits the job. Prints the job's id on
            stdout.

            task.yaml (DDL's keys, then the jobs API's):
              project: my-project          # name or id (or --project)
              job_data:
                dataset:
                  dataset_location: ./data # mounted read-only at /data
                  dataset_name: mnist      # default: the directory's name
              worker_required: 1           # workers running it together (1-64)
              resources: {cpus: 1, memoryMB: 1024, gpus: 0}  # per worker
              params: {lr: 0.01, epochs: 3}
              env: {MODE: fast}
              timeoutSeconds: 3600
              priority: 50                 # 0-1000
              queue: default
              command: [python3, train.py] # optional

            Without `command`, DDL's contract applies: the package's main.py is
            imported and main(dataset_dir, model_output_dir) called.
            """
    )

    @OptionGroup var global: GlobalOptions
    @Option(help: ArgumentHelp("The task file.", valueName: "file")) var task = "task.yaml"
    @Option(help: "The project (name or id), instead of the task file's.") var project: String?
    @Option(help: "The job's name (default: the task's, else <repository>@<commit>).") var name: String?
    @Option(
        help: ArgumentHelp(
            "Workers running the job together (1-64), instead of the task's worker_required; resources are per worker.",
            valueName: "n")) var workers: Int?
    @Flag(
        help:
            "The job serves HTTP on the Unix socket $MLEX_ENDPOINT_SOCKET while it runs, reached at /endpoints/<job id>/ through the gateway (docs/endpoints.md)."
    ) var endpoint = false
    @Flag(help: "Print the created job as JSON.") var json = false

    func run() async throws {
        try await reportingErrors {
            let client = try global.client()
            let job = try await TaskUpload.withUploaded(task: task, project: project, client: client) { uploaded in
                try await client.call(.compute, .POST, "/v1/jobs", body: jobSpec(uploaded))
            }
            let id = job["id"]?.stringValue ?? ""
            if json { return Console.json(job) }
            Console.line(id)
            Console.note("Job \(id) \(Console.cell(job["state"])): \(client.url(.compute, "/v1/jobs/\(id)"))")
            Console.note("Follow it with `mlex progress --wait \(id)` or `mlex logs -f \(id)`.")
        }
    }

    func jobSpec(_ uploaded: TaskUpload) -> JSONValue {
        var spec = uploaded.commonFields(name: name)
        let task = uploaded.task
        let optional: [(String, JSONValue?)] = [
            ("workers", (workers ?? task.workers).map { .int(Int64($0)) }),
            ("timeoutSeconds", task.timeoutSeconds.map { .int(Int64($0)) }),
            ("retries", task.retries.map { .int(Int64($0)) }),
        ]
        for case (let key, let value?) in optional { spec[key] = value }
        if endpoint { spec["endpoint"] = ["kind": "http"] }
        return .object(spec)
    }
}

/// What `mlex submit` and `mlex serve` share: the task file read, the project's last commit
/// uploaded as the code package, the task's dataset pushed as a version, and the fields a job
/// and a deployment both take from them.
struct TaskUpload {
    let task: TaskFile
    let projectID: String
    let codePath: String
    let inputs: [JSONValue]
    let package: GitPackage

    /// Uploads what the task file in `task` names, then runs `body`; the package's archive is
    /// removed either way.
    static func withUploaded<T>(
        task path: String, project: String?, client: MLExClient, _ body: (TaskUpload) async throws -> T
    ) async throws -> T {
        let taskURL = URL(fileURLWithPath: path).standardizedFileURL
        let taskFile = try TaskFile.load(taskURL)
        guard let projectReference = project ?? taskFile.project else {
            throw ClientError.usage(
                "which project? put `project: <name>` in \(taskURL.lastPathComponent) or pass --project")
        }
        let package = try GitPackage.make(
            from: taskURL.deletingLastPathComponent(), requireEntry: taskFile.command == nil ? "main.py" : nil)
        defer { package.remove() }
        let projectID = try await client.projectID(projectReference)
        let codePath = try await uploadCode(package, client: client, projectID: projectID)
        var inputs: [JSONValue] = []
        if let location = taskFile.datasetLocation {
            let directory = URL(fileURLWithPath: location, relativeTo: taskURL.deletingLastPathComponent())
                .standardizedFileURL
            let pushed = try await DatasetPush(client: client, projectID: projectID)
                .push(directory: directory, datasetName: taskFile.datasetName ?? directory.lastPathComponent)
            inputs.append(.string(pushed.versionID))
        }
        return try await body(
            TaskUpload(task: taskFile, projectID: projectID, codePath: codePath, inputs: inputs, package: package))
    }

    /// Uploads the package as the project file `code/<commit>.tar`, unless that file already
    /// holds these bytes; the file's path.
    static func uploadCode(_ package: GitPackage, client: MLExClient, projectID: String) async throws -> String {
        let path = "code/\(package.commit).tar"
        let digest = try FileDigest.sha256(of: package.archive)
        let existing = try await client.call(
            .data, .GET, "/v1/projects/\(projectID)/files", query: ["prefix": path, "limit": "1"])
        if existing["items"]?.arrayValue?.first(where: { $0["path"]?.stringValue == path })?["sha256"]?.stringValue
            == digest
        {
            return path
        }
        let size =
            (try FileManager.default.attributesOfItem(atPath: package.archive.path)[.size] as? NSNumber)?.int64Value
            ?? 0
        let bar = ProgressBar("code \(package.repositoryName)@\(package.commit.prefix(12))", total: size)
        try await client.upload(
            package.archive, toDataPath: "/v1/projects/\(projectID)/files/\(URLPath.escape(path))", sha256: digest,
            progress: bar.reporter)
        bar.finish()
        return path
    }

    /// The fields a job and a deployment both take from the task: what runs, where, with what.
    func commonFields(name: String?) -> [String: JSONValue] {
        var spec: [String: JSONValue] = [
            "projectId": .string(projectID), "codePackage": .string(codePath),
            "name": .string(name ?? task.name ?? "\(package.repositoryName)@\(package.commit.prefix(12))"),
        ]
        if !inputs.isEmpty { spec["inputs"] = .array(inputs) }
        if let command = task.command { spec["command"] = .array(command.map(JSONValue.string)) }
        if !task.resources.isEmpty { spec["resources"] = .object(task.resources) }
        if !task.params.isEmpty { spec["params"] = .object(task.params) }
        if !task.env.isEmpty { spec["env"] = .object(task.env.mapValues(JSONValue.string)) }
        let optional: [(String, JSONValue?)] = [
            ("priority", task.priority.map { .int(Int64($0)) }),
            ("template", task.template.map(JSONValue.string)), ("image", task.image.map(JSONValue.string)),
            ("queue", task.queue.map(JSONValue.string)),
        ]
        for case (let key, let value?) in optional { spec[key] = value }
        return spec
    }
}
