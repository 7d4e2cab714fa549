import Platform

/// A dotted path into a document (`metrics.acc`), checked before it reaches a query language.
struct FieldPath: Hashable {
    let components: [String]
    let dotted: String

    /// Segments are letters, digits, `_` or `-` (no `$`, quotes or dots inside a segment).
    init(_ dotted: String) throws {
        let components = dotted.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        let valid = !dotted.isEmpty && dotted.utf8.count <= 512 && components.allSatisfy { segment in
            !segment.isEmpty && segment.utf8.allSatisfy { byte in
                (byte >= 97 && byte <= 122) || (byte >= 65 && byte <= 90) || (byte >= 48 && byte <= 57) || byte == 95 || byte == 45
            }
        }
        guard valid else {
            throw StoreError(.invalidField, "a field path is dot-separated names of [A-Za-z0-9_-]", field: String(dotted.prefix(200)))
        }
        self.components = components
        self.dotted = dotted
    }

    /// The SQLite JSON path: `$."metrics"."acc"` (quoted, so `-` and digits are names).
    var jsonPath: String {
        "$" + components.map { ".\"\($0)\"" }.joined()
    }
}

extension JSONValue {
    func value(at path: FieldPath) -> JSONValue? {
        var current: JSONValue? = self
        for component in path.components {
            current = current?[component]
        }
        return current
    }
}
