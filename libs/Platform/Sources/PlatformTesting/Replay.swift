import Foundation
import SQLite

/// "Replaying every topic from offset 0 changes nothing", as tests check it for a service on
/// the embedded bus: stop its process, forget where its consumer groups are and which events
/// its store marked processed (so its handlers really run again), start it again, and wait
/// until it has caught up.
public enum Replay {
    /// Stops the process (SIGTERM) and waits for it to exit.
    public static func stop(_ pid: pid_t) {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }

    /// Forgets the commits of every group named `<prefix>…` on the bus file, and the processed
    /// marks in the service's SQLite store.
    public static func forget(groupsPrefix prefix: String, bus: URL, store: URL) throws {
        let connection = try SQLiteConnection(path: bus.path)  // kept: its statements refer to it
        try connection.prepare("DELETE FROM commits WHERE consumer_group LIKE ? || '%'").run([.text(prefix)])
        try SQLiteConnection(path: store.path).execute("DELETE FROM c_processed_events")
    }

    /// Waits until, for each `topic: group`, the group has committed the end of the topic
    /// (topics without events yet count as caught up).
    public static func waitUntilCaughtUp(bus: URL, groups: [String: String]) async throws {
        try await withRetries(300) {
            let connection = try SQLiteConnection(path: bus.path)
            for (topic, group) in groups {
                let end =
                    try connection.query("SELECT last_offset FROM topics WHERE topic = ?", [.text(topic)]).first?.first?
                    .integer ?? 0
                let committed =
                    try connection.query(
                        "SELECT offset FROM commits WHERE consumer_group = ? AND topic = ?",
                        [.text(group), .text(topic)]
                    ).first?.first?.integer ?? 0
                guard committed >= end else { throw POSIXError(.EAGAIN) }
            }
        }
    }
}
