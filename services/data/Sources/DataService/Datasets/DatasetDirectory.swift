import Foundation
import Platform
import Store

/// Datasets of a project, their versions, and which runs read which version.
struct DatasetDirectory: Sendable {
    let store: any DocumentStore
    let ledger: BlobLedger

    var datasetEntities: Entities<Dataset> { Entities(store: store, ledger: ledger) }
    var versionEntities: Entities<DatasetVersion> { Entities(store: store, ledger: ledger) }

    func dataset(id: String) async throws -> Dataset? {
        try await store.get(id, from: Dataset.collection).map(Dataset.init(document:))
    }

    func version(id: String) async throws -> DatasetVersion? {
        try await store.get(id, from: DatasetVersion.collection).map(DatasetVersion.init(document:))
    }

    /// Stores a new dataset; a name the project already has is a 409.
    func create(_ dataset: Dataset) async throws {
        do {
            try await store.batch([
                .insert(try dataset.document(), into: Dataset.collection),
                DataEvents.write("dataset.created", subject: dataset.id, try dataset.view()),
            ])
        } catch let error as StoreError where error.code == .duplicate {
            throw APIError.conflict(
                "the project has a dataset named \(dataset.name) (perhaps in the trash)", code: "name_taken",
                field: "name")
        }
    }

    func datasets(in projectID: String, lifecycle: Lifecycle?, limit: Int, after: String?) async throws -> [Dataset] {
        var filter: JSONValue = ["projectId": .string(projectID)]
        if let lifecycle { filter["lifecycle"] = .string(lifecycle.rawValue) }
        return try await store.find(
            Dataset.collection,
            Query(filter: filter, sort: [.ascending("id")], limit: limit, after: after.map { ["id": .string($0)] })
        )
        .map(Dataset.init(document:))
    }

    /// A new draft version, numbered after the dataset's last one.
    func createVersion(
        of dataset: Dataset, description: String, schema: JSONValue?, by userID: String
    ) async throws -> DatasetVersion {
        guard
            let claimed = try await store.findOneAndUpdate(
                Dataset.collection, filter: ["id": .string(dataset.id)], sort: [], update: ["$inc": ["versionCount": 1]]
            )
        else {
            throw APIError.notFound("no dataset \(dataset.id)")
        }
        let number = try Dataset(document: claimed).versionCount
        let version = DatasetVersion(
            number: number, of: dataset, description: description, schema: schema, createdBy: userID)
        try await store.insert(try version.document(), into: DatasetVersion.collection)
        return version
    }

    func versions(
        of datasetID: String, lifecycle: Lifecycle?, limit: Int, after: String?
    ) async throws -> [DatasetVersion] {
        var filter: JSONValue = ["datasetId": .string(datasetID)]
        if let lifecycle { filter["lifecycle"] = .string(lifecycle.rawValue) }
        return try await store.find(
            DatasetVersion.collection,
            Query(filter: filter, sort: [.ascending("id")], limit: limit, after: after.map { ["id": .string($0)] })
        )
        .map(DatasetVersion.init(document:))
    }

    /// Seals a draft: its file count and total size are fixed and `dataset.version.created`
    /// announces it.
    func finalize(_ version: DatasetVersion) async throws -> DatasetVersion {
        guard version.state == .draft else { return version }
        let files = try await FileDirectory(store: store, ledger: ledger).files(of: .datasetVersion(version))
        guard !files.isEmpty else {
            throw APIError.conflict("a version holds at least one file; upload its files first", code: "empty_version")
        }
        var final = version
        final.state = .final
        final.fileCount = Int64(files.count)
        final.size = files.reduce(Int64(0)) { $0 + $1.size }
        final.finalizedAt = Timestamp.now
        return try await versionEntities.update(version, to: final, verb: "created")
    }

    /// Records that `run` read `version`: the record, and whether it is new.
    func addInput(_ version: DatasetVersion, to run: Run) async throws -> (input: RunInput, added: Bool) {
        let input = RunInput(version, readBy: run)
        do {
            try await store.insert(try input.document(), into: "run_inputs")
            return (input, true)
        } catch let error as StoreError where error.code == .duplicate {
            return (try await store.get(input.id, from: "run_inputs").map(RunInput.init(document:)) ?? input, false)
        }
    }

    func inputs(of runID: String) async throws -> [RunInput] {
        try await store.find("run_inputs", Query(filter: ["runId": .string(runID)], sort: [.ascending("addedAt")])).map(
            RunInput.init(document:))
    }

    func runs(reading versionID: String, limit: Int, after: String?) async throws -> [RunInput] {
        var filter: JSONValue = ["datasetVersionId": .string(versionID)]
        if let after { filter["runId"] = ["$gt": .string(after)] }
        return try await store.find("run_inputs", Query(filter: filter, sort: [.ascending("runId")], limit: limit)).map(
            RunInput.init(document:))
    }
}
