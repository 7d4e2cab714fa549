import Foundation
import Testing

@testable import Wire

/// The direct coders against the text path they replaced: every document and value must come
/// out as it did, so stored documents keep their shape and 400s name the same fields.
@Suite("JSONValue coding matches the text path")
struct JSONValueCodingParityTests {
    @Test("records encode to the documents the text path made")
    func recordsEncode() {
        for record in CodingFixtures.records { expectSameEncoding(record) }
        expectSameEncoding(CodingFixtures.records)
        expectSameEncoding(["a": CodingFixtures.records[0]])
        expectSameEncoding([7: "seven", -1: "minus one"])
        expectSameEncoding([CodingFixtures.Source.none, .run("r", 1.0), .upload(path: "p", size: 1)])
        expectSameEncoding("top-level string")
        expectSameEncoding(Int64.min)
        expectSameEncoding(Optional<Int>.none)
        expectSameEncoding(Date(timeIntervalSince1970: 1_790_000_000.987))
        expectSameEncoding(URL(string: "https://example.com/a%20b?c=d#e"))
    }

    @Test("records decode to the values the text path read")
    func recordsDecode() throws {
        for record in CodingFixtures.records {
            expectSameDecoding(CodingFixtures.Record.self, from: try TextPath.encode(record))
        }
        for record in CodingFixtures.roundTripping {
            #expect(try JSONValue(encoding: record).decoded(as: CodingFixtures.Record.self) == record)
        }
        expectSameDecoding([Int: String].self, from: ["7": "seven", "-1": "minus one"])
        expectSameDecoding(
            [CodingFixtures.Source].self, from: try TextPath.encode([CodingFixtures.Source.none, .run("r", 2.5)]))
        expectSameDecoding(String?.self, from: nil)
        expectSameDecoding(Date.self, from: "2026-11-23T16:45:19Z")
        expectSameDecoding(Date.self, from: "2026-11-23T16:45:19.363Z")
        expectSameDecoding(Data.self, from: "AQID")
        expectSameDecoding(Decimal.self, from: .double(0.1))
    }

    @Test("doubles, floats and integers keep the shape the text path gave them")
    func numbersEncode() {
        var random = SplitMix64(seed: 1)
        var doubles: [Double] = [
            0, -0.0, 0.1, 1.0, -1.0, 2.5, 1e300, -1e300, Double.leastNonzeroMagnitude, 1e-5, 0.0001,
            .greatestFiniteMagnitude, .leastNormalMagnitude,
        ]
        for exponent in 0...25 {
            let power = pow(10, Double(exponent))
            doubles += [power, -power, power.nextUp, power.nextDown, power * 9.5, power + 0.5]
        }
        for exponent in [52, 53, 54, 62, 63, 64, 100] {
            let power = pow(2, Double(exponent))
            doubles += [power, -power, power.nextUp, power.nextDown]
        }
        for _ in 0..<3_000 {
            doubles.append(random.finiteDouble())
            doubles.append(Double(Int64(bitPattern: random.next()) >> Int64(random.next() % 64)))
        }
        for number in doubles {
            expectSameEncoding(number)
            expectSameEncoding(JSONValue.double(number))
        }
        expectSameEncoding(doubles)
        expectSameEncoding(CodingFixtures.Measure(value: 1.0, values: [1.0, 1e16, 0.5]))

        var floats: [Float] = [0.1, 1, -0.0, 1e10, 16_777_216, 3.4e38, .leastNonzeroMagnitude]
        for _ in 0..<2_000 { floats.append(random.finiteFloat()) }
        for number in floats { expectSameEncoding(number) }
        expectSameEncoding(floats)

        expectSameEncoding([Int64.min, Int64.max, 0, -1])
        expectSameEncoding([UInt64.max, UInt64(Int64.max) + 1, 0])
        expectSameEncoding([Int128.max, Int128.min, Int128(Int64.max) + 1])
        expectSameEncoding([UInt128.max])
        expectSameEncoding([Int8.min, Int8.max])
        expectSameEncoding([
            Decimal(string: "0.1"), Decimal(string: "1e40"), Decimal(string: "-12345678901234567890.5"), Decimal(7),
        ])
    }

