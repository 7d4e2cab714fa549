import Foundation
import HTTPTypes
import Hummingbird
import Platform

/// Sign-in, registration and sign-out for the browser. The users service's tokens go into
/// HttpOnly cookies and never into the answer, so no page script can read or leak them.
enum SessionRoutes {
    static let user = Schema.object(["user": Schema.anyObject], required: ["user"])

    static func register(_ api: APIBuilder<AppRequestContext>, sessions: BrowserSessions) {
        api.post(
            "/ui/session",
            OperationDoc(
                "Sign in from the browser: the session goes into HttpOnly cookies; the answer names the user",
                tags: ["web"],
                body: Schema.object(
                    ["email": Schema.string, "password": Schema.string], required: ["email", "password"]),
                status: 201, response: user, open: true)
        ) { request, context in
            let body = try await request.decodeJSON(as: JSONValue.self, context: context)
            return try await signIn(body, request: request, context: context, sessions: sessions)
        }

        api.post(
            "/ui/register",
            OperationDoc(
                "Register from the browser, then sign in as /ui/session does", tags: ["web"],
                body: Schema.object(
                    ["email": Schema.string, "password": Schema.string, "displayName": Schema.string],
                    required: ["email", "password", "displayName"]),
                status: 201, response: user, open: true)
        ) { request, context in
            let body = try await request.decodeJSON(as: JSONValue.self, context: context)
            let created = try await sessions.callUsers(
                "POST", "/v1/users", body: body, clientAddress: context.remoteAddress?.ipAddress,
                requestID: context.requestID)
            guard created.status == 201 else { return passOn(created) }
            return try await signIn(body, request: request, context: context, sessions: sessions)
        }

        api.post(
            "/ui/session/refresh",
            OperationDoc(
                "Refresh the browser's session now (after a service refused a token signed before a role or team"
                    + " change): new cookies, or 401 with the cookies cleared", tags: ["web"], status: 204, open: true)
        ) { request, _ in
            let secure = BrowserSessions.overTLS(request)
            guard let refreshed = await sessions.refreshNow(request) else {
                var response = Response(status: .unauthorized)
                for cookie in SessionCookies.clear(secure: secure) {
                    response.headers.append(HTTPField(name: .setCookie, value: cookie))
                }
                return response
            }
            var response = Response(status: .noContent)
            for cookie in refreshed.setCookies { response.headers.append(HTTPField(name: .setCookie, value: cookie)) }
            return response
        }

        api.delete(
            "/ui/session",
            OperationDoc(
                "Sign out: ends the session at the users service and clears the cookies", tags: ["web"], status: 204,
                open: true)
        ) { request, context in
            let authorization = await sessions.authorize(request)
            if let bearer = authorization.bearer {
                // Whatever users answers, the browser's cookies go: signing out must not fail.
                _ = try? await sessions.callUsers(
                    "DELETE", "/v1/sessions/current", bearer: bearer, requestID: context.requestID)
            }
            var response = Response(status: .noContent)
            for cookie in SessionCookies.clear(secure: BrowserSessions.overTLS(request)) {
                response.headers.append(HTTPField(name: .setCookie, value: cookie))
            }
            return response
        }
    }

    private static func signIn(
        _ body: JSONValue, request: Request, context: AppRequestContext, sessions: BrowserSessions
    ) async throws -> Response {
        let credentials = JSONValue.object([
            "email": body["email"] ?? .null, "password": body["password"] ?? .null,
        ])
        let answer = try await sessions.callUsers(
            "POST", "/v1/sessions", body: credentials, clientAddress: context.remoteAddress?.ipAddress,
            requestID: context.requestID)
        guard answer.status == 201, let access = answer.body["accessToken"]?.stringValue,
            let refresh = answer.body["refreshToken"]?.stringValue
        else { return passOn(answer) }
        var response = Response(
            status: .created, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: .init(string: JSONValue.object(["user": answer.body["user"] ?? .null]).jsonText)))
        for cookie in SessionCookies.store(access: access, refresh: refresh, secure: BrowserSessions.overTLS(request)) {
            response.headers.append(HTTPField(name: .setCookie, value: cookie))
        }
        return response
    }

    /// The users service's refusal as it gave it (its error names the field).
    private static func passOn(_ answer: (status: Int, body: JSONValue)) -> Response {
        Response(
            status: .init(code: answer.status), headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: .init(string: answer.body.jsonText)))
    }
}
