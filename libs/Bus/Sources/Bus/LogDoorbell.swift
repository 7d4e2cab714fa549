import Dispatch
import Foundation

/// Rings the other processes that share one SQLite log when a topic got events, so their
/// consumers fetch at once instead of at their next poll (Linux; elsewhere it stays silent and
/// consumers poll).
///
/// Each `SQLiteLogBus` binds a Unix datagram socket `<log>.wake/<pid>-<random>.sock`; after a
/// publish commits, the publisher sends the topic's name to every other socket in that
/// directory. A socket whose process is gone refuses the datagram (ECONNREFUSED) and the
/// publisher removes it. Sockets rather than inotify on a doorbell file: a datagram costs no
/// disk write, names the topic so only its consumers wake, and a dead process's socket is
/// noticed and cleaned by the first publish after it.
///
/// A ring can be lost (a full receive queue, a socket removed by hand): consumers still poll, at
/// long intervals, so it delays an event and never loses one. A receiver that finds a full
/// queue's worth of datagrams at once assumes some were dropped and wakes every topic.
final class LogDoorbell: @unchecked Sendable {
    let directory: String
    /// Kept open so that socket addresses can go through /proc/self/fd/<fd>/ when the full path
    /// is longer than `sun_path` (108 bytes) allows.
    private let directoryDescriptor: Int32
    private let sender: Int32
    /// This bus's own socket: skipped when ringing (its consumers are woken directly).
    let ownName: String?
    private let listener: (any DispatchSourceRead)?

    /// Datagrams a receiver takes at most before the sender gets EAGAIN (Linux's default).
    static let queueLength: Int = {
        let text = try? String(contentsOfFile: "/proc/sys/net/unix/max_dgram_qlen", encoding: .utf8)
        return text.flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 10
    }()

    /// Opens `<logPath>.wake/` and binds this process's socket there; `onRing` gets the topics
    /// rung since its last call, or nil when some may have been lost (wake everything).
    init(logPath: String, onRing: @escaping @Sendable (Set<String>?) -> Void) {
        let directory = logPath + ".wake"
        let descriptor =
            mkdir(directory, 0o777) == 0 || errno == EEXIST ? open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1
        let name = "\(getpid())-\(UInt64.random(in: 0...UInt64.max)).sock"
        let receiver = descriptor >= 0 ? Self.datagramSocket() : -1
        self.directory = directory
        self.directoryDescriptor = descriptor
        self.sender = descriptor >= 0 ? Self.datagramSocket() : -1
        guard receiver >= 0, Self.bound(receiver, to: Self.address(name, in: directory, descriptor)) else {
            // No wake-ups for this process: its consumers fall back to polling.
            if receiver >= 0 { close(receiver) }
            ownName = nil
            listener = nil
            return
        }
        ownName = name
        let source = DispatchSource.makeReadSource(
            fileDescriptor: receiver, queue: DispatchQueue(label: "mlex.bus.doorbell"))
        source.setEventHandler { Self.drain(receiver, onRing) }
        source.setCancelHandler { close(receiver) }
        source.resume()
        listener = source
    }

    deinit {
        // Unlinked first: a publisher meanwhile gets ENOENT (ignored), not a refusal.
        if let ownName { unlinkat(directoryDescriptor, ownName, 0) }
        listener?.cancel()
        if sender >= 0 { close(sender) }
        if directoryDescriptor >= 0 { close(directoryDescriptor) }
    }

    /// Tells every other process waiting on this log that `topic` has new events; removes the
    /// sockets of processes that are gone. Never blocks: a receiver whose queue is full already
    /// has wake-ups pending.
    func ring(_ topic: String) {
        guard sender >= 0, let entries = opendir(directory) else { return }
        defer { closedir(entries) }
        let message = Array(topic.utf8)
        while let entry = readdir(entries) {
            var copy = entry.pointee
            let name = withUnsafeBytes(of: &copy.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard name.hasSuffix(".sock"), name != ownName,
                var address = Self.address(name, in: directory, directoryDescriptor)
            else { continue }
            let sent = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(
                        sender, message, message.count, Int32(MSG_DONTWAIT) | Int32(MSG_NOSIGNAL), $0,
                        socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            if sent < 0, errno == ECONNREFUSED {
                // Bound by a process that has exited: nobody will read it again.
                unlinkat(directoryDescriptor, name, 0)
            }
        }
    }

    /// Reads every datagram waiting on `socket` and reports their topics.
    private static func drain(_ socket: Int32, _ onRing: @Sendable (Set<String>?) -> Void) {
        var topics = Set<String>()
        var count = 0
        var buffer = [UInt8](repeating: 0, count: 512)
        while true {
            let received = recv(socket, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if received < 0 {
                if errno == EINTR { continue }
                break
            }
            count += 1
            topics.insert(String(decoding: buffer[0..<received], as: UTF8.self))
        }
        guard count > 0 else { return }
        onRing(count >= queueLength ? nil : topics)
    }

    private static func datagramSocket() -> Int32 {
        socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
    }

    /// The socket's path, or the same file through the open directory when the path is too long.
    static func address(_ name: String, in directory: String, _ descriptor: Int32) -> sockaddr_un? {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        let full = directory + "/" + name
        let path = full.utf8.count < capacity ? full : "/proc/self/fd/\(descriptor)/\(name)"
        guard path.utf8.count < capacity else { return nil }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path.utf8) }
        return address
    }

    private static func bound(_ socket: Int32, to address: sockaddr_un?) -> Bool {
        guard var address else { return false }
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socket, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0
            }
        }
    }
}
