import Blobs
import Foundation
import MLExClient
import Wire

/// A local directory made a dataset version: files hashed, an identical final version of the
/// dataset reused, otherwise a new draft filled, finalized — or removed if an upload fails, so
/// no half-filled version stays behind.
struct DatasetPush {
    let client: MLExClient
    let projectID: String

    struct LocalFile {
        let path: String
        let url: URL
        let size: Int64
        let sha256: String
    }

    /// The version id, and whether it was made now (false: an identical one existed).
    func push(directory: URL, datasetName: String) async throws -> (versionID: String, created: Bool) {
        let files = try Self.scan(directory)
        guard !files.isEmpty else { throw ClientError.usage("\(directory.path) holds no files to upload as a dataset") }
        let datasetID = try await dataset(named: datasetName)
        if let existing = try await identicalVersion(of: datasetID, to: files) {
            Console.note(
                "Dataset \(datasetName): version \(existing.number) already holds these \(files.count) files; using it."
            )
            return (existing.id, false)
        }
        let draft = try await client.call(
            .data, .POST, "/v1/datasets/\(datasetID)/versions",
            body: ["description": .string("uploaded by mlex from \(directory.lastPathComponent)")])
        guard let versionID = draft["id"]?.stringValue else {
            throw ClientError.usage("the server did not return the new version's id")
        }
        do {
            let bar = ProgressBar(
                "dataset \(datasetName) v\(Console.cell(draft["number"]))", total: files.reduce(0) { $0 + $1.size })
            var before: Int64 = 0
            for file in files {
                let offset = before
                try await client.upload(
                    file.url, toDataPath: "/v1/dataset-versions/\(versionID)/files/\(URLPath.escape(file.path))",
                    sha256: file.sha256
                ) { done, _ in
                    bar.update(offset + done)
                }
                before += file.size
            }
            bar.finish()
            try await client.call(.data, .POST, "/v1/dataset-versions/\(versionID)/finalize")
        } catch {
            // Trash the draft (editors may), then purge it to free its files (owners may).
            _ = try? await client.call(.data, .DELETE, "/v1/dataset-versions/\(versionID)")
            _ = try? await client.call(.data, .DELETE, "/v1/dataset-versions/\(versionID)", query: ["purge": "true"])
            throw error
        }
        return (versionID, true)
    }

    /// The dataset's id, creating it when the project has none of that name.
    func dataset(named name: String) async throws -> String {
        let datasets = try await client.all(.data, "/v1/projects/\(projectID)/datasets")
        if let found = datasets.first(where: { $0["name"]?.stringValue == name })?["id"]?.stringValue { return found }
        let created = try await client.call(
            .data, .POST, "/v1/projects/\(projectID)/datasets", body: ["name": .string(name)])
        return created["id"]?.stringValue ?? ""
    }

    /// A final version whose files are exactly these paths with these contents.
    func identicalVersion(of datasetID: String, to files: [LocalFile]) async throws -> (id: String, number: Int64)? {
        let wanted = Dictionary(uniqueKeysWithValues: files.map { ($0.path, $0.sha256) })
        let total = files.reduce(0) { $0 + $1.size }
        for version in try await client.all(.data, "/v1/datasets/\(datasetID)/versions").reversed() {
            guard version["state"] == "final", version["fileCount"]?.intValue == Int64(files.count),
                version["size"]?.intValue == total,
                let id = version["id"]?.stringValue
            else { continue }
            let stored = try await client.all(.data, "/v1/dataset-versions/\(id)/files", pageSize: 1000)
            let have = Dictionary(
                stored.compactMap { file in file["path"]?.stringValue.map { ($0, file["sha256"]?.stringValue ?? "") } }
            ) { first, _ in first }
            if have == wanted { return (id, version["number"]?.intValue ?? 0) }
        }
        return nil
    }

    /// Every regular file under `directory` (symbolic links are not followed), by relative path.
    static func scan(_ directory: URL) throws -> [LocalFile] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue
        else {
            throw ClientError.usage("the dataset location \(directory.path) is not a directory")
        }
        let base = directory.standardizedFileURL.resolvingSymlinksInPath().path
        guard
            let walker = FileManager.default.enumerator(
                at: URL(fileURLWithPath: base), includingPropertiesForKeys: [.isRegularFileKey, .fileSizeKey])
        else {
            throw ClientError.usage("cannot read \(directory.path)")
        }
        var files: [LocalFile] = []
        for case let url as URL in walker {
            let values = try url.resourceValues(forKeys: [.isRegularFileKey, .fileSizeKey])
            guard values.isRegularFile == true else { continue }
            let path = String(url.standardizedFileURL.path.dropFirst(base.count + 1))
            files.append(
                LocalFile(
                    path: path, url: url, size: Int64(values.fileSize ?? 0), sha256: try FileDigest.sha256(of: url)))
        }
        return files.sorted { $0.path < $1.path }
    }
}
