import Foundation
import Testing

@testable import Wire

@Suite("JSONValue text")
struct JSONValueTextTests {
    @Test("jsonText is valid JSON that decodes to the same value, keys sorted")
    func roundTrip() throws {
        let value: JSONValue = [
            "b": [1, 2.5, -0.001, true, nil, "x"], "a": "quote \" slash \\ newline \n tab \t bell \u{07} é ✓",
            "nested": ["z": ["deep": 1e20], "y": [:]], "int": .int(Int64.min),
        ]
        let text = value.jsonText
        #expect(text.hasPrefix(#"{"a":"#))
        #expect(try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) == value)
        #expect(try JSONSerialization.jsonObject(with: Data(text.utf8)) is [String: Any])
        #expect(try JSONValue.parse(text) == value)
        #expect(
            try JSONValue.parse(#" { "s" : "\ud83d\ude00 \u00e9\/" , "n": [ -0.5e3 , 12 ] } "#) == [
                "s": "😀 é/", "n": [-500.0, 12],
            ])
    }

    @Test(
        "malformed JSON is an error with its position",
        arguments: ["", "{", "[1,]", #"{"a" 1}"#, "tru", "1.2.3", #""\x""#, "\"a", "{} x", #""\ud800""#])
    func malformed(text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(text) }
    }
}
