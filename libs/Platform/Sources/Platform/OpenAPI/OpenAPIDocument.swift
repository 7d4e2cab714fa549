/// Builds a service's OpenAPI 3.1 document from the routes it registered.
public struct OpenAPIDocument: Sendable {
    public let title: String
    public let version: String
    public let summary: String
    public let routes: [DocumentedRoute]
    public let schemas: [String: JSONValue]

    public init(
        title: String, version: String, summary: String, routes: [DocumentedRoute], schemas: [String: JSONValue]
    ) {
        self.title = title
        self.version = version
        self.summary = summary
        self.routes = routes
        self.schemas = schemas
    }

    public var json: JSONValue {
        var paths: [String: [String: JSONValue]] = [:]
        for route in routes {
            paths[route.openAPIPath, default: [:]][route.method.rawValue.lowercased()] = operation(route)
        }
        var allSchemas = schemas
        allSchemas["Error"] = Schema.error
        return [
            "openapi": "3.1.0",
            "info": ["title": .string(title), "version": .string(version), "description": .string(summary)],
            "paths": .object(paths.mapValues { .object($0) }),
            "components": [
                "schemas": .object(allSchemas),
                "securitySchemes": [
                    "bearer": ["type": "http", "scheme": "bearer", "bearerFormat": "JWT or personal API token"]
                ],
            ],
            "security": [["bearer": []]],
        ]
    }

    private func operation(_ route: DocumentedRoute) -> JSONValue {
        let doc = route.doc
        var operation: [String: JSONValue] = [
            "summary": .string(doc.summary),
            "operationId": .string(Self.operationID(route)),
        ]
        if !doc.tags.isEmpty { operation["tags"] = .array(doc.tags.map(JSONValue.string)) }
        if doc.isOpen { operation["security"] = [] }
        var parameters: [JSONValue] = Self.pathParameters(route.openAPIPath).map { name in
            ["name": .string(name), "in": "path", "required": true, "schema": Schema.string]
        }
        parameters += doc.query.map { parameter in
            [
                "name": .string(parameter.name), "in": "query", "required": .bool(parameter.required),
                "description": .string(parameter.summary), "schema": parameter.schema,
            ]
        }
        if !parameters.isEmpty { operation["parameters"] = .array(parameters) }
        if let body = doc.requestBody {
            operation["requestBody"] = [
                "required": true, "content": .object([doc.requestContentType: ["schema": body]]),
            ]
        }
        var success: [String: JSONValue] = ["description": .string(Self.reason(doc.status))]
        if let response = doc.response {
            success["content"] = .object([doc.responseContentType: ["schema": response]])
        }
        let errorContent: JSONValue = ["application/json": ["schema": Schema.ref("Error")]]
        var responses: [String: JSONValue] = [String(doc.status): .object(success)]
        responses["default"] = ["description": "Error (docs/design.md §4 error shape)", "content": errorContent]
        operation["responses"] = .object(responses)
        return .object(operation)
    }

    static func pathParameters(_ path: String) -> [String] {
        path.split(separator: "/").compactMap { component in
            guard component.first == "{", component.last == "}" else { return nil }
            return String(component.dropFirst().dropLast())
        }
    }

    static func operationID(_ route: DocumentedRoute) -> String {
        let words = route.openAPIPath.split(whereSeparator: { "/{}-.".contains($0) }).map(String.init)
        return ([route.method.rawValue.lowercased()] + words.map { $0.prefix(1).uppercased() + $0.dropFirst() })
            .joined()
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 206: "Partial Content"
        default: "Success"
        }
    }
}
