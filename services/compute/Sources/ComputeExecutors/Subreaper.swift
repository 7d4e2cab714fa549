import Glibc

/// Makes this process the reaper of its orphaned descendants. bwrap's monitor can exit before
/// the namespace's init is reaped; without this the orphan goes to PID 1, which in containers
/// often never reaps, and every job would leave a zombie behind.
enum Subreaper {
    static func become() {
        // prctl is variadic, which Swift cannot call; its integer arguments pass the same way
        // as a fixed five-argument function's on Linux' ABIs.
        typealias Prctl = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32
        let setChildSubreaper: Int32 = 36  // PR_SET_CHILD_SUBREAPER
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "prctl") else { return }
        _ = unsafeBitCast(symbol, to: Prctl.self)(setChildSubreaper, 1, 0, 0, 0)
    }

    /// Reaps every child that has ended; returns each one's pid and status, in the order reaped.
    static func reapEnded() -> [(pid: pid_t, status: WaitStatus)] {
        var ended: [(pid: pid_t, status: WaitStatus)] = []
        var raw: Int32 = 0
        while true {
            let reaped = waitpid(-1, &raw, WNOHANG)
            if reaped > 0 { ended.append((reaped, WaitStatus(raw: raw))) }
            if reaped > 0 || (reaped == -1 && errno == EINTR) { continue }
            return ended
        }
    }
}
