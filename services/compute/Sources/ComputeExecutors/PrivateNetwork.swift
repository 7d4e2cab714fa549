import Glibc

/// Moves the calling thread into a new, empty network namespace with its loopback up. The
/// supervisor of a job with several workers does this before it starts them: every sandbox it
/// then starts (bwrap without `--unshare-net`) is in that one namespace, so the workers reach
/// each other on 127.0.0.1 and nothing else. The namespace lives exactly as long as the
/// supervisor and its sandboxes — no file, mount or helper process to clean up after a crash,
/// and an agent restart does not touch it (the supervisor is detached from the agent).
///
/// Namespaces are per thread: the supervisor starts its sandboxes from the thread that called
/// `enter()` (its main thread; it runs no other work).
enum PrivateNetwork {
    static let newNetworkFlag: Int32 = 0x4000_0000  // CLONE_NEWNET
    static let getFlagsRequest: UInt = 0x8913  // SIOCGIFFLAGS
    static let setFlagsRequest: UInt = 0x8914  // SIOCSIFFLAGS
    static let interfaceUp: Int16 = 0x1  // IFF_UP
    /// struct ifreq: a 16-byte name, then a union whose first member here is `short ifr_flags`.
    static let interfaceRequestSize = 40
    static let flagsOffset = 16

    static func enter() throws {
        // unshare and ioctl sit behind _GNU_SOURCE or are variadic, which Swift cannot call;
        // looked up as fixed-argument functions (the same registers on Linux' ABIs).
        typealias Unshare = @convention(c) (Int32) -> Int32
        guard let unshare: Unshare = lookUp("unshare") else {
            throw ExecutorError(.startFailed, "this C library has no unshare(2)")
        }
        guard unshare(newNetworkFlag) == 0 else {
            throw ExecutorError(.startFailed, "cannot make the workers' network namespace: \(SysFile.errnoText())")
        }
        try bringLoopbackUp()
    }

    /// A new namespace's `lo` is down; bwrap raises it only in namespaces it makes itself.
    private static func bringLoopbackUp() throws {
        typealias Ioctl = @convention(c) (Int32, UInt, UnsafeMutableRawPointer) -> Int32
        guard let ioctl: Ioctl = lookUp("ioctl") else {
            throw ExecutorError(.startFailed, "this C library has no ioctl(2)")
        }
        let socketFD = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard socketFD >= 0 else { throw ExecutorError(.startFailed, "socket: \(SysFile.errnoText())") }
        defer { close(socketFD) }
        var request = [UInt8](repeating: 0, count: interfaceRequestSize)
        request.replaceSubrange(0..<2, with: Array("lo".utf8))
        let raised = request.withUnsafeMutableBytes { bytes -> Bool in
            guard let base = bytes.baseAddress, ioctl(socketFD, getFlagsRequest, base) == 0 else { return false }
            let flags = base.load(fromByteOffset: flagsOffset, as: Int16.self) | interfaceUp
            base.storeBytes(of: flags, toByteOffset: flagsOffset, as: Int16.self)
            return ioctl(socketFD, setFlagsRequest, base) == 0
        }
        guard raised else {
            throw ExecutorError(.startFailed, "cannot bring up the workers' loopback: \(SysFile.errnoText())")
        }
    }

    private static func lookUp<Function>(_ name: String) -> Function? {
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, name) else { return nil }
        return unsafeBitCast(symbol, to: Function.self)
    }
}
