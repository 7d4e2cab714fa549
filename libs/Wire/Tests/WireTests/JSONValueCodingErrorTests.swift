import Foundation
import Testing

@testable import Wire

/// Bad documents and unencodable values fail as they did through text: same error kind, type,
/// coding path and wording, so the 400 a client gets names the same field.
@Suite("JSONValue coding fails like the text path")
struct JSONValueCodingErrorTests {
    typealias Record = CodingFixtures.Record

    static let good: JSONValue = {
        (try? TextPath.encode(CodingFixtures.records[0])) ?? .null
    }()

    /// The first fixture with one member replaced (or removed, for nil) at a dotted path.
    static func record(setting path: String, to value: JSONValue?) -> JSONValue {
        func set(_ keys: ArraySlice<Substring>, in document: JSONValue) -> JSONValue? {
            guard let key = keys.first else { return value }
            switch document {
            case .array(var elements):
                guard let index = Int(key), elements.indices.contains(index) else { return document }
                if let replaced = set(keys.dropFirst(), in: elements[index]) {
                    elements[index] = replaced
                } else {
                    elements.remove(at: index)
                }
                return .array(elements)
            case .object(var members):
                members[String(key)] = set(keys.dropFirst(), in: members[String(key)] ?? .null)
                return .object(members)
            default:
                return document
            }
        }
        return set(path.split(separator: ".")[...], in: good) ?? .null
    }

    static let badMembers: [(String, JSONValue?)] = [
        ("id", nil), ("id", .null), ("id", 5), ("number", "5"), ("number", 1.5), ("number", 1e19), ("number", 2.0),
        ("number", true),
        ("label", 3), ("label", .null), ("stage", "retired"), ("stage", nil), ("source", "upload"), ("source", [:]),
        ("source.upload.size", "big"), ("source.upload", nil), ("source.upload.path", nil), ("resources.cpu", "fast"),
        ("resources.cpu", .null),
        ("resources.memoryMB", 1e300), ("resources.memoryMB", .double(.nan)), ("resources.gpus", 2.5),
        ("resources", []), ("resources", nil),
        ("tags", "a"), ("tags.1", 1), ("tags.0", .null), ("counts.x", "1"), ("counts", [1]), ("byIndex", ["one": "1"]),
        ("byIndex.1", 1),
        ("params", [1]), ("params", .null), ("metrics", .double(.infinity)), ("created", "yesterday"),
        ("created", 1_790_000_000),
        ("created", .null), ("created", "2026-11-23T16:45:19+01:00"), ("blob", "not base64!"), ("blob", 12),
        ("link", ""), ("link", "a b"),
        ("link", 7), ("price", "19.99"), ("price", 1e300), ("price", .null), ("ratio", 1e39), ("ratio", 1e-50),
        ("ratio", "x"),
        ("scores.0", "x"), ("scores", .null), ("grid.0.0.cpu", nil), ("grid.0", [1]), ("flags.0", "yes"),
        ("flags.1", 0), ("small", 128),
        ("small", -129), ("small", 1.0), ("unsigned", -1), ("unsigned", 1.8446744073709552e19),
        ("unsigned", 9_223_372_036_854_775_808.0),
    ]

    @Test("bad members fail with the same error and path", arguments: badMembers.indices)
    func badMember(index: Int) {
        let (path, value) = Self.badMembers[index]
        expectSameDecoding(Record.self, from: Self.record(setting: path, to: value))
    }

    @Test("bad documents fail with the same error and path")
    func badDocuments() {
        let documents: [JSONValue] = [.null, 1, "x", [], [:], [Self.good], ["a": Self.good], .double(.nan)]
        for document in documents {
            expectSameDecoding(Record.self, from: document)
            expectSameDecoding([Record].self, from: document)
            expectSameDecoding([String: Record].self, from: document)
            expectSameDecoding(Int.self, from: document)
            expectSameDecoding(Bool.self, from: document)
            expectSameDecoding(String?.self, from: document)
            expectSameDecoding(Date.self, from: document)
            expectSameDecoding(Data.self, from: document)
            expectSameDecoding(URL.self, from: document)
            expectSameDecoding(Decimal.self, from: document)
            expectSameDecoding([Int: String].self, from: document)
            expectSameDecoding(CodingFixtures.HandWritten.self, from: document)
        }
    }

    @Test("hand-written decoding past the end or into the wrong container")
    func handWrittenErrors() throws {
        let good = try TextPath.encode(CodingFixtures.HandWritten(name: "n", inner: [1], flag: true))
        for (path, value) in [
            ("list", JSONValue.array(["first"])), ("list", ["first", 1]), ("list", ["first", [:]]),
            ("list", ["first", [:], nil]),
            ("detail", .null), ("detail", [1]), ("detail.deeper", [:]), ("detail.deeper", .null),
            ("detail.deeper", ["1"]),
            ("super", nil), ("super", "seven"), ("base", nil), ("list", nil),
        ] {
            var document = good
            document[path.components(separatedBy: ".")[0]] =
                path.contains(".")
                ? {
                    var detail = good["detail"] ?? [:]
                    detail[path.components(separatedBy: ".")[1]] = value
                    return detail
                }()
                : value
            expectSameDecoding(CodingFixtures.HandWritten.self, from: document)
        }
        expectSameDecoding(Pair.self, from: [1])
        expectSameDecoding(Pair.self, from: [1, nil])
        expectSameDecoding(Pair.self, from: [nil, 2])
        expectSameDecoding(Pair.self, from: [])
    }

    @Test("non-finite numbers are refused where JSONEncoder refuses them")
    func nonFinite() {
        expectSameEncoding(Double.nan)
        expectSameEncoding(Float.infinity)
        expectSameEncoding([1, -Double.infinity])
        expectSameEncoding(["a": [Double.nan]])
        expectSameEncoding(CodingFixtures.Measure(value: .nan, values: []))
        expectSameEncoding(CodingFixtures.Measure(value: 1, values: [1, .infinity]))
        expectSameEncoding(CodingFixtures.Resources(cpu: -.infinity, memoryMB: 1))
        expectSameEncoding(CodingFixtures.Holder(params: ["a": ["b": [1, .double(.nan)]]], extra: nil))
        expectSameEncoding(CodingFixtures.Holder(params: [:], extra: .double(.infinity)))
        expectSameEncoding([CodingFixtures.Source.run("x", .nan)])
        expectSameEncoding(Decimal.nan)
        expectSameEncoding(CodingFixtures.Empty())
    }
}

/// Two optionals read from an array by hand, as a tuple would be.
private struct Pair: Decodable, Equatable {
    var first: Int?
    var second: Int?

    init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        first = try container.decodeIfPresent(Int.self)
        second = try container.decodeIfPresent(Int.self)
        if container.currentIndex != 2 {
            throw DecodingError.dataCorrupted(
                .init(codingPath: [], debugDescription: "index \(container.currentIndex)"))
        }
        _ = try container.decodeNil()
    }
}
