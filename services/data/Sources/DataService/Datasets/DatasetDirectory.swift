import Foundation
import Platform
import Store

/// Datasets of a project and their versions. A version starts as a draft that takes files,
/// and becomes immutable when finalized (ClearML's create → add files → finalize): its files,
/// their sizes and SHA-256s never change after that, so a run that names it as an input names
/// exactly the bytes it read. Versions are numbered 1, 2, … per dataset.
struct DatasetDirectory: Sendable {
    enum State: String, Sendable, CaseIterable { case draft, final }

    let store: any DocumentStore
    let ledger: BlobLedger

    var datasetEntities: Entities {
        Entities(store: store, ledger: ledger, collection: "datasets", entity: "dataset", scope: { .dataset($0) }, view: Self.view)
    }

    var versionEntities: Entities {
        Entities(store: store, ledger: ledger, collection: "dataset_versions", entity: "dataset.version", scope: { .datasetVersion($0) }, view: Self.view)
    }

    func dataset(id: String) async throws -> JSONValue? {
        try await store.get(id, from: "datasets")
    }

    func version(id: String) async throws -> JSONValue? {
        try await store.get(id, from: "dataset_versions")
    }

    func create(name: String, description: String, in projectID: String, by userID: String) async throws -> JSONValue {
        let now = Timestamp.now
        let dataset: JSONValue = [
            "id": .string(ID.make()), "projectId": .string(projectID), "name": .string(name), "nameKey": .string(name.lowercased()),
            "description": .string(description), "lifecycle": "active", "versionCount": 0, "createdBy": .string(userID), "createdAt": .string(now), "updatedAt": .string(now),
        ]
        do {
            try await store.batch([.insert(dataset, into: "datasets"), DataEvents.write("dataset.created", subject: dataset["id"]!.stringValue!, Self.view(dataset))])
        } catch let error as StoreError where error.code == .duplicate {
            throw APIError.conflict("the project has a dataset named \(name) (perhaps in the trash)", code: "name_taken", field: "name")
        }
        return dataset
    }

    func datasets(in projectID: String, lifecycle: Lifecycle?, limit: Int, after: String?) async throws -> [JSONValue] {
        var filter: JSONValue = ["projectId": .string(projectID)]
        if let lifecycle { filter["lifecycle"] = .string(lifecycle.rawValue) }
        return try await store.find("datasets", Query(filter: filter, sort: [.ascending("id")], limit: limit, after: after.map { ["id": .string($0)] }))
    }

    /// A new draft version, numbered after the dataset's last one.
    func createVersion(of dataset: JSONValue, description: String, schema: JSONValue?, by userID: String) async throws -> JSONValue {
        guard let claimed = try await store.findOneAndUpdate("datasets", filter: ["id": dataset["id"]!], sort: [], update: ["$inc": ["versionCount": 1]]),
              let number = claimed["versionCount"]?.intValue
        else { throw APIError.notFound("no dataset \(dataset["id"]?.stringValue ?? "")") }
        let now = Timestamp.now
        var version: JSONValue = [
            "id": .string(ID.make()), "datasetId": dataset["id"]!, "projectId": dataset["projectId"]!, "number": .int(number),
            "description": .string(description), "state": .string(State.draft.rawValue), "lifecycle": "active",
            "createdBy": .string(userID), "createdAt": .string(now), "updatedAt": .string(now),
        ]
        if let schema { version["schema"] = schema }
        try await store.insert(version, into: "dataset_versions")
        return version
    }

    func versions(of datasetID: String, lifecycle: Lifecycle?, limit: Int, after: String?) async throws -> [JSONValue] {
        var filter: JSONValue = ["datasetId": .string(datasetID)]
        if let lifecycle { filter["lifecycle"] = .string(lifecycle.rawValue) }
        return try await store.find("dataset_versions", Query(filter: filter, sort: [.ascending("id")], limit: limit, after: after.map { ["id": .string($0)] }))
    }

    /// Seals a draft: its file count and total size are fixed and `dataset.version.created`
    /// announces it.
    func finalize(_ version: JSONValue) async throws -> JSONValue {
        guard version["state"] == .string(State.draft.rawValue) else { return version }
        let owner = FileOwner.datasetVersion(version)
        let files = try await store.find("files", Query(filter: ["owner": .string(owner.key)]))
        guard !files.isEmpty else { throw APIError.conflict("a version holds at least one file; upload its files first", code: "empty_version") }
        let size = files.reduce(Int64(0)) { $0 + ($1["size"]?.intValue ?? 0) }
        return try await versionEntities.update(version, set: [
            "state": .string(State.final.rawValue), "fileCount": .int(Int64(files.count)), "size": .int(size), "finalizedAt": .string(Timestamp.now),
        ], verb: "created")
    }

    /// Records that `run` read `version`: the record, and whether it is new.
    func addInput(_ version: JSONValue, to run: JSONValue) async throws -> (input: JSONValue, added: Bool) {
        let input: JSONValue = [
            "id": .string("\(run["id"]!.stringValue!):\(version["id"]!.stringValue!)"), "runId": run["id"]!, "experimentId": run["experimentId"]!,
            "projectId": run["projectId"]!, "datasetId": version["datasetId"]!, "datasetVersionId": version["id"]!, "addedAt": .string(Timestamp.now),
        ]
        do {
            try await store.insert(input, into: "run_inputs")
            return (input, true)
        } catch let error as StoreError where error.code == .duplicate {
            return (try await store.get(input["id"]!.stringValue!, from: "run_inputs") ?? input, false)
        }
    }

    func inputs(of runID: String) async throws -> [JSONValue] {
        try await store.find("run_inputs", Query(filter: ["runId": .string(runID)], sort: [.ascending("addedAt")]))
    }

    func runs(reading versionID: String, limit: Int, after: String?) async throws -> [JSONValue] {
        var filter: JSONValue = ["datasetVersionId": .string(versionID)]
        if let after { filter["runId"] = ["$gt": .string(after)] }
        return try await store.find("run_inputs", Query(filter: filter, sort: [.ascending("runId")], limit: limit))
    }

    static func view(_ document: JSONValue) -> JSONValue {
        guard case .object(var members) = document else { return document }
        members.removeValue(forKey: "nameKey")
        return .object(members)
    }
}
