import Platform

/// An alias of a model's version (`champion`, `candidate-2`): not a number (versions are
/// numbers) and not `latest` (which always means the newest version), so `GET …/versions/{x}`
/// reads one way only.
struct Alias: Sendable, Hashable {
    let name: String

    /// A name a client gives; 400 naming `alias` otherwise.
    init(checking text: String) throws {
        guard !text.isEmpty, text.count <= 64, text.allSatisfy({ $0.isLowercase || $0.isNumber || "_-".contains($0) }),
            Int(text) == nil, text != "latest"
        else {
            throw APIError.invalidField(
                "alias", "an alias is 1 to 64 of a-z, 0-9, _ and -, not a number and not \"latest\"")
        }
        name = text
    }

    /// A name only looked up (resolving or removing): one that could not be set is simply not found.
    init(lookingUp text: String) {
        name = text
    }
}

/// `PUT /v1/models/{id}/aliases/{alias}`: the number of the version the alias points at.
struct AliasTarget: Sendable {
    let version: Int64
}

extension AliasTarget: Decodable {
    private struct Body: Decodable {
        let version: Int64?
    }

    init(from decoder: any Decoder) throws {
        guard let version = try Body(from: decoder).version else {
            throw APIError.invalidField("version", "name the version number the alias points at")
        }
        self.init(version: version)
    }
}
