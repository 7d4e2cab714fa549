import ServiceLifecycle

/// How long-running loops (relays, consumers) wait after failures.
public enum Retry {
    /// Sleeps, but wakes at once when the service group begins its graceful shutdown.
    public static func pause(_ duration: Duration) async {
        try? await cancelWhenGracefulShutdown { try await Task.sleep(for: duration) }
    }

    /// How long to wait after `failures` failures in a row: 200 ms doubling, at most 5 s.
    public static func backoff(after failures: Int) -> Duration {
        .milliseconds(min(5000, 100 << min(failures, 6)))
    }
}
