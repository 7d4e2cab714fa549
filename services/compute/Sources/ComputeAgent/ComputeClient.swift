import ComputeWire
import DataClient
import Foundation
import Platform

/// The agent's calls to compute (`/v1/nodes/…`), as compute's service identity.
struct ComputeClient: Sendable {
    let peer: PeerClient
    let nodeID: String

    func register(_ registration: NodeRegistration) async throws -> RegistrationAnswer {
        try await peer.call(.PUT, "/v1/nodes/\(nodeID)", body: try JSONValue(encoding: registration)).decoded(
            as: RegistrationAnswer.self)
    }

    func heartbeat(_ beat: Heartbeat) async throws {
        try await peer.call(.POST, "/v1/nodes/\(nodeID)/heartbeat", body: try JSONValue(encoding: beat))
    }

    func instructions(wait seconds: Int) async throws -> Instructions {
        try await peer.call(
            .POST, "/v1/nodes/\(nodeID)/instructions?waitSeconds=\(seconds)", timeout: .seconds(Int64(seconds) + 15)
        ).decoded(as: Instructions.self)
    }

    func report(_ jobID: String, _ report: JobReport) async throws {
        try await peer.call(.POST, "/v1/nodes/\(nodeID)/jobs/\(jobID)/report", body: try JSONValue(encoding: report))
    }
}
