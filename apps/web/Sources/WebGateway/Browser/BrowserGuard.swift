import HTTPTypes
import Hummingbird
import Platform

/// Every request passes here first. A state-changing request that carries the session cookie
/// (or goes to `/ui/…`, which starts sessions) must come from one of this gateway's pages, or it
/// is refused with 403: SameSite=Strict already keeps the cookie off other sites' requests, and
/// this check holds even for browsers that ignore SameSite. Everything but the `/api/…` proxy
/// (whose answers are the services' own) is sent with the browser hardening headers.
struct BrowserGuard<Context: RequestContext>: RouterMiddleware {
    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        let path = request.uri.path
        if BrowserSecurity.changesState(request.method) {
            let carriesSession = !SessionCookies.tokens(cookieHeaders: request.headers[values: .cookie]).isEmpty
            if carriesSession || path.hasPrefix("/ui/") {
                let sameOrigin = BrowserSecurity.isSameOrigin(
                    origin: request.headers[.origin], referer: request.headers[.referer],
                    host: request.head.authority)
                guard sameOrigin else {
                    throw APIError(
                        .forbidden, code: "cross_origin_request",
                        message:
                            "a request that changes state with the session cookie must come from this site's own pages (its Origin header must be this gateway's origin)",
                        field: "Origin")
                }
            }
        }
        var response = try await next(request, context)
        if path.hasPrefix("/endpoints/") || path.hasPrefix("/deployments/") {
            // A job's or a deployment's own answers, on this origin: a page among them runs in an opaque origin of
            // its own, so its scripts cannot use a visitor's session here.
            response.headers[.contentSecurityPolicy] = "sandbox allow-scripts allow-forms allow-popups allow-downloads"
            response.headers[.xContentTypeOptions] = "nosniff"
        } else if !path.hasPrefix("/api/") {
            response.headers[.contentSecurityPolicy] = BrowserSecurity.contentSecurityPolicy
            response.headers[.xContentTypeOptions] = "nosniff"
            response.headers[.referrerPolicy] = "same-origin"
        }
        return response
    }
}

extension HTTPField.Name {
    static let referrerPolicy = Self("Referrer-Policy")!
}
