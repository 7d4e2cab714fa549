/// The one error shape every service answers with (docs/design.md §4), as clients decode it:
/// `{"error": {"code": "snake_case", "message": "…", "field": "a.b", "position": 17}}`.
/// Servers build it from `APIError`; the status travels in the HTTP head, not here.
public struct ErrorEnvelope: Codable, Sendable, Equatable {
    public var error: ErrorBody

    public init(error: ErrorBody) {
        self.error = error
    }
}

public struct ErrorBody: Codable, Sendable, Equatable {
    /// Stable, snake_case: what programs branch on.
    public var code: String
    /// For people; may change between versions.
    public var message: String
    /// Dotted path of the offending input field, when one is to blame.
    public var field: String?
    /// 1-based column inside a query string, for query parse errors.
    public var position: Int?

    public init(code: String, message: String, field: String? = nil, position: Int? = nil) {
        self.code = code
        self.message = message
        self.field = field
        self.position = position
    }
}
