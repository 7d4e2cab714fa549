import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// GNU tar as ingest runs it: a listing checked line by line as tar prints it, then, when that
/// passed, the extraction. Blocking: callers run it off Swift's cooperative pool.
enum TarCommand {
    static let executable = URL(fileURLWithPath: "/usr/bin/tar")
    /// The longest listing line accepted: two names of 4 KiB (PATH_MAX) with every byte
    /// escaped (4×) fit with room to spare; a longer one refuses the package rather than
    /// growing a buffer without bound.
    static let maxLineBytes = 64 * 1024

    /// The service's environment with `LC_ALL=C`, so non-ASCII bytes of names are quoted byte by
    /// byte (`\303\274`) and decoded exactly, and without `TAR_OPTIONS`, which could change what
    /// tar prints and so what the listing check reads.
    static var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["LC_ALL"] = "C"
        environment["TAR_OPTIONS"] = nil
        return environment
    }

    /// Lists `file` (tar detects gzip and friends itself) and checks each member as it comes:
    /// only regular files and directories, relative and without `..`; at most `maxEntries`
    /// members and `maxUnpackedBytes` bytes in all; a root `model.json` within its limit. tar is
    /// killed the moment a limit is passed, so a bomb costs no more than reading that far.
    /// Empty when the package may be extracted.
    static func list(_ file: URL, limits: UnpackLimits) -> Reasons {
        let process = Process()
        process.executableURL = executable
        process.arguments = ["-t", "-v", "--numeric-owner", "--quoting-style=c", "-f", file.path]
        process.environment = environment
        let output = Pipe()
        let errors = Pipe()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = errors
        do {
            try process.run()
        } catch {
            return [Reason(field: nil, file: nil, message: "cannot list the package: \(error)")]
        }
        let messages = PipeDrain(errors.fileHandleForReading)
        let reader = output.fileHandleForReading
        var check = ListingCheck(limits: limits)
        var pending: [UInt8] = []
        reading: while check.stop == nil {
            guard let chunk = try? reader.read(upToCount: 64 * 1024), !chunk.isEmpty else { break }
            pending.append(contentsOf: chunk)
            var start = pending.startIndex
            while let newline = pending[start...].firstIndex(of: 0x0A) {
                check.read(pending[start..<newline])
                start = newline + 1
                if check.stop != nil { break reading }
            }
            pending.removeFirst(start)
            if pending.count > maxLineBytes { check.unreadable(pending.prefix(200)) }
        }
        if check.stop == nil, !pending.isEmpty { check.read(pending[...]) }
        if let stop = check.stop {
            kill(process.processIdentifier, SIGKILL)
            try? reader.close()
            process.waitUntilExit()
            var reasons: Reasons = [stop]
            reasons.append(contentsOf: check.reasons)
            return reasons
        }
        process.waitUntilExit()
        var reasons = check.reasons
        if process.terminationStatus != 0 {
            reasons.append(
                Reason(
                    field: nil, file: nil,
                    message: "the package is not a tar or tar.gz archive tar can read: \(messages.text())"))
        }
        return reasons
    }

    /// Extracts `file` into `directory` as the service's user, modes masked by its umask; nil,
    /// or tar's complaint when it failed.
    static func extract(_ file: URL, into directory: URL) throws -> String? {
        let process = Process()
        process.executableURL = executable
        process.arguments = ["-x", "--no-same-owner", "--no-same-permissions", "-f", file.path, "-C", directory.path]
        process.environment = environment
        let errors = Pipe()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        let messages = PipeDrain(errors.fileHandleForReading)
        process.waitUntilExit()
        return process.terminationStatus == 0 ? nil : messages.text()
    }
}

/// The running tally of a listing: members so far, their bytes, refused members, and the reason
/// to stop reading (a limit passed, or a line that is not tar's listing).
struct ListingCheck {
    let limits: UnpackLimits
    private(set) var entries = 0
    private(set) var unpackedBytes: Int64 = 0
    private(set) var reasons = Reasons()
    private(set) var stop: Reason?

    init(limits: UnpackLimits) {
        self.limits = limits
    }

    mutating func read(_ line: ArraySlice<UInt8>) {
        guard stop == nil else { return }
        entries += 1
        guard entries <= limits.maxEntries else {
            stop = Reason(
                field: nil, file: nil,
                message:
                    "the package has more than \(limits.maxEntries) entries (files and directories), the most one may hold (mlex.ingest.maxEntries); nothing of it was unpacked"
            )
            return
        }
        guard let member = TarListingLine(line) else { return unreadable(line.prefix(200)) }
        if let refusal = member.refusal {
            reasons.append(Reason(field: nil, file: member.shownName, message: refusal))
            return
        }
        guard let size = member.size, size >= 0 else { return unreadable(line.prefix(200)) }
        guard size <= limits.maxUnpackedBytes - unpackedBytes else {
            stop = Reason(
                field: nil, file: member.shownName,
                message:
                    "the package unpacks to more than \(limits.maxUnpackedBytes) bytes, the most one may (\(limits.unpackedSetting)), by this file of \(size) bytes; nothing of it was unpacked"
            )
            return
        }
        unpackedBytes += size
        if let cardLimit = limits.maxModelCardBytes, member.kind == .file, member.path == ModelCard.fileName,
            size > cardLimit
        {
            reasons.append(ModelCard.tooLarge(size, limit: cardLimit))
        }
    }

    mutating func unreadable(_ line: ArraySlice<UInt8>) {
        stop = Reason(
            field: nil, file: nil,
            message:
                "tar listed a member this service cannot read, so the package is refused: \(String(decoding: line, as: UTF8.self))"
        )
    }
}

/// Reads what a child writes to a pipe on a thread of its own, keeping the first `keep` bytes:
/// a chatty tar can neither block on a full pipe nor fill our memory.
final class PipeDrain: Sendable {
    private let kept = Mutex(Data())
    private let finished = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle, keep: Int = 4096) {
        DispatchQueue.global(qos: .utility).async { [self] in
            while let chunk = try? handle.read(upToCount: 64 * 1024), !chunk.isEmpty {
                kept.withLock { text in
                    if text.count < keep { text.append(chunk.prefix(keep - text.count)) }
                }
            }
            try? handle.close()
            finished.signal()
        }
    }

    /// What was kept, once the child closed the pipe (it exited).
    func text() -> String {
        finished.wait()
        return kept.withLock { String(decoding: $0, as: UTF8.self) }.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
