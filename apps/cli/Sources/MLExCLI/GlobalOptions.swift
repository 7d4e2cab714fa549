import ArgumentParser
import Foundation
import MLExClient
import Wire

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The platform's URL (default: MLEX_URL, the saved login, or http://localhost:8000).", valueName: "url"))
    var url: String?

    func settings() throws -> ClientSettings {
        try ClientSettings(urlFlag: url)
    }

    func client() throws -> MLExClient {
        MLExClient(settings: try settings())
    }

    /// The bearer token calls use now (`MLEX_TOKEN`, else the saved login's, as the last call
    /// left it), for what is not a call of the client's: a WebSocket.
    func accessToken() throws -> String {
        let current = try settings()
        guard let token = current.fixedToken ?? current.stored.accessToken else {
            throw ClientError.notLoggedIn("not logged in to \(current.url): run `mlex login` (or set MLEX_TOKEN)")
        }
        return token
    }
}

/// `--json` for read commands.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print machine-readable JSON instead of a table.")
    var json = false
}

extension MLExClient {
    /// A project by id or by name among the caller's projects.
    func projectID(_ reference: String) async throws -> String {
        if ID.isValid(reference) { return reference }
        var after: String?
        repeat {
            let page = try await call(.data, .GET, "/v1/projects", query: ["limit": "200", "after": after])
            if let match = page["items"]?.arrayValue?.first(where: { $0["name"]?.stringValue == reference }),
                let id = match["id"]?.stringValue
            {
                return id
            }
            after = page["nextAfter"]?.stringValue
        } while after != nil
        throw ClientError.api(
            APIFailure(
                status: 404, code: "not_found", message: "no project named \"\(reference)\" that you can see",
                field: "project"))
    }

    /// Every item of a keyset-paged list (`items`, `nextAfter`).
    func all(
        _ service: Service, _ path: String, query: [String: String?] = [:], pageSize: Int = 200
    ) async throws -> [JSONValue] {
        var items: [JSONValue] = []
        var after: String?
        repeat {
            let page = try await call(
                service, .GET, path, query: query.merging(["limit": String(pageSize), "after": after]) { $1 })
            items += page["items"]?.arrayValue ?? []
            after = page["nextAfter"]?.stringValue
        } while after != nil
        return items
    }
}

extension JSONValue {
    /// The body that creates a named thing (a project, a dataset): its name and description.
    static func named(_ name: String, description: String?) -> JSONValue {
        var body: JSONValue = ["name": .string(name)]
        if let description { body["description"] = .string(description) }
        return body
    }
}
