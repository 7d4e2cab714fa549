import Platform

/// A field of a collection's text index and its weight in relevance (a match in a field of
/// weight 10 counts ten times one in a field of weight 1). Array fields index every element.
public struct TextField: Sendable, Hashable {
    public let path: String
    public let weight: Double

    public init(_ path: String, weight: Double = 1) {
        self.path = path
        self.weight = weight
    }
}

/// A full-text query: documents with any of the words of `text` in the collection's text
/// fields (words are stemmed, case does not matter) that also match `filter`, most relevant
/// first, ties by id.
public struct TextSearch: Sendable {
    public var text: String
    public var filter: JSONValue
    public var limit: Int
    public var offset: Int

    public init(_ text: String, filter: JSONValue = [:], limit: Int = 100, offset: Int = 0) {
        self.text = text
        self.filter = filter
        self.limit = limit
        self.offset = offset
    }

    /// The words searched for: runs of letters and digits, lowercased, each once.
    public static func words(_ text: String) -> [String] {
        var seen = Set<String>()
        return text.lowercased().split { !($0.isLetter || $0.isNumber) }.map(String.init).filter {
            seen.insert($0).inserted
        }
    }
}

/// A search result and its relevance: higher is more relevant; comparable only within one answer.
public struct ScoredDocument: Sendable, Hashable {
    public let document: JSONValue
    public let score: Double

    public init(document: JSONValue, score: Double) {
        self.document = document
        self.score = score
    }
}

/// How many documents hold a value in a field (array fields: each element), for facets.
public struct FacetCount: Sendable, Hashable {
    public let value: JSONValue
    public let count: Int

    public init(value: JSONValue, count: Int) {
        self.value = value
        self.count = count
    }
}
