import Foundation
import NIOCore
import ParameterSchema
import Platform

/// Checks a `POST …/invocations` body against a deployment's input schema before any replica
/// sees it, so a bad request is a 400 naming the field instead of a model's stack trace. The
/// body is JSON in one of the forms MLflow's scoring server takes — `{"inputs": …}`,
/// `{"instances": [...]}`, `{"dataframe_records": [...]}` — or one bare record; each record
/// (an object) must meet the schema. Column-wise forms (`dataframe_split`, `inputs` as an
/// object of lists) are checked column by column: names known, every value of the column
/// meeting its property. What is valid is forwarded byte for byte.
enum InvocationCheck {
    static func check(_ body: ByteBuffer, against schema: ParameterSchema) throws {
        guard let json = try? JSONValue.parse(String(buffer: body)), case .object(let fields) = json else {
            throw APIError.invalidField(
                "body", "an invocation is a JSON object (its records checked against the deployment's inputSchema)")
        }
        for key in ["inputs", "instances", "dataframe_records"] {
            guard let value = fields[key] else { continue }
            switch value {
            case .array(let records):
                for (index, record) in records.enumerated() {
                    try checkRecord(record, schema, field: "\(key).\(index)")
                }
            case .object(let columns) where key == "inputs" && columns.values.allSatisfy({ $0.arrayValue != nil }):
                try checkColumns(columns, schema, field: key)
            default:
                try checkRecord(value, schema, field: key)
            }
            return
        }
        if case .object(let split) = fields["dataframe_split"] ?? .null {
            let names = split["columns"]?.arrayValue?.compactMap(\.stringValue) ?? []
            for (row, values) in (split["data"]?.arrayValue ?? []).enumerated() {
                let cells = values.arrayValue ?? []
                guard cells.count == names.count else {
                    throw APIError.invalidField("dataframe_split.data.\(row)", "a row has one value per column")
                }
                try checkRecord(
                    .object(Dictionary(uniqueKeysWithValues: zip(names, cells))), schema,
                    field: "dataframe_split.data.\(row)")
            }
            return
        }
        try checkRecord(json, schema, field: "body")
    }

    private static func checkRecord(_ record: JSONValue, _ schema: ParameterSchema, field: String) throws {
        guard case .object(let values) = record else {
            throw APIError.invalidField(field, "a record is a JSON object of the inputSchema's properties")
        }
        do {
            _ = try schema.validate(values, field: field)
        } catch let problem as ParameterSchema.Problem {
            throw APIError.invalidField(problem.field, problem.message)
        }
    }

    /// Columns of equal length, each row a record.
    private static func checkColumns(_ columns: [String: JSONValue], _ schema: ParameterSchema, field: String) throws {
        let lists = columns.mapValues { $0.arrayValue ?? [] }
        let rows = Set(lists.values.map(\.count))
        guard rows.count <= 1 else { throw APIError.invalidField(field, "every column has as many values") }
        for row in 0..<(rows.first ?? 0) {
            try checkRecord(.object(lists.mapValues { $0[row] }), schema, field: "\(field).\(row)")
        }
    }
}
