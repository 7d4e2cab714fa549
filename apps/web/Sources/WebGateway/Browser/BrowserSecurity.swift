import Foundation
import HTTPTypes

/// The headers and checks that keep a browser session from being used by another site.
enum BrowserSecurity {
    /// Scripts only from this origin and never inline, no plugins, no framing, no `<base>`
    /// games. Styles allow `'unsafe-inline'` because dygraphs positions its legend and zoom
    /// rectangle with style attributes; a style cannot run code.
    static let contentSecurityPolicy = [
        "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data:",
        "connect-src 'self'", "object-src 'none'", "frame-ancestors 'none'", "base-uri 'self'", "form-action 'self'",
    ].joined(separator: "; ")

    /// Methods that change state, and so need the Origin check when a session cookie rides along.
    static func changesState(_ method: HTTPRequest.Method) -> Bool {
        method != .get && method != .head && method != .options
    }

    /// Whether the request comes from a page of this gateway: its `Origin` (or, when a browser
    /// sends none, the origin of its `Referer`) names the host the request was sent to. Browsers
    /// set both and pages cannot forge them, so another site's form or fetch fails here.
    static func isSameOrigin(origin: String?, referer: String?, host: String?) -> Bool {
        guard let host, !host.isEmpty else { return false }
        let claimed: String?
        if let origin, origin != "null" {
            claimed = origin
        } else if let referer, let url = URL(string: referer), let scheme = url.scheme, let refererHost = url.host {
            claimed = "\(scheme)://\(refererHost)" + (url.port.map { ":\($0)" } ?? "")
        } else {
            claimed = nil
        }
        guard let claimed else { return false }
        return claimed == "http://\(host)" || claimed == "https://\(host)"
    }
}
