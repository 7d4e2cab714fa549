import Foundation

/// Why a call failed, sorted into the kinds a command line reports with distinct exit codes.
public enum ClientError: Error, CustomStringConvertible, Sendable {
    /// The server refused or failed the request: its status and `{"error": …}` body.
    case api(APIFailure)
    /// The server could not be reached.
    case unreachable(url: String, reason: String)
    /// Not logged in, or the session ended.
    case notLoggedIn(String)
    /// Bad local input (flags, task file, files on disk).
    case usage(String)
    /// A transfer that arrived different from what the server announced.
    case integrity(String)

    public var description: String {
        switch self {
        case .api(let failure): failure.description
        case .unreachable(let url, let reason):
            "cannot reach \(url): \(reason) (is the platform running? `make run` starts it)"
        case .notLoggedIn(let message), .usage(let message), .integrity(let message): message
        }
    }
}

/// An error answer of the platform (docs/design.md §4: `{"error": {"code", "message", "field"}}`).
public struct APIFailure: Error, CustomStringConvertible, Sendable {
    public let status: Int
    public let code: String
    public let message: String
    public let field: String?

    public init(status: Int, code: String, message: String, field: String?) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
    }

    public var description: String {
        field.map { "\(message) (field \($0))" } ?? message
    }
}
