import Foundation
import Hummingbird
import NIOCore
import Prometheus

/// `/health`, `/ready`, `/metrics`, `/openapi.json` and `/docs`: the same on every process; and
/// `/`, which sends a browser to `/docs` (unless the process serves `/` itself).
enum StandardRoutes {
    /// Where `GET /` points: someone typing `localhost:8080` into a browser lands on the docs page.
    static let rootLocation = "/docs"

    static func register<Context: PlatformRequestContext>(
        on api: APIBuilder<Context>,
        info: ServiceInfo,
        readiness: [ReadinessCheck],
        metrics: PrometheusCollectorRegistry
    ) -> OpenAPIDocument {
        let tags = ["operations"]
        api.get(
            "/health",
            OperationDoc(
                "Alive: the process answers", tags: tags, response: Schema.object(["status": Schema.string]), open: true
            )
        ) { _, _ in
            JSONResponse(["status": "alive"])
        }
        let readyDoc = OperationDoc(
            "Ready: every dependency (store, bus, blobs, peers) answers; 503 names the failing ones",
            tags: tags,
            response: Schema.object([
                "status": Schema.enumeration(["ready", "unavailable"]), "checks": Schema.anyObject,
                "failing": Schema.array(of: Schema.string),
            ]),
            open: true
        )
        api.get("/ready", readyDoc) { _, _ in
            let report = await ReadinessReport.run(readiness)
            return JSONResponse(report, status: report.failing.isEmpty ? .ok : .serviceUnavailable)
        }
        api.get(
            "/metrics",
            OperationDoc(
                "Prometheus text exposition", tags: tags, response: Schema.string,
                responseContentType: "text/plain; version=0.0.4", open: true)
        ) { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(
                status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: metrics.emitToBuffer())))
        }

        // The document describes itself too, so it is built after registering its own routes.
        let documentDoc = OperationDoc("This OpenAPI 3.1 document", tags: tags, response: Schema.anyObject, open: true)
        let docsDoc = OperationDoc(
            "Readable HTML page of this document", tags: tags, response: Schema.string,
            responseContentType: "text/html", open: true)
        let pending =
            api.routes + [
                DocumentedRoute(method: .get, path: "/openapi.json", doc: documentDoc),
                DocumentedRoute(method: .get, path: "/docs", doc: docsDoc),
            ]
        let document = OpenAPIDocument(
            title: info.title, version: info.version, summary: info.summary, routes: pending, schemas: api.schemas)
        let documentJSON = ByteBuffer(bytes: (try? JSONEncoder.api.encode(document.json)) ?? Data())
        let docsHTML = ByteBuffer(string: DocsPage.html(document))
        api.get("/openapi.json", documentDoc) { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "application/json; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: documentJSON))
        }
        api.get("/docs", docsDoc) { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/html; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: docsHTML))
        }
        registerRoot(on: api)
        return document
    }

    /// `GET /` → 303 See Other, `Location: /docs`, open. Registered after the document is built,
    /// so it is served (and passes the served-equals-documented check) but is not an operation of
    /// the API: it is a convenience for browsers, and every service's open-operations contract
    /// (`standardOpenOperations`) stays what docs/design.md §4 says. Temporary, not 301/308:
    /// browsers cache a permanent redirect, and the gateway is to serve its web UI at `/`. 303
    /// rather than 302: it means "GET the other URL" by definition, not by browsers' habit.
    /// A process that registers `GET /` itself (the gateway, then) keeps it: this steps aside.
    static func registerRoot<Context: PlatformRequestContext>(on api: APIBuilder<Context>) {
        if api.routes.contains(where: { $0.method == .get && RouterPath($0.path).description == "/" }) { return }
        let doc = OperationDoc("Redirect to the docs page", tags: ["operations"], status: 303, open: true)
        api.get("/", doc) { _, _ in
            Response.redirect(to: rootLocation, type: .normal)
        }
    }
}
