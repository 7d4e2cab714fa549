import Foundation
import HTTPTypes
import Hummingbird
import Logging
import PlatformTesting
import Prometheus
import ServiceLifecycle

@testable import Platform

/// The shapes a real service decodes: nested objects, enums, integers.
struct JobSpec: Codable, Sendable {
    enum Priority: String, Codable, Sendable { case low, normal, high }
    struct Resources: Codable, Sendable {
        let cpus: Int
        let memoryMB: Int
    }
    let name: String
    let priority: Priority
    let resources: Resources
    let tags: [String]?
}

struct DuplicateName: APIErrorConvertible {
    var apiError: APIError { .conflict("a job with this name exists", code: "duplicate_name", field: "name") }
}

struct SurpriseError: Error {}

/// Builds the platform application with a handful of routes that exercise the kit.
func buildTestApplication(
    logger: Logger = quietLogger("test"),
    metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
    readiness: [ReadinessCheck] = [],
    maxBodyBytes: Int = 1024,
    services: [any Service] = [],
    slowRequest: (@Sendable () async -> Void)? = nil
) async throws -> some ApplicationProtocol {
    let settings = try await ServiceSettings.forTesting(
        .data, stateDirectory: try temporaryDirectory(), maxBodyBytes: maxBodyBytes)
    return try PlatformApplication.build(
        info: ServiceInfo(name: .data, title: "Test service", summary: "Exercises the platform kit"),
        settings: settings, logger: logger, metrics: metrics, readiness: readiness, services: services
    ) { api in
        api.schema("JobSpec", Schema.object(["name": Schema.string], required: ["name"]))
        api.post(
            "/v1/jobs",
            OperationDoc(
                "Create a job", tags: ["jobs"], body: Schema.ref("JobSpec"), status: 201,
                response: Schema.ref("JobSpec"))
        ) { request, context in
            let spec = try await request.decodeJSON(as: JobSpec.self, context: context)
            if spec.name == "taken" { throw DuplicateName() }
            context.logger.info("creating job")
            return JSONResponse(spec, status: .created)
        }
        api.get("/v1/jobs/{jobId}", OperationDoc("Get a job", tags: ["jobs"])) { _, context in
            let id = try context.parameters.requireID("jobId")
            return JSONResponse(["id": id])
        }
        api.get("/v1/explode", OperationDoc("Fails unexpectedly", tags: ["jobs"])) { _, _ -> Response in
            throw SurpriseError()
        }
        api.get("/v1/slow", OperationDoc("Answers after the test lets it", tags: ["jobs"])) { _, _ -> Response in
            await slowRequest?()
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "finished")))
        }
    }
}
