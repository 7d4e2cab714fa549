import Foundation
import Logging
import Platform
import Store

/// The templates an installation starts with: one JSON file per template in
/// `mlex.compute.templatesDir` (config/templates). All are read and checked before compute
/// opens its store, so a bad file stops the start naming the file and field; each one whose
/// name is not taken yet is then inserted — one an administrator edited is never overwritten.
struct TemplateSeeds: Sendable {
    let templates: [(file: String, template: JobTemplate)]

    /// A seed file that cannot be used.
    struct FileError: Error, CustomStringConvertible {
        let file: String
        let field: String?
        let message: String

        var description: String {
            "template seed \(file)" + (field.map { ": field \($0)" } ?? "") + ": \(message)"
        }
    }

    /// Reads every `*.json` in `directory`, in name order; none when it does not exist.
    /// `defaultDiskMB`: the platform's default disk, which each seed's ranges must allow.
    static func load(from directory: URL, defaultDiskMB: Int) throws -> TemplateSeeds {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else {
            return TemplateSeeds(templates: [])
        }
        var templates: [(file: String, template: JobTemplate)] = []
        for name in names.filter({ $0.hasSuffix(".json") }).sorted() {
            let file = directory.appendingPathComponent(name).path
            let template = try read(file, defaultDiskMB: defaultDiskMB)
            if let earlier = templates.first(where: { $0.template.name == template.name }) {
                throw FileError(
                    file: file, field: "name",
                    message: "\(earlier.file) already seeds a template named \(template.name)")
            }
            templates.append((file, template))
        }
        return TemplateSeeds(templates: templates)
    }

    private static func read(_ file: String, defaultDiskMB: Int) throws -> JobTemplate {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw FileError(file: file, field: nil, message: "cannot be read")
        }
        do {
            let template = try JSONDecoder.api.decode(JobTemplate.self, from: data)
            try template.validate(defaultDiskMB: defaultDiskMB)
            guard template.projectId == nil else {
                throw APIError.invalidField(
                    "projectId", "seeds are global templates; a project's own are made through the API")
            }
            return template
        } catch let error as DecodingError {
            let failure = APIError(decoding: error)
            throw FileError(
                file: file, field: failure.field,
                message: failure.code == "malformed_json" ? "not a JSON object of a template" : failure.message)
        } catch let error as APIError {
            throw FileError(file: file, field: error.field, message: error.message)
        }
    }

    /// Inserts each seed whose name no template has yet, with its `template.created` event.
    func insertMissing(into directory: TemplateDirectory, logger: Logger) async throws {
        for (file, template) in templates where try await directory.named(template.name) == nil {
            do {
                _ = try await directory.create(template, by: "seed")
                logger.info("template seeded", metadata: ["template": "\(template.name)", "file": "\(file)"])
            } catch let error as APIError where error.status == .conflict {
                // Another start got there first: the template exists, which is all a seed asks.
            }
        }
    }
}
