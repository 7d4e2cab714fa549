/// JSON Schema fragments (OpenAPI 3.1 speaks JSON Schema 2020-12) for documenting operations.
public enum Schema {
    public static let string: JSONValue = ["type": "string"]
    public static let integer: JSONValue = ["type": "integer"]
    public static let number: JSONValue = ["type": "number"]
    public static let boolean: JSONValue = ["type": "boolean"]
    public static let id: JSONValue = ["type": "string", "format": "uuid"]
    public static let dateTime: JSONValue = ["type": "string", "format": "date-time"]
    public static let anyObject: JSONValue = ["type": "object"]

    public static func array(of items: JSONValue) -> JSONValue {
        ["type": "array", "items": items]
    }

    public static func enumeration(_ values: [String]) -> JSONValue {
        ["type": "string", "enum": .array(values.map(JSONValue.string))]
    }

    public static func object(_ properties: [String: JSONValue], required: [String] = []) -> JSONValue {
        var schema: [String: JSONValue] = ["type": "object", "properties": .object(properties)]
        if !required.isEmpty { schema["required"] = .array(required.map(JSONValue.string)) }
        return .object(schema)
    }

    /// A reference to a named schema in `components.schemas`.
    public static func ref(_ name: String) -> JSONValue {
        ["$ref": .string("#/components/schemas/\(name)")]
    }

    /// The error envelope of docs/design.md §4, shared by every service's document.
    public static let error: JSONValue = object(
        [
            "error": object(
                ["code": string, "message": string, "field": string, "position": integer],
                required: ["code", "message"]
            )
        ],
        required: ["error"]
    )
}
