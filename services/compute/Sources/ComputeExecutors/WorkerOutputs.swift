import Foundation
import Glibc

/// The output of a job's workers, which the supervisor reads from one pipe per worker: each
/// worker's bytes go unchanged to `ranks/<rank>.log`, and its lines, labelled with its rank
/// (`RankLabeler`), to the job's log. (A one-worker job has none of this: its sandbox writes
/// the job's log itself.)
///
/// Only the supervisor's thread uses it. Reads never block, so a worker that writes nothing
/// cannot stall the others; a worker writing faster than the files take it waits on its pipe.
final class WorkerOutputs {
    private struct Stream {
        let rank: Int
        let readEnd: Int32
        /// The worker's end; the supervisor's copy is closed once the worker is started, so
        /// the pipe reaches end-of-file when the worker's last process is gone.
        var writeEnd: Int32
        let rawLog: Int32
        var labeler: RankLabeler
        var isOpen = true
    }

    static let chunkBytes = 64 * 1024
    /// Reads per pipe per `pump`, so one chatty worker cannot starve the supervisor's loop.
    static let chunksPerPump = 16

    private var streams: [Stream] = []
    private var combinedLog: Int32
    private var buffer = [UInt8](repeating: 0, count: chunkBytes)

    init(_ layout: JobLayout, workers: Int) throws {
        combinedLog = try Self.openForAppending(layout.log.path)
        do {
            try LocalExecutor.makeDirectory(layout.workerLogs.path, mode: 0o700)
            for rank in 0..<workers {
                let (readEnd, writeEnd) = try Self.makePipe()
                streams.append(
                    Stream(
                        rank: rank, readEnd: readEnd, writeEnd: writeEnd,
                        rawLog: try Self.openForAppending(layout.workerLog(rank).path), labeler: RankLabeler(rank: rank)
                    ))
            }
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    /// Where worker `rank`'s stdout and stderr go.
    func writeEnd(of rank: Int) -> Int32 { streams[rank].writeEnd }

    /// After the workers started: only they may hold the pipes' write ends.
    func closeWriteEnds() {
        for index in streams.indices where streams[index].writeEnd >= 0 {
            Glibc.close(streams[index].writeEnd)
            streams[index].writeEnd = -1
        }
    }

    /// Read ends still open, to wake up for.
    var openDescriptors: [Int32] { streams.filter(\.isOpen).map(\.readEnd) }

    /// Copies whatever the workers have written so far.
    func pump() {
        for index in streams.indices where streams[index].isOpen {
            var reads = 1
            while read(index), reads < Self.chunksPerPump { reads += 1 }
        }
    }

    /// Copies the rest until every pipe is at end-of-file (the workers are dead, so soon) or
    /// `timeout` passed, then ends each worker's unfinished last line.
    func finish(within timeout: Duration) {
        closeWriteEnds()
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while !openDescriptors.isEmpty, ContinuousClock.now < deadline {
            var entries = openDescriptors.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            _ = poll(&entries, nfds_t(entries.count), 20)
            pump()
        }
        for index in streams.indices where streams[index].isOpen { endOfOutput(index) }
    }

    /// One read from worker `index`'s pipe; true if there may be more right away.
    private func read(_ index: Int) -> Bool {
        let count = buffer.withUnsafeMutableBytes { Glibc.read(streams[index].readEnd, $0.baseAddress, $0.count) }
        if count < 0 {
            if errno == EINTR { return true }
            if errno == EAGAIN || errno == EWOULDBLOCK { return false }
        }
        guard count > 0 else {
            endOfOutput(index)
            return false
        }
        let bytes = buffer[0..<count]
        Self.writeAll(bytes, to: streams[index].rawLog)
        Self.writeAll(streams[index].labeler.lines(completedBy: bytes)[...], to: combinedLog)
        return count == buffer.count
    }

    private func endOfOutput(_ index: Int) {
        Self.writeAll(streams[index].labeler.finish()[...], to: combinedLog)
        Glibc.close(streams[index].readEnd)
        streams[index].isOpen = false
    }

    private func close() {
        closeWriteEnds()
        for index in streams.indices {
            if streams[index].isOpen { Glibc.close(streams[index].readEnd) }
            streams[index].isOpen = false
            Glibc.close(streams[index].rawLog)
        }
        streams.removeAll()
        if combinedLog >= 0 { Glibc.close(combinedLog) }
        combinedLog = -1
    }

    /// A pipe whose ends this process does not pass on (ProcessSpawner dup2s the write end to
    /// a worker's stdout and stderr) and whose read end never blocks. Only the read end: the
    /// write end's flags would be the worker's too.
    private static func makePipe() throws -> (readEnd: Int32, writeEnd: Int32) {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { throw ExecutorError(.startFailed, "pipe: \(SysFile.errnoText())") }
        _ = fcntl(ends[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(ends[1], F_SETFD, FD_CLOEXEC)
        _ = fcntl(ends[0], F_SETFL, fcntl(ends[0], F_GETFL) | O_NONBLOCK)
        return (ends[0], ends[1])
    }

    private static func openForAppending(_ path: String) throws -> Int32 {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ExecutorError(.io, "open \(path): \(SysFile.errnoText())") }
        return fd
    }

    /// One write(2) for what fits (whole lines stay together for readers of the log), more
    /// only if the kernel took part of it. A failed write loses that output, not the job.
    private static func writeAll(_ bytes: ArraySlice<UInt8>, to fd: Int32) {
        var rest = bytes
        while !rest.isEmpty {
            let written = rest.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }
            rest = rest.dropFirst(written)
        }
    }
}
