import Auth
import Foundation
import Platform

/// What the MLflow tracking routes share: the data core, the project scope of the request
/// (`MLflowScope`), and the lookups that turn MLflow's ids into ours.
///
/// MLflow's experiment and run ids are ours, so a request naming one by id acts on it wherever
/// it lives, with the caller's role on its project checked as on our own routes: the project of
/// the tracking URI picks where new experiments go, what names and "0" mean, and what a search
/// covers. Runs are not read through the scope at all, which keeps logging one lookup per request.
struct MLflowTracking: Sendable {
    let core: DataCore
    let scope: MLflowScope

    /// MLflow's client logs to experiment "0" when its user set none.
    static let defaultExperimentID = "0"
    /// The name of the experiment "0" stands for, in each project.
    static let defaultExperimentName = "Default"

    /// The experiment `id` names: "0" is the request's project's `Default` experiment, made on
    /// first use; any other id must be an experiment the caller holds `needed` on.
    func experiment(
        _ id: String, _ context: AuthRequestContext, needs needed: ProjectRole, trashed allowed: Bool? = nil
    ) async throws -> Experiment {
        if id == Self.defaultExperimentID {
            let (project, _) = try await scope.project(context, needs: needed)
            return try await defaultExperiment(in: project, by: try context.requirePrincipal().id)
        }
        guard ID.isValid(id) else { throw APIError.notFound("no experiment with id \(id)", field: "experiment_id") }
        return try await core.experiment(id, context, needs: needed, trashed: allowed)
    }

    /// The project's experiment named `Default`, created now when it has none. Two first requests
    /// racing both try the insert; the loser reads the winner's.
    func defaultExperiment(in project: Project, by userID: String) async throws -> Experiment {
        if let found = try await core.experiments.experiment(named: Self.defaultExperimentName, in: project.id) {
            return found
        }
        let created = Experiment(
            name: Self.defaultExperimentName,
            description: "Where MLflow's client logs when no experiment is set (its experiment \"0\").",
            in: project.id, createdBy: userID)
        do {
            try await core.experiments.create(created)
            return created
        } catch let error as APIError where error.code == "name_taken" {
            guard let found = try await core.experiments.experiment(named: Self.defaultExperimentName, in: project.id)
            else { throw error }
            return found
        }
    }

    /// The run a request names, with the caller's role on its project checked. A run in the
    /// trash can be read but not changed, as MLflow's "must be in the 'active' state".
    func run(_ message: MLflowMessage, _ context: AuthRequestContext, needs needed: ProjectRole) async throws -> Run {
        let id = try message.runID()
        guard ID.isValid(id) else { throw APIError.notFound("run with id=\(id) not found", field: "run_id") }
        return try await core.run(id, context, needs: needed)
    }

    /// A run that may be in the trash (delete, restore).
    func anyRun(_ message: MLflowMessage, _ context: AuthRequestContext, needs needed: ProjectRole) async throws -> Run
    {
        let id = try message.runID()
        guard ID.isValid(id) else { throw APIError.notFound("run with id=\(id) not found", field: "run_id") }
        return try await core.run(id, context, needs: needed, trashed: true)
    }
}

/// Times on MLflow's routes are epoch milliseconds; ours are RFC 3339 text.
enum MLflowTime {
    static func millis(_ text: String?) -> Int64? {
        guard let text, let date = Timestamp.parse(text) else { return nil }
        return Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    /// Our time for MLflow's epoch milliseconds (400 naming `field` outside years 0–9999).
    static func text(_ millis: Int64, field: String) throws -> String {
        guard Timestamp.representable.contains(millis) else {
            throw APIError.invalidField(field, "\(field) is epoch milliseconds between years 0 and 9999")
        }
        return Timestamp.format(Date(timeIntervalSince1970: Double(millis) / 1000))
    }

    static var nowMillis: Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }
}
