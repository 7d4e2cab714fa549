import Foundation
import Hummingbird
import NIOCore
import Prometheus

/// `/health`, `/ready`, `/metrics`, `/openapi.json` and `/docs`: the same on every process.
enum StandardRoutes {
    static func register<Context: PlatformRequestContext>(
        on api: APIBuilder<Context>,
        info: ServiceInfo,
        readiness: [ReadinessCheck],
        metrics: PrometheusCollectorRegistry
    ) -> OpenAPIDocument {
        let tags = ["operations"]
        api.get("/health", OperationDoc("Alive: the process answers", tags: tags, response: Schema.object(["status": Schema.string]), open: true)) { _, _ in
            JSONResponse(["status": "alive"])
        }
        let readyDoc = OperationDoc(
            "Ready: every dependency (store, bus, blobs, peers) answers; 503 names the failing ones",
            tags: tags,
            response: Schema.object(["status": Schema.enumeration(["ready", "unavailable"]), "checks": Schema.anyObject, "failing": Schema.array(of: Schema.string)]),
            open: true
        )
        api.get("/ready", readyDoc) { _, _ in
            let report = await ReadinessReport.run(readiness)
            return JSONResponse(report, status: report.failing.isEmpty ? .ok : .serviceUnavailable)
        }
        api.get("/metrics", OperationDoc("Prometheus text exposition", tags: tags, response: Schema.string, responseContentType: "text/plain; version=0.0.4", open: true)) { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: metrics.emitToBuffer())))
        }

        // The document describes itself too, so it is built after registering its own routes.
        let documentDoc = OperationDoc("This OpenAPI 3.1 document", tags: tags, response: Schema.anyObject, open: true)
        let docsDoc = OperationDoc("Readable HTML page of this document", tags: tags, response: Schema.string, responseContentType: "text/html", open: true)
        let pending = api.routes + [
            DocumentedRoute(method: .get, path: "/openapi.json", doc: documentDoc),
            DocumentedRoute(method: .get, path: "/docs", doc: docsDoc),
        ]
        let document = OpenAPIDocument(title: info.title, version: info.version, summary: info.summary, routes: pending, schemas: api.schemas)
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
        return document
    }
}
