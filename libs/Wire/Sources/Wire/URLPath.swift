import Foundation

/// Paths put into URLs by the platform's clients (services calling each other, the CLI).
public enum URLPath {
    /// A path segment or file path made safe for a URL (each segment percent-encoded, the
    /// slashes between them kept).
    public static func escape(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false)
            .map {
                $0.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/", "?", "#", "%"]))
                    ?? String($0)
            }
            .joined(separator: "/")
    }
}
