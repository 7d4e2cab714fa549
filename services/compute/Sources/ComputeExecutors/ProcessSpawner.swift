import Foundation
import Glibc

/// posix_spawn with the settings our children need: stdin from /dev/null, stdout and stderr
/// appended to a file (or each to a file of its own, emptied first), no inherited descriptors,
/// default signal handling, and optionally a new session (which also detaches from the parent's
/// process group and terminal). Jobs, their supervisors and executors' commands (Slurm's) start
/// through it.
public enum ProcessSpawner {
    // glibc's POSIX_SPAWN_SETSID (2.26+); Swift cannot see it because it sits behind _GNU_SOURCE.
    static let setsidFlag: Int32 = 0x80

    /// Starts `argv` (looked up on PATH); stdout goes to `outputPath` (appended), stderr too unless
    /// `errorPath` names a file of its own — then both files are emptied first (a command's
    /// answer, read once it ends).
    public static func spawn(
        _ argv: [String], environment: [String], outputPath: String, errorPath: String? = nil, newSession: Bool
    ) throws -> pid_t {
        try spawn(argv, environment: environment, newSession: newSession) { actions in
            if let errorPath {
                posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
                posix_spawn_file_actions_addopen(&actions, 2, errorPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            } else {
                posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_APPEND, 0o600)
                posix_spawn_file_actions_adddup2(&actions, 1, 2)
            }
        }
    }

    /// Starts `argv` with stdout and stderr both on `outputDescriptor` (a pipe the caller reads),
    /// which the child gets even though the caller's copy is close-on-exec.
    static func spawn(
        _ argv: [String], environment: [String], outputDescriptor: Int32, newSession: Bool
    ) throws -> pid_t {
        try spawn(argv, environment: environment, newSession: newSession) { actions in
            posix_spawn_file_actions_adddup2(&actions, outputDescriptor, 1)
            posix_spawn_file_actions_adddup2(&actions, outputDescriptor, 2)
        }
    }

    private static func spawn(
        _ argv: [String], environment: [String], newSession: Bool,
        output: (inout posix_spawn_file_actions_t) -> Void
    ) throws -> pid_t {
        precondition(!argv.isEmpty)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        output(&actions)
        closeInheritedDescriptors(&actions)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Signals the parent ignores (Swift servers ignore SIGPIPE) would stay ignored across
        // exec; the job must get ordinary defaults and an empty mask.
        var all = sigset_t()
        var none = sigset_t()
        sigfillset(&all)
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setsigmask(&attributes, &none)
        var flags = Int32(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)
        if newSession { flags |= setsidFlag }
        posix_spawnattr_setflags(&attributes, Int16(flags))

        var cArguments = argv.map { strdup($0) } + [nil]
        var cEnvironment = environment.map { strdup($0) } + [nil]
        defer {
            for argument in cArguments { free(argument) }
            for variable in cEnvironment { free(variable) }
        }
        var pid: pid_t = 0
        let code = posix_spawnp(&pid, argv[0], &actions, &attributes, &cArguments, &cEnvironment)
        guard code == 0 else {
            throw ExecutorError(.startFailed, "cannot start \(argv[0]): \(SysFile.errnoText(code))")
        }
        return pid
    }

    /// Nothing the parent has open may reach the child (a job must never inherit a socket or a
    /// file of the agent). closefrom is glibc 2.34+ and hidden behind _GNU_SOURCE, so look it up;
    /// otherwise close what /proc/self/fd lists now.
    private static func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
        typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        if let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "posix_spawn_file_actions_addclosefrom_np") {
            let addCloseFrom = unsafeBitCast(symbol, to: AddCloseFrom.self)
            if addCloseFrom(&actions, 3) == 0 { return }
        }
        let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for fd in descriptors.compactMap(Int32.init) where fd > 2 {
            posix_spawn_file_actions_addclose(&actions, fd)
        }
    }
}

/// A decoded waitpid status (the W* macros are not importable).
struct WaitStatus: Equatable {
    let raw: Int32

    var exitCode: Int32? { raw & 0x7f == 0 ? (raw >> 8) & 0xff : nil }
    var signal: Int32? {
        let signal = raw & 0x7f
        return signal != 0 && signal != 0x7f ? signal : nil
    }
}
