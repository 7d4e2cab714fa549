import Foundation
import Hummingbird
import Prometheus
import Synchronization

/// Counts requests and times them per route template, method and status. Route templates (not
/// raw paths) keep the label set bounded; unmatched requests share one label.
public struct HTTPMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let registry: PrometheusCollectorRegistry
    /// The collectors of each label set seen, so a request costs a dictionary lookup: asking the
    /// registry builds the metric's name, checks it and hashes the labels under its lock every time.
    private let collectors = Collectors()

    private struct Labels: Hashable {
        let route: String
        let method: String
        let status: Int
    }

    private final class Collectors: Sendable {
        let known = Mutex<[Labels: (Counter, DurationHistogram)]>([:])
    }

    static var buckets: [Duration] {
        [
            .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
            .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5),
            .seconds(5), .seconds(10),
        ]
    }

    static var requests: MetricNameDescriptor {
        MetricNameDescriptor(
            metricName: "http_requests", unitName: "total",
            helpText: "HTTP requests answered, by route, method and status")
    }
    static var duration: MetricNameDescriptor {
        MetricNameDescriptor(
            metricName: "http_request_duration", unitName: "seconds",
            helpText: "Time to answer an HTTP request, body included")
    }

    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            // Errors are rendered further in; anything arriving here is a 500 by definition.
            record(request: request, context: context, status: 500, since: start)
            throw error
        }
        let status = Int(response.status.code)
        response.body = response.body.afterWrite { [self] in
            record(request: request, context: context, status: status, since: start)
        }
        return response
    }

    private func record(request: Request, context: Context, status: Int, since start: ContinuousClock.Instant) {
        let elapsed = (ContinuousClock.now - start).nanoseconds
        let labels = Labels(route: context.endpointPath ?? "unmatched", method: request.method.rawValue, status: status)
        let (requests, duration) = collectors.known.withLock { known in
            if let made = known[labels] { return made }
            let named = [("route", labels.route), ("method", labels.method), ("status", String(status))]
            let made = (
                registry.makeCounter(descriptor: Self.requests, labels: named),
                registry.makeDurationHistogram(descriptor: Self.duration, labels: named, buckets: Self.buckets)
            )
            known[labels] = made
            return made
        }
        requests.increment()
        duration.recordNanoseconds(elapsed)
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let parts = self.components
        return parts.seconds * 1_000_000_000 + parts.attoseconds / 1_000_000_000
    }
}
