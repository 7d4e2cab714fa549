import Foundation
import Glibc

/// Whether a supervisor is still alive. A pid alone is not enough: a zombie still "exists" for
/// kill(pid, 0), and after a reboot or pid wrap the number may belong to someone else, so we
/// also want a live state and the job directory on its command line.
enum ProcessProbe {
    static func isRunning(_ pid: pid_t, commandLineContains marker: String) -> Bool {
        guard pid > 0, let stat = SysFile.read("/proc/\(pid)/stat"),
            let close = stat.lastIndex(of: ")")
        else { return false }
        // "pid (comm) S …": the state follows the last ')' since comm may contain anything.
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
        guard state != "Z", state != "X", let commandLine = SysFile.read("/proc/\(pid)/cmdline") else { return false }
        return commandLine.split(separator: "\0").contains { $0 == marker }
    }

    /// Whether `pid` has ended: no such process, or a zombie or dying one.
    static func hasExited(_ pid: pid_t) -> Bool {
        guard let stat = SysFile.read("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") else { return true }
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
        return state == "Z" || state == "X"
    }

    /// Reaps a child we spawned, on a plain thread because waitpid blocks; otherwise a finished
    /// supervisor would linger as our zombie for as long as the agent runs.
    static func reapInBackground(_ pid: pid_t) {
        Thread.detachNewThread {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        }
    }
}
