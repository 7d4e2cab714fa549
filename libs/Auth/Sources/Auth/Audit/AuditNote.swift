import Synchronization

/// What the request being audited has learnt about itself on the way in, for its entry: the
/// caller once authenticated, and whatever a handler knows better than the generic rules — a
/// sign-in's account name, the user it signed in. A handler adds to it through
/// `AuditNote.current`, which is nil outside an audited request:
///
/// ```swift
/// AuditNote.current?.account(login.email)
/// ```
public final class AuditNote: Sendable {
    @TaskLocal public static var current: AuditNote?

    struct Fields {
        var actor: AuditEntry.Actor?
        var accountName: String?
        var projectID: String?
        var entityID: String?
    }
    private let fields = Mutex(Fields())

    init() {}

    /// The caller, as authentication found it (or a sign-in established it).
    public func actor(_ actor: AuditEntry.Actor) {
        fields.withLock { $0.actor = actor }
    }

    /// The account a sign-in or registration named (never its password).
    public func account(_ name: String) {
        fields.withLock { $0.accountName = String(name.prefix(320)) }
    }

    /// The project the request acted in, when the route and the answer do not show it.
    public func project(_ id: String) {
        fields.withLock { $0.projectID = id }
    }

    /// The entity the request acted on, when the route and the answer do not show it.
    public func entity(_ id: String) {
        fields.withLock { $0.entityID = id }
    }

    var snapshot: Fields { fields.withLock { $0 } }
}
