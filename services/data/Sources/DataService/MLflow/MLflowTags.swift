import Platform

/// MLflow's rules for tags and params, where they differ from ours: values are text, with
/// MLflow's length limits.
enum MLflowTags {
    static let maxExperimentTagValue = 5000
    /// The tag MLflow keeps a run's name in; setting it renames the run.
    static let runNameTag = "mlflow.runName"
    /// The tag MLflow's client names a nested run's parent in.
    static let parentRunTag = "mlflow.parentRunId"

    /// `[{key, value}]` of a request as experiment tags (the last value of a repeated key wins).
    static func experimentTags(_ messages: [[String: JSONValue]], field: String) throws -> [ExperimentTag] {
        var tags: [ExperimentTag] = []
        for (index, message) in messages.enumerated() {
            guard let key = message["key"]?.stringValue else {
                throw APIError.invalidField("\(field).\(index).key", "a tag has a key")
            }
            let value = message["value"]?.stringValue ?? ""
            try checkTag(key: key, value: value, field: "\(field).\(index).key", maxValue: maxExperimentTagValue)
            if let known = tags.firstIndex(where: { $0.key == key }) {
                tags[known].value = value
            } else {
                tags.append(ExperimentTag(key: key, value: value))
            }
        }
        return tags
    }

    static func checkTag(key: String, value: String, field: String, maxValue: Int = maxExperimentTagValue) throws {
        try FieldKey.validate(key, field: field)
        guard value.count <= maxValue else {
            throw APIError.invalidField(field, "the value of tag '\(key)' has more than \(maxValue) characters")
        }
    }

    /// `[{key, value}]` of a request as key → text, checked by `rules`' limit; a key given twice
    /// keeps its last value.
    static func pairs(
        _ messages: [[String: JSONValue]], field: String, maxValue: Int
    ) throws -> [(key: String, value: String)] {
        var pairs: [(key: String, value: String)] = []
        var positions: [String: Int] = [:]
        for (index, message) in messages.enumerated() {
            guard let key = message["key"]?.stringValue else {
                throw APIError.invalidField("\(field).\(index).key", "missing value for required parameter 'key'")
            }
            let value: String
            switch message["value"] {
            case nil, .null?: value = ""
            case .string(let text)?: value = text
            case let other?: value = MLflowViews.text(of: other)
            }
            try FieldKey.validate(key, field: "\(field).\(index).key")
            guard value.count <= maxValue else {
                throw APIError.invalidField(
                    "\(field).\(index).value", "the value of '\(key)' has more than \(maxValue) characters")
            }
            if let known = positions[key] {
                pairs[known].value = value
            } else {
                positions[key] = pairs.count
                pairs.append((key, value))
            }
        }
        return pairs
    }
}
