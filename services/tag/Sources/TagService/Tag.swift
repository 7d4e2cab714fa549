import Foundation
import Platform

/// A tag: `key` or `key:value`, split at the first colon. An entity holds at most one value
/// per key (as Docker and Kubernetes labels): tagging `stage:prod` replaces `stage:dev`.
struct Tag: Hashable, Sendable {
    let key: String
    let value: String?

    var text: String { value.map { "\(key):\($0)" } ?? key }

    static let maxKeyLength = 100
    static let maxValueLength = 200

    /// Parses and checks `text`; a bad one is 400 naming `field`.
    init(parsing text: String, field: String) throws {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let key = String(parts[0])
        guard !key.isEmpty, key.count <= Self.maxKeyLength, key.unicodeScalars.allSatisfy(Self.isKeyCharacter) else {
            throw APIError.invalidField(
                field, "a tag key is 1–\(Self.maxKeyLength) letters, digits, _ - . / (in \"\(text)\")")
        }
        var value: String?
        if parts.count == 2 {
            let given = String(parts[1])
            guard !given.isEmpty, given.count <= Self.maxValueLength,
                given == given.trimmingCharacters(in: .whitespaces),
                given.unicodeScalars.allSatisfy({ !CharacterSet.controlCharacters.contains($0) })
            else {
                throw APIError.invalidField(
                    field,
                    "a tag value is 1–\(Self.maxValueLength) characters, no control characters or surrounding spaces (in \"\(text)\")"
                )
            }
            value = given
        }
        self.key = key
        self.value = value
    }

    init(key: String, value: String?) {
        self.key = key
        self.value = value
    }

    private static func isKeyCharacter(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "_-./".unicodeScalars.contains(scalar)
    }
}

/// What can be tagged: every entity the platform's services announce on the bus.
enum EntityKind: String, Codable, CaseIterable, Sendable {
    case project, experiment, run, dataset, datasetVersion, job, model, modelVersion

    /// The kind an event type speaks of: `mlex.<domain>.<entity parts>.<verb>`, the parts
    /// joined in camel case (`mlex.data.dataset.version.created` → datasetVersion); nil for
    /// events about something that is not taggable (a membership, an artifact).
    static func of(eventType: String) -> (kind: EntityKind, verb: String)? {
        let parts = eventType.split(separator: ".").map(String.init)
        guard parts.count >= 4, parts[0] == "mlex" else { return nil }
        guard let first = parts[2..<(parts.count - 1)].first else { return nil }
        let name = first + parts[3..<(parts.count - 1)].map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
        return EntityKind(rawValue: name).map { ($0, parts[parts.count - 1]) }
    }
}
