import Blobs
import DataClient
import Foundation
import Platform

/// What a model package must hold and where it goes: `model.json` (the card) and exactly the
/// files it lists, with their sizes and SHA-256s; accepted files go to the project's files
/// under `models/<ingestion>/`, and the package itself to `models/<ingestion>.tar`, which a
/// deploy runs as its code package.
enum ModelPackages {
    static func store(_ pipeline: IngestPipeline, projectID: String) -> IngestPipeline.Store {
        { ingestion, files, package in
            guard let cardURL = files[ModelCard.fileName] else {
                return .failed([
                    Reason(field: nil, file: ModelCard.fileName, message: "the package has no model.json at its root")
                ])
            }
            let json: JSONValue
            switch ModelCard.read(cardURL, limit: pipeline.settings.maxModelCardBytes) {
            case .failed(let reasons): return .failed(reasons)
            case .passed(let read): json = read
            }
            let card: ModelCard
            switch ModelCard.check(json) {
            case .failed(let reasons): return .failed(reasons)
            case .passed(let checked): card = checked
            }
            var reasons = Reasons()
            var stored: [(path: String, url: URL)] = []
            for (index, listed) in card.files.enumerated() {
                guard let url = files[listed.path] else {
                    reasons.append(
                        Reason(
                            field: "files.\(index).path", file: listed.path,
                            message: "listed in model.json but not in the package"))
                    continue
                }
                stored.append((listed.path, url))
                let size =
                    ((try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? NSNumber)?.int64Value
                    ?? -1
                if size != listed.size {
                    reasons.append(
                        Reason(
                            field: "files.\(index).size", file: listed.path,
                            message: "is \(size) bytes; model.json says \(listed.size)"))
                    continue
                }
                let digest = try FileDigest.sha256(of: url)
                if digest != listed.sha256 {
                    reasons.append(
                        Reason(
                            field: "files.\(index).sha256", file: listed.path,
                            message: "has SHA-256 \(digest); model.json says \(listed.sha256)"))
                }
            }
            let listedPaths = Set(card.files.map(\.path))
            for path in files.keys.sorted() where path != ModelCard.fileName && !listedPaths.contains(path) {
                reasons.append(
                    Reason(field: "files", file: path, message: "is in the package but not listed in model.json"))
            }
            guard reasons.isEmpty else { return .failed(reasons) }

            let prefix = "models/\(ingestion.id)/"
            let packagePath = "models/\(ingestion.id).tar"
            stored.append((ModelCard.fileName, cardURL))
            try await pipeline.upload(stored, to: .project(projectID), prefix: prefix)
            do {
                try await pipeline.data.upload(package.file, to: .project(projectID), path: packagePath)
            } catch {
                for file in stored {
                    try? await pipeline.data.deleteFile(of: .project(projectID), path: prefix + file.path)
                }
                throw error
            }
            return .passed(
                .model(
                    card: card.json, name: card.name, version: card.version, filesPrefix: prefix,
                    packagePath: packagePath))
        }
    }
}

/// A dataset package: every file in it becomes a file of a new, final version of the named
/// dataset of the project (created when missing); a version whose upload fails is removed.
enum DatasetPackages {
    static func store(_ pipeline: IngestPipeline, projectID: String, name: String) -> IngestPipeline.Store {
        { _, files, _ in
            guard !files.isEmpty else {
                return .failed([Reason(field: nil, file: nil, message: "the package holds no files")])
            }
            let invalid = files.keys.filter { !PackagePath.isValid($0) }.sorted()
            guard invalid.isEmpty else {
                return .failed(
                    Reasons(invalid.lazy.map { Reason(field: nil, file: $0, message: "not a valid file path") }))
            }
            let data = pipeline.data
            let datasets =
                try await data.peer.call(.GET, "/v1/projects/\(projectID)/datasets?limit=500")["items"]?.arrayValue
                ?? []
            let datasetID: String
            if let found = datasets.first(where: { $0["name"]?.stringValue == name })?["id"]?.stringValue {
                datasetID = found
            } else {
                datasetID =
                    try await data.peer.call(
                        .POST, "/v1/projects/\(projectID)/datasets", body: ["name": .string(name)])["id"]?.stringValue
                    ?? ""
            }
            let version = try await data.peer.call(
                .POST, "/v1/datasets/\(datasetID)/versions", body: ["description": "ingested"])
            let versionID = version["id"]?.stringValue ?? ""
            do {
                try await pipeline.upload(
                    files.sorted { $0.key < $1.key }.map { (path: $0.key, url: $0.value) },
                    to: .datasetVersion(versionID), prefix: "")
                try await data.peer.call(.POST, "/v1/dataset-versions/\(versionID)/finalize")
            } catch {
                _ = try? await data.peer.call(.DELETE, "/v1/dataset-versions/\(versionID)")
                _ = try? await data.peer.call(.DELETE, "/v1/dataset-versions/\(versionID)?purge=true")
                throw error
            }
            return .passed(
                .dataset(
                    name: name, datasetId: datasetID, datasetVersionId: versionID,
                    versionNumber: version["number"]?.intValue, fileCount: files.count))
        }
    }
}
