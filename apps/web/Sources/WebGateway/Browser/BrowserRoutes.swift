import Foundation
import Hummingbird
import Platform

/// The browser application: its pages (one `index.html` whose modules draw each page), its
/// static files, Debian's chart library, and the session endpoints that keep tokens out of
/// page scripts.
enum BrowserRoutes {
    /// Pages a signed-out visitor may see; every other page sends them to `/signin` first.
    static let openPages = ["/signin"]
    /// Paths the application draws itself (history API routing); each serves `index.html`.
    /// Deployments' pages are `/serving/…`: `/deployments/{id}/…` is each deployment's own endpoint.
    static let pages = [
        "/", "/signin", "/projects", "/projects/**", "/runs/**", "/compare", "/datasets/**", "/jobs", "/jobs/**",
        "/serving", "/serving/**", "/nodes", "/templates", "/templates/**", "/hub", "/models/**", "/ingest", "/account",
        "/admin",
    ]

    /// RFC 3986's unreserved characters: everything else in `next` is percent-encoded.
    static let unreserved = CharacterSet(charactersIn: "-._~").union(
        CharacterSet(charactersIn: "a"..."z")
    ).union(CharacterSet(charactersIn: "A"..."Z")).union(CharacterSet(charactersIn: "0"..."9"))

    static func register(
        _ api: APIBuilder<AppRequestContext>, assets: StaticFiles, vendor: StaticFiles, sessions: BrowserSessions
    ) {
        for page in pages {
            api.get(
                page,
                OperationDoc(
                    "The web application (HTML); a visitor without a session is sent to /signin", tags: ["web"],
                    responseContentType: "text/html", open: true)
            ) { request, _ in
                let signedIn = !SessionCookies.tokens(cookieHeaders: request.headers[values: .cookie]).isEmpty
                if !signedIn && !openPages.contains(request.uri.path) {
                    let next = request.uri.path + (request.uri.query.map { "?\($0)" } ?? "")
                    let encoded = next.addingPercentEncoding(withAllowedCharacters: unreserved) ?? "/"
                    return Response(status: .seeOther, headers: [.location: "/signin?next=\(encoded)"])
                }
                return try assets.response(for: "index.html")
            }
        }
        api.get(
            "/static/**",
            OperationDoc(
                "The web application's modules, styles and images", tags: ["web"],
                responseContentType: "application/octet-stream", open: true)
        ) { _, context in
            try assets.response(for: context.parameters.getCatchAll().joined(separator: "/"))
        }
        api.get(
            "/vendor/**",
            OperationDoc(
                "JavaScript libraries from Debian packages (/usr/share/javascript)", tags: ["web"],
                responseContentType: "application/octet-stream", open: true)
        ) { _, context in
            try vendor.response(for: context.parameters.getCatchAll().joined(separator: "/"))
        }
        SessionRoutes.register(api, sessions: sessions)
    }
}
