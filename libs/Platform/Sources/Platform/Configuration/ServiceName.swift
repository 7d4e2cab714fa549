/// Every process of the platform, with its default port (docs/design.md §2). The gateway is `web`.
public enum ServiceName: String, CaseIterable, Sendable {
    case web, compute, users, data, ingest, mlhub, tag

    public var defaultPort: Int {
        switch self {
        case .web: 8000
        case .compute: 8080
        case .users: 8081
        case .data: 8082
        case .ingest: 8083
        case .mlhub: 8084
        case .tag: 8085
        }
    }

    /// The services the gateway proxies under `/api/<service>/`.
    public static var backends: [ServiceName] { allCases.filter { $0 != .web } }
}
