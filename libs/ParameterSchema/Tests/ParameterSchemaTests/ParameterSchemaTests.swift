import ParameterSchema
import Platform
import Testing

@Suite("parameter schema")
struct ParameterSchemaTests {
    let schema: JSONValue = [
        "type": "object",
        "properties": [
            "threshold": ["type": "number", "minimum": 0, "maximum": 1, "default": 0.5, "description": "cut-off"],
            "mode": ["type": "string", "enum": ["fast", "exact"]],
            "steps": ["type": "integer", "minimum": 1, "default": 10],
            "verbose": ["type": "boolean"],
            "tag": ["type": "string", "maxLength": 5],
        ],
        "required": ["mode"],
    ]

    @Test("values are checked, defaults filled, problems name the parameter")
    func validate() throws {
        let parsed = try ParameterSchema.parse(schema).get()
        #expect(try parsed.validate(["mode": "fast"]) == ["mode": "fast", "threshold": 0.5, "steps": 10])
        #expect(
            try parsed.validate(["mode": "exact", "threshold": 1, "steps": 3.0, "verbose": true]) == [
                "mode": "exact", "threshold": 1.0, "steps": 3.0, "verbose": true,
            ])
        for (given, field, message) in [
            (["threshold": 0.2] as [String: JSONValue], "parameters.mode", "required"),
            (["mode": "slow"], "parameters.mode", "one of"),
            (["mode": "fast", "threshold": 1.5], "parameters.threshold", "at most 1"),
            (["mode": "fast", "steps": 2.5], "parameters.steps", "type integer"),
            (["mode": "fast", "verbose": "yes"], "parameters.verbose", "type boolean"),
            (["mode": "fast", "tag": "toolong"], "parameters.tag", "at most 5"),
            (["mode": "fast", "unknown": 1], "parameters.unknown", "no such parameter"),
        ] {
            let problem = #expect(throws: ParameterSchema.Problem.self) { try parsed.validate(given) }
            #expect(
                problem?.field == field && problem?.message.contains(message) == true,
                "\(given) → \(String(describing: problem))")
        }
    }

    @Test("a bad schema lists every problem with its field")
    func badSchema() {
        let bad: JSONValue = [
            "type": "array",
            "properties": [
                "a": ["type": "float"], "b": ["type": "number", "minimum": 5, "maximum": 1],
                "c": ["type": "string", "enum": [1]],
                "d": ["type": "integer", "default": "x"], "e": ["type": "string", "pattern": ".*"],
            ],
            "required": ["zz"], "oneOf": [],
        ]
        guard case .failure(let problems) = ParameterSchema.parse(bad) else {
            Issue.record("accepted")
            return
        }
        let fields = Set(problems.list.map(\.field))
        #expect(
            fields == [
                "parameters.type", "parameters.oneOf", "parameters.properties.a.type",
                "parameters.properties.b.minimum", "parameters.properties.c.enum.0",
                "parameters.properties.d.default", "parameters.properties.e.pattern", "parameters.required.0",
            ], "\(problems)")
    }

    @Test("the schema reads back as JSON a form can render")
    func roundTrip() throws {
        let parsed = try ParameterSchema.parse(schema).get()
        #expect(try ParameterSchema.parse(parsed.json).get() == parsed)
    }
}
