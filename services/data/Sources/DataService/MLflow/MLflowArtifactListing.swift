import Foundation
import Platform

/// MLflow's artifact folders over our flat, path-keyed files: a folder is a path prefix.
enum MLflowArtifactListing {
    struct Entry: Equatable {
        /// The name inside the listed folder (MLflow's server answers base names).
        let name: String
        let isDirectory: Bool
        let size: Int64?

        var json: JSONValue {
            var json: [String: JSONValue] = ["path": .string(name), "is_dir": .bool(isDirectory)]
            if let size { json["file_size"] = .int(size) }
            return .object(json)
        }
    }

    static let pageSize = 1000
    /// Sorts after every path that starts with the prefix it is appended to.
    private static let pastPrefix = "\u{10FFFF}"

    /// What is directly inside the folder at `location` (none for a file, as MLflow's own
    /// stores answer). A subfolder's files are skipped with one query, so a folder holding a
    /// checkpoint tree of a million files lists as fast as one holding a few.
    static func entries(of location: MLflowArtifactLocation, _ files: FileDirectory) async throws -> [Entry] {
        let prefix = location.path.isEmpty ? "" : location.path + "/"
        var entries: [Entry] = []
        var after: String?
        while true {
            let page = try await files.list(location.owner, prefix: prefix, after: after, limit: pageSize)
            var skipTo: String?
            for file in page {
                if let skipTo, file.path < skipTo { continue }
                let name = file.path.dropFirst(prefix.count)
                if let slash = name.firstIndex(of: "/") {
                    let folder = String(name[..<slash])
                    entries.append(Entry(name: folder, isDirectory: true, size: nil))
                    skipTo = prefix + folder + "/" + pastPrefix
                } else {
                    entries.append(Entry(name: String(name), isDirectory: false, size: file.size))
                }
            }
            guard page.count == pageSize, let last = page.last?.path else { return entries }
            after = max(last, skipTo ?? "")
        }
    }

    /// Deletes the file at `location`, or every file below it when it is a folder (the whole
    /// run's artifacts for the root). Nothing there is not an error, as in MLflow.
    static func delete(_ location: MLflowArtifactLocation, _ files: FileDirectory) async throws {
        if !location.path.isEmpty, try await files.delete(location.owner, path: location.path) != nil { return }
        let prefix = location.path.isEmpty ? "" : location.path + "/"
        while true {
            let page = try await files.list(location.owner, prefix: prefix, after: nil, limit: pageSize)
            for file in page { _ = try await files.delete(location.owner, path: file.path) }
            if page.count < pageSize { return }
        }
    }
}
