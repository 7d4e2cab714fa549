import Platform

/// A role on a project; each includes the ones below it.
public enum ProjectRole: String, Sendable, Codable, CaseIterable, Comparable {
    case viewer, editor, owner

    private var rank: Int { Self.allCases.firstIndex(of: self)! }

    public static func < (lhs: ProjectRole, rhs: ProjectRole) -> Bool { lhs.rank < rhs.rank }
}

/// Who holds which role on a project. The data service owns projects and members (docs/design.md
/// §2) and implements this from its store; other services from a read model of `mlex.data`
/// membership events with a call to data on a miss.
public protocol MembershipSource: Sendable {
    /// The highest role granted on `projectID` to the user directly or to any of `teams`;
    /// nil when none is, or when there is no such project.
    func role(of userID: String, teams: [String], in projectID: String) async throws -> ProjectRole?
}

/// The one place permission on a project is decided: admin above all, then the caller's own
/// or team role. A caller with no role at all gets 404, as if the project did not exist (its
/// name is not disclosed); a member whose role is too low gets 403.
public struct Authorizer: Sendable {
    /// Service tokens carry scopes instead of memberships: `projects.read` acts as viewer on
    /// every project, `projects.write` as editor. No service is ever an owner.
    public static let readScope = "projects.read"
    public static let writeScope = "projects.write"

    let memberships: any MembershipSource

    public init(memberships: any MembershipSource) {
        self.memberships = memberships
    }

    /// The caller's effective role, or nil when it has none.
    public func role(of principal: Principal, on projectID: String) async throws -> ProjectRole? {
        if principal.isAdmin { return .owner }
        switch principal.kind {
        case .service:
            if principal.scopes.contains(Self.writeScope) { return .editor }
            return principal.scopes.contains(Self.readScope) ? .viewer : nil
        case .user:
            return try await memberships.role(of: principal.id, teams: principal.teams, in: projectID)
        }
    }

    /// Returns the caller's role when it is at least `needed`; otherwise 404 or 403.
    @discardableResult
    public func require(
        _ needed: ProjectRole, on projectID: String, for principal: Principal
    ) async throws -> ProjectRole {
        guard let role = try await role(of: principal, on: projectID) else {
            throw APIError.notFound("no project \(projectID)")
        }
        guard role >= needed else {
            throw APIError.forbidden("this needs the \(needed.rawValue) role on the project; you are \(role.rawValue)")
        }
        return role
    }
}
