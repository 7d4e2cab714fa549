import Foundation
import Wire

/// Records shaped like the services' own: synthesised and hand-written Codable, optionals,
/// enums with associated values, JSONValue members and the types JSON coders special-case.
enum CodingFixtures {
    struct Resources: Codable, Equatable {
        var cpu: Double
        var memoryMB: Int
        var gpus: Int?
    }

    enum Stage: String, Codable {
        case draft, production
    }

    enum Source: Codable, Equatable {
        case upload(path: String, size: Int64)
        case run(String, Double)
        case none
    }

    struct Record: Codable, Equatable {
        var id: String
        var number: Int64
        var label: String?
        var stage: Stage
        var source: Source
        var resources: Resources
        var tags: [String]
        var counts: [String: Int]
        var byIndex: [Int: String]
        var params: [String: JSONValue]
        var metrics: JSONValue?
        var created: Date
        var blob: Data
        var link: URL?
        var price: Decimal
        var ratio: Float
        var scores: [Double]
        var grid: [[Resources]]
        var flags: [Bool?]
        var small: Int8
        var unsigned: UInt64
    }

    static let records: [Record] = [
        Record(
            id: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", number: 1, label: "first", stage: .production,
            source: .upload(path: "models/a.bin", size: 1 << 40),
            resources: Resources(cpu: 1.0, memoryMB: 512, gpus: nil),
            tags: ["a", "b/c", "é ✓", "quote \" and \\"], counts: ["x": 1, "": 0],
            byIndex: [1: "one", -2: "minus two"],
            params: [
                "lr": 0.001, "epochs": 10, "scale": 2.0, "zero": -0.0, "big": 1e20,
                "nested": ["list": [1, 2.5, nil, true]],
            ],
            metrics: ["accuracy": 0.93, "loss": 1.0], created: Date(timeIntervalSince1970: 1_790_000_000),
            blob: Data([0, 1, 2, 255]),
            link: URL(string: "https://example.com/a?b=c"), price: Decimal(string: "19.99") ?? 0, ratio: 0.1,
            scores: [0.1, 1.0, -0.0, 1e300, 1e16, 123_456_789_012_345],
            grid: [[Resources(cpu: 0.5, memoryMB: 1, gpus: 2)], []],
            flags: [true, nil, false], small: -128, unsigned: UInt64(Int64.max)
        ),
        Record(
            id: "", number: .min, label: nil, stage: .draft, source: .none,
            resources: Resources(cpu: -1e-7, memoryMB: .max, gpus: 0),
            tags: [], counts: [:], byIndex: [:], params: [:], metrics: nil, created: Date(timeIntervalSince1970: 0),
            blob: Data(),
            link: nil, price: 0, ratio: 1e10, scores: [], grid: [], flags: [], small: 0, unsigned: 0
        ),
        Record(
            id: "\u{0}\n\t", number: .max, label: "", stage: .draft, source: .run("run-1", 1.0),
            resources: Resources(cpu: 4_611_686_018_427_387_904, memoryMB: .min, gpus: nil), tags: ["\u{1F600}"],
            counts: ["k": -1],
            byIndex: [0: ""], params: ["null": nil, "empty": [:], "array": []], metrics: .null,
            created: Date(timeIntervalSince1970: -86_400.5), blob: Data(repeating: 7, count: 100),
            link: URL(string: "mailto:a@b.c"),
            price: Decimal(string: "-1e40") ?? 0, ratio: 16_777_216, scores: [.leastNonzeroMagnitude, 2.5],
            grid: [[], []], flags: [nil], small: 127,
            unsigned: 1 << 63
        ),
        Record(
            id: "x", number: 0, label: nil, stage: .draft, source: .none,
            resources: Resources(cpu: 0, memoryMB: 0, gpus: nil), tags: [],
            counts: [:], byIndex: [:], params: [:], metrics: nil, created: Date(timeIntervalSince1970: 1.5),
            blob: Data(), link: nil,
            price: 0, ratio: 0, scores: [], grid: [], flags: [], small: 0, unsigned: .max
        ),
    ]

    /// Records that survive a trip through the store unchanged. The others do not, through text
    /// or directly: a whole double in a JSONValue comes back an integer, a date loses its
    /// fraction of a second, a UInt64 past Int64 or 2^62 (4611686018427388000) loses digits.
    static var roundTripping: [Record] {
        var first = records[0]
        first.params = ["lr": 0.001, "epochs": 10, "nested": ["list": [1, 2.5, nil, true]]]
        first.metrics = ["accuracy": 0.93]
        return [first, records[1]]
    }

    struct Measure: Codable {
        var value: Double
        var values: [Double]
    }

    struct Holder: Codable, Equatable {
        var params: [String: JSONValue]
        var extra: JSONValue?