    @Test("numbers decode as the text path read them")
    func numbersDecode() {
        var random = SplitMix64(seed: 2)
        var numbers: [JSONValue] = [
            .int(0), .int(1), .int(-1), .int(127), .int(128), .int(255), .int(256), .int(-129), .int(.max), .int(.min),
        ]
        for number in [
            0, -0.0, 0.5, 1, -1, 1e15, 1e16, 4_611_686_018_427_387_904, 9_223_372_036_854_775_808,
            -9_223_372_036_854_775_808, 18_446_744_073_709_551_616, 1e300, Double.leastNonzeroMagnitude, 1e-50, 3.5e38,
            0.1,
        ] {
            numbers.append(.double(number))
        }
        for exponent in 50...66 {
            let power = pow(2, Double(exponent))
            numbers += [.double(power), .double(-power), .double(power.nextUp), .double(power.nextDown)]
        }
        for _ in 0..<1_500 {
            numbers.append(.double(random.finiteDouble()))
            numbers.append(.int(Int64(bitPattern: random.next()) >> Int64(random.next() % 64)))
            numbers.append(.double(Double(Int64(bitPattern: random.next()) >> Int64(random.next() % 64))))
        }
        for number in numbers {
            expectSameDecoding(Int.self, from: number)
            expectSameDecoding(Int8.self, from: number)
            expectSameDecoding(UInt8.self, from: number)
            expectSameDecoding(Int32.self, from: number)
            expectSameDecoding(UInt64.self, from: number)
            expectSameDecoding(Int128.self, from: number)
            expectSameDecoding(BitExact<Double>.self, from: number)
            expectSameDecoding(BitExact<Float>.self, from: number)
            expectSameDecoding(Decimal.self, from: number)
            expectSameDecoding(StrictJSON.self, from: number)
            expectSameDecoding(String.self, from: number)
        }
        expectSameDecoding([Int].self, from: .array(numbers))
        expectSameDecoding([Double].self, from: .array(numbers))
        expectSameDecoding(
            [String: StrictJSON].self,
            from: .object(Dictionary(uniqueKeysWithValues: numbers.enumerated().map { ("\($0.offset)", $0.element) })))
    }

    @Test("JSONValue members round trip as they did, whole doubles becoming integers")
    func jsonValueMembers() throws {
        var random = SplitMix64(seed: 3)
        for _ in 0..<300 {
            let document = random.document(depth: 3)
            expectSameEncoding(document)
            expectSameEncoding(
                CodingFixtures.Holder(params: document.objectValue ?? ["value": document], extra: document))
            expectSameDecoding(StrictJSON.self, from: document)
            expectSameDecoding(
                CodingFixtures.Holder.self,
                from: ["params": document.objectValue.map(JSONValue.object) ?? [:], "extra": document])
        }
        // The trip a record makes through the store, both ways.
        let params: [String: JSONValue] = [
            "lr": 0.001, "epochs": 10, "scale": 2.0, "zero": -0.0, "big": 1e20, "name": "x",
        ]
        let stored = try JSONValue(encoding: CodingFixtures.Holder(params: params, extra: nil))
        #expect(stored == (try TextPath.encode(CodingFixtures.Holder(params: params, extra: nil))))
        #expect(stored["params"]?["scale"] == .int(2), "a whole double was always stored as an integer")
        #expect(stored["params"]?["lr"] == .double(0.001))
        let read = try JSONValue.object(["params": .object(params)]).decoded(as: CodingFixtures.Holder.self)
        #expect(
            read.params["scale"] == .int(2) && read.params["zero"] == .int(0) && read.params["big"] == .double(1e20))
    }

    @Test("dates are written as ISO8601DateFormatter writes them")
    func dates() throws {
        let formatter = ISO8601DateFormatter()
        var random = SplitMix64(seed: 4)
        for _ in 0..<500 {
            let date = Date(
                timeIntervalSince1970: Double(random.next() % 4_000_000_000) + Double(random.next() % 1000) / 1000)
            #expect(try JSONValue(encoding: date) == .string(formatter.string(from: date)))
            expectSameEncoding(date)
        }
    }

    @Test("hand-written coding: nested containers, super coders, single values, empty values")
    func handWritten() throws {
        let value = CodingFixtures.HandWritten(name: "n", inner: [1, 2], flag: true)
        expectSameEncoding(value)
        expectSameEncoding([value, value])
        let document = try TextPath.encode(value)
        expectSameDecoding(CodingFixtures.HandWritten.self, from: document)
        expectSameEncoding(CodingFixtures.Empty())
        expectSameEncoding([CodingFixtures.Empty()])
        expectSameEncoding(["e": CodingFixtures.Empty()])
        expectSameEncoding(CodingFixtures.Merged(first: ["a": 1], second: ["b": 2]))
        expectSameDecoding(CodingFixtures.Merged.self, from: ["a": 1, "b": 2])
    }
}

