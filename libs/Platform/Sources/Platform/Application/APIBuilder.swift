import Hummingbird

/// Registers routes on the router and, from the same call, describes them for OpenAPI; a route
/// cannot be served without being documented.
public final class APIBuilder<Context: PlatformRequestContext> {
    public let router: Router<Context>
    public private(set) var routes: [DocumentedRoute] = []
    public private(set) var schemas: [String: JSONValue] = [:]
    /// Where routes that need a token go: behind the authentication middleware. Open routes
    /// (`OperationDoc(open: true)`) go on the router itself. Nil: nothing authenticates.
    let protected: RouterGroup<Context>?

    init(router: Router<Context>, authentication: (any MiddlewareProtocol<Request, Response, Context>)? = nil) {
        self.router = router
        self.protected = authentication.map { router.group().add(middleware: $0) }
    }

    /// Registers a named schema under `components.schemas`, for `Schema.ref(name)`.
    public func schema(_ name: String, _ schema: JSONValue) {
        schemas[name] = schema
    }

    public func on<Output: ResponseGenerator>(
        _ method: HTTPRequest.Method,
        _ path: String,
        _ doc: OperationDoc,
        use handler: @escaping @Sendable (Request, Context) async throws -> Output
    ) {
        if let protected, !doc.isOpen {
            protected.on(RouterPath(path), method: method, use: handler)
        } else {
            router.on(RouterPath(path), method: method, use: handler)
        }
        routes.append(DocumentedRoute(method: method, path: path, doc: doc))
    }

    public func get<Output: ResponseGenerator>(
        _ path: String, _ doc: OperationDoc, use handler: @escaping @Sendable (Request, Context) async throws -> Output
    ) {
        on(.get, path, doc, use: handler)
    }

    public func post<Output: ResponseGenerator>(
        _ path: String, _ doc: OperationDoc, use handler: @escaping @Sendable (Request, Context) async throws -> Output
    ) {
        on(.post, path, doc, use: handler)
    }

    public func put<Output: ResponseGenerator>(
        _ path: String, _ doc: OperationDoc, use handler: @escaping @Sendable (Request, Context) async throws -> Output
    ) {
        on(.put, path, doc, use: handler)
    }

    public func patch<Output: ResponseGenerator>(
        _ path: String, _ doc: OperationDoc, use handler: @escaping @Sendable (Request, Context) async throws -> Output
    ) {
        on(.patch, path, doc, use: handler)
    }

    public func delete<Output: ResponseGenerator>(
        _ path: String, _ doc: OperationDoc, use handler: @escaping @Sendable (Request, Context) async throws -> Output
    ) {
        on(.delete, path, doc, use: handler)
    }

    /// Operations (`POST /v1/users`, OpenAPI path form) that answer without a token.
    public var openOperations: Set<String> {
        Set(routes.filter(\.doc.isOpen).map { "\($0.method) \($0.openAPIPath)" })
    }
}