        static func == (lhs: Holder, rhs: Holder) -> Bool {
            JSONValue.object(lhs.params).jsonText == JSONValue.object(rhs.params).jsonText
                && lhs.extra?.jsonText == rhs.extra?.jsonText
                && lhs.params == rhs.params && lhs.extra == rhs.extra
        }
    }

    /// Nested keyed and unkeyed containers, super coders and a single value, by hand.
    struct HandWritten: Codable, Equatable {
        var name: String
        var inner: [Int]
        var flag: Bool

        enum Keys: String, CodingKey {
            case name, detail, list, base
        }

        enum DetailKeys: String, CodingKey {
            case flag, deeper
        }

        init(name: String, inner: [Int], flag: Bool) {
            self.name = name
            self.inner = inner
            self.flag = flag
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Keys.self)
            name = try container.decode(String.self, forKey: .name)
            let detail = try container.nestedContainer(keyedBy: DetailKeys.self, forKey: .detail)
            flag = try detail.decode(Bool.self, forKey: .flag)
            var deeper = try detail.nestedUnkeyedContainer(forKey: .deeper)
            var inner: [Int] = []
            while !deeper.isAtEnd { inner.append(try deeper.decode(Int.self)) }
            self.inner = inner
            var list = try container.nestedUnkeyedContainer(forKey: .list)
            _ = try list.decode(String.self)
            let nested = try list.nestedContainer(keyedBy: DetailKeys.self)
            _ = try nested.decode(Bool.self, forKey: .flag)
            _ = try Int(from: try list.superDecoder())
            _ = try Int(from: try container.superDecoder())
            _ = try String(from: try container.superDecoder(forKey: .base))
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(name, forKey: .name)
            var detail = container.nestedContainer(keyedBy: DetailKeys.self, forKey: .detail)
            try detail.encode(flag, forKey: .flag)
            var deeper = detail.nestedUnkeyedContainer(forKey: .deeper)
            for number in inner { try deeper.encode(number) }
            var list = container.nestedUnkeyedContainer(forKey: .list)
            try list.encode("first")
            var nested = list.nestedContainer(keyedBy: DetailKeys.self)
            try nested.encode(flag, forKey: .flag)
            try 42.encode(to: list.superEncoder())
            try list.encode("after super")
            try 7.encode(to: container.superEncoder())
            try "base".encode(to: container.superEncoder(forKey: .base))
            // Written after the containers above: the nested ones must still land in place.
            try detail.encode(inner.count, forKey: .flag)
            try detail.encode(flag, forKey: .flag)
        }
    }

    /// Encodes nothing: an error at the top, `{}` below it.
    struct Empty: Encodable {
        func encode(to encoder: any Encoder) throws {}
    }

    /// Two values written into one encoder's object, as ModelVersion and NodeUsage do.
    struct Merged: Codable, Equatable {
        var first: [String: Int]
        var second: [String: Int]

        init(first: [String: Int], second: [String: Int]) {
            self.first = first
            self.second = second
        }

        init(from decoder: any Decoder) throws {
            first = try [String: Int](from: decoder).filter { $0.key == "a" }
            second = try [String: Int](from: decoder).filter { $0.key == "b" }
        }

        func encode(to encoder: any Encoder) throws {
            try first.encode(to: encoder)
            try second.encode(to: encoder)
        }
    }
}

/// A small seeded generator (SplitMix64), so a failing case can be found again.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }

    /// Any finite double, every exponent as likely as any other.
    mutating func finiteDouble() -> Double {
        while true {
            let number = Double(bitPattern: next())
            if number.isFinite { return number }
        }
    }

    mutating func finiteFloat() -> Float {
        while true {
            let number = Float(bitPattern: UInt32(truncatingIfNeeded: next()))
            if number.isFinite { return number }
        }
    }

    /// A document of every kind of value, numbers weighted toward the ones whose shape changes.
    mutating func document(depth: Int) -> JSONValue {
        switch next() % (depth > 0 ? 10 : 7) {
        case 0: return .null
        case 1: return .bool(next() % 2 == 0)
        case 2: return .int(Int64(bitPattern: next()) >> Int64(next() % 64))
        case 3: return .double(finiteDouble())
        case 4: return .double(Double(Int64(bitPattern: next()) >> Int64(next() % 64)))
        case 5: return .double([0, -0.0, 1, 2.5, 1e15, 1e16, 4_611_686_018_427_387_904][Int(next() % 7)])
        case 6: return .string(["", "a", "é\n\"", "\u{0}"][Int(next() % 4)])
        case 7: return .array((0..<Int(next() % 4)).map { _ in document(depth: depth - 1) })
        default:
            var members: [String: JSONValue] = [:]
            for index in 0..<Int(next() % 4) { members["k\(index)"] = document(depth: depth - 1) }
            return .object(members)
        }
    }
}