// MARK: - The text path, kept here only to compare against

/// How `JSONValue(encoding:)` and `decoded(as:)` worked before the direct coders.
enum TextPath {
    static func encode(_ value: some Encodable) throws -> JSONValue {
        try JSONValue.parse(String(decoding: try JSONEncoder.api.encode(value), as: UTF8.self))
    }

    static func decode<Value: Decodable>(_ type: Value.Type, from document: JSONValue) throws -> Value {
        try JSONDecoder.api.decode(type, from: Data(document.jsonText.utf8))
    }
}

/// A value or the error it failed with, compared in full: kind, type, path and wording.
enum Outcome<Value: Equatable>: Equatable, CustomStringConvertible {
    case value(Value)
    case error(String)

    init(_ body: () throws -> Value) {
        do { self = .value(try body()) } catch { self = .error(Self.describe(error)) }
    }

    var description: String {
        switch self {
        case .value(let value): "value \(value)"
        case .error(let error): "error \(error)"
        }
    }

    static func describe(_ error: any Error) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { "\($0.stringValue)#\($0.intValue.map(String.init) ?? "-")" }.joined(separator: "/")
        }
        switch error {
        case DecodingError.typeMismatch(let type, let context):
            return "typeMismatch \(type) at [\(path(context))]: \(context.debugDescription)"
        case DecodingError.valueNotFound(let type, let context):
            return "valueNotFound \(type) at [\(path(context))]: \(context.debugDescription)"
        case DecodingError.keyNotFound(let key, let context):
            return "keyNotFound \(key.stringValue) at [\(path(context))]: \(context.debugDescription)"
        case DecodingError.dataCorrupted(let context):
            return "dataCorrupted at [\(path(context))]: \(context.debugDescription)"
        case EncodingError.invalidValue(let value, let context):
            let keys = context.codingPath.map { "\($0.stringValue)#\($0.intValue.map(String.init) ?? "-")" }.joined(
                separator: "/")
            return "invalidValue \(type(of: value)) \(value) at [\(keys)]: \(context.debugDescription)"
        default: return "\(type(of: error)): \(error)"
        }
    }
}

/// JSONValue equality that also tells 0.0 from -0.0 (`jsonText` writes them apart).
struct StrictJSON: Equatable, Codable, CustomStringConvertible {
    var value: JSONValue

    init(_ value: JSONValue) {
        self.value = value
    }

    init(from decoder: any Decoder) throws {
        value = try JSONValue(from: decoder)
    }

    func encode(to encoder: any Encoder) throws {
        try value.encode(to: encoder)
    }

    static func == (lhs: StrictJSON, rhs: StrictJSON) -> Bool {
        lhs.value == rhs.value && lhs.value.jsonText == rhs.value.jsonText
    }

    var description: String { value.jsonText }
}

/// A floating-point value compared by its bits.
struct BitExact<Number: BinaryFloatingPoint & Decodable>: Decodable, Equatable {
    var number: Number

    init(from decoder: any Decoder) throws {
        number = try decoder.singleValueContainer().decode(Number.self)
    }

    static func == (lhs: BitExact, rhs: BitExact) -> Bool {
        lhs.number == rhs.number && lhs.number.sign == rhs.number.sign
    }
}

func expectSameEncoding(_ value: some Encodable, sourceLocation: SourceLocation = #_sourceLocation) {
    let old = Outcome { StrictJSON(try TextPath.encode(value)) }
    let new = Outcome { StrictJSON(try JSONValue(encoding: value)) }
    #expect(new == old, "encoding \(value)", sourceLocation: sourceLocation)
}

func expectSameDecoding<Value: Decodable & Equatable>(
    _ type: Value.Type, from document: JSONValue, sourceLocation: SourceLocation = #_sourceLocation
) {
    let old = Outcome { try TextPath.decode(type, from: document) }
    let new = Outcome { try document.decoded(as: type) }
    #expect(new == old, "decoding \(type) from \(document.jsonText)", sourceLocation: sourceLocation)
}
