import Foundation
import Synchronization

/// Free TCP ports on 127.0.0.1, for servers a test or a benchmark starts beside itself.
///
/// A port is free when it is handed out, and the server binds it a moment later. A port from
/// the kernel's ephemeral range (`bind` to port 0) could meanwhile become the local end of any
/// outgoing connection — with hundreds of suites making HTTP calls in parallel, one did, and a
/// test's server failed with EADDRINUSE (CI, once). So ports come from below that range, where
/// the kernel never picks one on its own, and none is handed out twice by one process.
public enum LoopbackPort {
    /// Ports this process has handed out.
    private static let given = Mutex<Set<Int>>([])
    /// Where ports are drawn from: below the ephemeral range, at most 10000…32767.
    private static let range: ClosedRange<Int>? = {
        let text = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? ""
        let low = text.split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) } ?? 32768
        let upper = min(low - 1, 32767)
        return upper - 10000 >= 1000 ? 10000...upper : nil
    }()

    /// A port nothing listens on now, never given before by this process.
    public static func free() throws -> Int {
        guard let range else { return try kernelPort() }
        for _ in 0..<200 {
            let port = Int.random(in: range)
            let taken = given.withLock { given in given.contains(port) }
            guard !taken, bindable(port) else { continue }
            let first = given.withLock { given in given.insert(port).inserted }
            if first { return port }
        }
        return try kernelPort()
    }

    /// A port the kernel just handed out (bound, then released): where no range is left below
    /// the ephemeral one.
    private static func kernelPort() throws -> Int {
        var port = 0
        guard bind(&port) else { throw POSIXError(.EADDRINUSE) }
        return port
    }

    private static func bindable(_ port: Int) -> Bool {
        var wanted = port
        return bind(&wanted)
    }

    /// Binds a socket to 127.0.0.1:`port` (0: any) and closes it; `port` becomes the bound one.
    private static func bind(_ port: inout Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        if bound { port = Int(UInt16(bigEndian: address.sin_port)) }
        return bound
    }
}
