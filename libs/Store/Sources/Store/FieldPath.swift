import Platform

/// A dotted path into a document (`metrics.acc`), checked before it reaches a query language.
package struct FieldPath: Hashable {
    package let components: [String]
    package let dotted: String

    /// Segments are letters, digits, `_` or `-` (no `$`, quotes or dots inside a segment).
    package init(_ dotted: String) throws {
        let components = dotted.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        let valid =
            !dotted.isEmpty && dotted.utf8.count <= 512
            && components.allSatisfy { segment in
                !segment.isEmpty
                    && segment.utf8.allSatisfy { byte in
                        (byte >= 97 && byte <= 122) || (byte >= 65 && byte <= 90) || (byte >= 48 && byte <= 57)
                            || byte == 95 || byte == 45
                    }
            }
        guard valid else {
            throw StoreError(
                .invalidField, "a field path is dot-separated names of [A-Za-z0-9_-]", field: String(dotted.prefix(200))
            )
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
    package func value(at path: FieldPath) -> JSONValue? {
        var current: JSONValue? = self
        for component in path.components {
            current = current?[component]
        }
        return current
    }
}

/// Collection names: 1–64 of `[a-z0-9_]`, the same on every backend (SQLite tables, MongoDB
/// collections).
package enum CollectionName {
    @discardableResult
    package static func check(_ collection: String) throws -> String {
        let valid =
            (1...64).contains(collection.utf8.count)
            && collection.utf8.allSatisfy { byte in
                (byte >= 97 && byte <= 122) || (byte >= 48 && byte <= 57) || byte == 95
            }
        guard valid else {
            throw StoreError(
                .invalidField, "a collection name is 1–64 of [a-z0-9_]", field: String(collection.prefix(80)))
        }
        return collection
    }
}
