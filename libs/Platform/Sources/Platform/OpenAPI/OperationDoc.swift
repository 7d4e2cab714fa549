import Hummingbird

/// What the OpenAPI document says about one route; given where the route is registered so the
/// document is written from the same line of code that serves it.
public struct OperationDoc: Sendable {
    public struct QueryParameter: Sendable {
        public let name: String
        public let schema: JSONValue
        public let summary: String
        public let required: Bool

        public init(_ name: String, _ schema: JSONValue, _ summary: String, required: Bool = false) {
            self.name = name
            self.schema = schema
            self.summary = summary
            self.required = required
        }
    }

    public var summary: String
    public var tags: [String]
    public var query: [QueryParameter]
    public var requestBody: JSONValue?
    public var requestContentType: String
    public var status: Int
    public var response: JSONValue?
    public var responseContentType: String
    /// Open operations answer without a token (docs/design.md §4 lists which may be open).
    public var isOpen: Bool

    public init(
        _ summary: String,
        tags: [String] = [],
        query: [QueryParameter] = [],
        body: JSONValue? = nil,
        bodyContentType: String = "application/json",
        status: Int = 200,
        response: JSONValue? = nil,
        responseContentType: String = "application/json",
        open: Bool = false
    ) {
        self.summary = summary
        self.tags = tags
        self.query = query
        self.requestBody = body
        self.requestContentType = bodyContentType
        self.status = status
        self.response = response
        self.responseContentType = responseContentType
        self.isOpen = open
    }
}

/// One documented route: method, path template (`/v1/runs/{id}`) and its description.
public struct DocumentedRoute: Sendable {
    public let method: HTTPRequest.Method
    public let path: String
    public let doc: OperationDoc

    /// The path as OpenAPI writes it: Hummingbird's trailing `**` is the `{path}` parameter.
    public var openAPIPath: String { Self.openAPIPath(path) }

    public static func openAPIPath(_ routerPath: String) -> String {
        routerPath.replacingOccurrences(of: "/**", with: "/{path}")
    }
}
