import Glibc

/// Sleeps until one of the watched children exits, one of the given descriptors has something
/// to read, or a timeout passes, whichever is first, so the supervisor notices an end (or a
/// worker's output) at once yet still wakes regularly to check cancel and timeout. Uses pidfds
/// (Linux 5.3+, glibc 2.36+; looked up because Swift cannot see <sys/pidfd.h>) and falls back
/// to waking on the timeout alone for the children where there are none.
struct ChildExitWatch: ~Copyable {
    /// pid → its pidfd, or -1.
    private let pidfds: [pid_t: Int32]

    init(_ pids: [pid_t]) {
        typealias PidfdOpen = @convention(c) (pid_t, UInt32) -> Int32
        var pidfds: [pid_t: Int32] = [:]
        let open: PidfdOpen? = dlopen(nil, RTLD_NOW).flatMap { dlsym($0, "pidfd_open") }.map {
            unsafeBitCast($0, to: PidfdOpen.self)
        }
        for pid in pids { pidfds[pid] = open?(pid, 0) ?? -1 }
        self.pidfds = pidfds
    }

    deinit {
        for pidfd in pidfds.values where pidfd >= 0 { close(pidfd) }
    }

    /// `ended` children are left out: a reaped child's pidfd stays readable for good.
    func pause(milliseconds: Int32, ignoring ended: Set<pid_t> = [], orUntilReadable descriptors: [Int32] = []) {
        let watched = pidfds.filter { !ended.contains($0.key) && $0.value >= 0 }.map(\.value) + descriptors
        guard !watched.isEmpty else {
            usleep(useconds_t(milliseconds) * 1_000)
            return
        }
        var entries = watched.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        _ = poll(&entries, nfds_t(entries.count), milliseconds)
    }
}
