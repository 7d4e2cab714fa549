import Glibc

/// Sleeps until a child exits or a timeout passes, whichever is first, so the supervisor
/// notices the end at once yet still wakes regularly to check cancel and timeout. Uses a pidfd
/// (Linux 5.3+, glibc 2.36+; looked up because Swift cannot see <sys/pidfd.h>) and falls back
/// to plain sleeping where there is none.
struct ChildExitWatch: ~Copyable {
    private let pidfd: Int32

    init(_ pid: pid_t) {
        typealias PidfdOpen = @convention(c) (pid_t, UInt32) -> Int32
        if let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "pidfd_open") {
            pidfd = unsafeBitCast(symbol, to: PidfdOpen.self)(pid, 0)
        } else {
            pidfd = -1
        }
    }

    deinit {
        if pidfd >= 0 { close(pidfd) }
    }

    func pause(milliseconds: Int32) {
        guard pidfd >= 0 else {
            usleep(useconds_t(milliseconds) * 1_000)
            return
        }
        var entry = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
        _ = poll(&entry, 1, milliseconds)
    }
}
