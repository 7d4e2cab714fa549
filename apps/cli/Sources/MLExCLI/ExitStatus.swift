import ArgumentParser
import MLExClient

/// Exit codes, from sysexits(3) so scripts can tell failures apart (docs/cli.md lists them).
public enum ExitStatus: Int32, CaseIterable, Sendable {
    case ok = 0
    /// The command worked but what it watched did not succeed (a job that failed, was cancelled or timed out).
    case unsuccessful = 1
    /// Bad flags, arguments or task file (also what swift-argument-parser uses for usage errors).
    case usage = 64
    /// The server refused the input (400, 409, 413, 422) or a download failed its checksum.
    case rejected = 65
    /// What was named does not exist, or is not visible to this user (404).
    case notFound = 66
    /// The server could not be reached.
    case unavailable = 69
    /// The server failed (5xx).
    case serverError = 70
    /// Not logged in, session over, or not allowed (401, 403).
    case auth = 77

    static func of(_ error: ClientError) -> ExitStatus {
        switch error {
        case .usage: .usage
        case .notLoggedIn: .auth
        case .unreachable: .unavailable
        case .integrity: .rejected
        case .api(let failure):
            switch failure.status {
            case 401, 403: .auth
            case 404: .notFound
            case 500...: .serverError
            default: .rejected
            }
        }
    }
}

/// Runs a command's body: a `ClientError` is printed as `mlex: <message>` on stderr and becomes
/// its exit code; anything else is left to swift-argument-parser.
func reportingErrors(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as ClientError {
        Console.error(error.description)
        throw ExitCode(ExitStatus.of(error).rawValue)
    }
}
