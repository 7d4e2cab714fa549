import Foundation

/// Renders the OpenAPI document as one self-contained HTML page: no script, font or style is
/// fetched from anywhere, so `/docs` works on an air-gapped beamline network.
enum DocsPage {
    static func html(_ document: OpenAPIDocument) -> String {
        let grouped = Dictionary(grouping: document.routes) { $0.doc.tags.first ?? "service" }
        var body = """
            <!doctype html><html lang="en"><head><meta charset="utf-8">
            <title>\(escape(document.title)) API</title>
            <style>
            body{font:15px/1.5 system-ui,sans-serif;max-width:64rem;margin:2rem auto;padding:0 1rem;color:#222}
            h2{border-bottom:1px solid #ddd;padding-bottom:.2rem}
            .op{border:1px solid #ddd;border-radius:6px;margin:.6rem 0;padding:.5rem .8rem}
            .m{display:inline-block;min-width:4.5rem;font-weight:700;font-family:monospace}
            .GET{color:#1565c0}.POST{color:#2e7d32}.PUT,.PATCH{color:#ef6c00}.DELETE{color:#c62828}
            code,pre{font-family:ui-monospace,monospace;font-size:13px}
            pre{background:#f6f8fa;padding:.5rem;overflow:auto}
            .open{font-size:12px;color:#555;border:1px solid #aaa;border-radius:3px;padding:0 .3rem}
            </style></head><body>
            <h1>\(escape(document.title)) <small>\(escape(document.version))</small></h1>
            <p>\(escape(document.summary))</p>
            <p>Machine-readable: <a href="openapi.json">openapi.json</a>. Errors always have the shape
            <code>{"error": {"code", "message", "field", "position"}}</code>. Send
            <code>Authorization: Bearer &lt;token&gt;</code> except where marked <span class="open">open</span>.</p>

            """
        for tag in grouped.keys.sorted() {
            body += "<h2>\(escape(tag))</h2>\n"
            for route in grouped[tag]!.sorted(by: { ($0.path, $0.method.rawValue) < ($1.path, $1.method.rawValue) }) {
                body += operation(route)
            }
        }
        body += "</body></html>\n"
        return body
    }

    private static func operation(_ route: DocumentedRoute) -> String {
        let doc = route.doc
        var html = "<div class=\"op\"><span class=\"m \(route.method.rawValue)\">\(route.method.rawValue)</span> "
        html += "<code>\(escape(route.openAPIPath))</code> — \(escape(doc.summary))"
        if doc.isOpen { html += " <span class=\"open\">open</span>" }
        if !doc.query.isEmpty {
            html +=
                "<ul>" + doc.query.map { "<li><code>\(escape($0.name))</code>: \(escape($0.summary))</li>" }.joined()
                + "</ul>"
        }
        if let requestBody = doc.requestBody {
            html +=
                "<div>Request body (<code>\(escape(doc.requestContentType))</code>)</div><pre>\(escape(pretty(requestBody)))</pre>"
        }
        html += "<div>Answers \(doc.status)"
        if let response = doc.response {
            html += " (<code>\(escape(doc.responseContentType))</code>)</div><pre>\(escape(pretty(response)))</pre>"
        } else {
            html += "</div>"
        }
        return html + "</div>\n"
    }

    private static func pretty(_ value: JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
