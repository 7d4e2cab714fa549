import ComputeExecutors
import ComputeWire
import DataClient
import Foundation
import Platform

#if canImport(Glibc)
    import Glibc
#endif

/// Fetches what a job reads before it starts: its code package, unpacked into the work dir as
/// the job's own user (so a hostile archive can write nowhere else), and its dataset versions,
/// downloaded once per node into a cache (versions are immutable) and mounted read-only.
struct JobInputs: Sendable {
    let data: DataClient
    let stateDirectory: URL
    let uid: UInt32
    let gid: UInt32

    struct SetupError: Error, CustomStringConvertible {
        let description: String
    }

    /// Unpacks the code package (tar, optionally gzip) into `work`.
    func unpackCode(_ assignment: Assignment, into work: URL) async throws {
        guard let package = assignment.codePackage else { return }
        let downloads = stateDirectory.appendingPathComponent("downloads", isDirectory: true)
        try FileManager.default.createDirectory(at: downloads, withIntermediateDirectories: true)
        let archive = downloads.appendingPathComponent("\(assignment.jobId).pkg")
        defer { try? FileManager.default.removeItem(at: archive) }
        do {
            try await data.download(.project(assignment.projectId), path: package, to: archive)
        } catch let error as PeerError {
            throw SetupError(description: "cannot fetch the code package \(package): \(error.message)")
        }
        // tar runs as the job's user in a staging dir of its own (its working directory, entered
        // before privileges drop, so the job directory above needs no opening); the entries are
        // then renamed into the work dir (a rename moves a symlink, never follows it). The
        // staging dir is on the job's disk: the unpacked code counts against its diskMB, and
        // a rename cannot cross filesystems.
        let staging = work.appendingPathComponent(".mlex-unpack", isDirectory: true)
        try? FileManager.default.removeItem(at: staging)
        try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(at: staging) }
        guard chown(staging.path, uid, gid) == 0 else {
            throw SetupError(description: "cannot prepare a directory for the code package (errno \(errno))")
        }
        let input = try FileHandle(forReadingFrom: archive)
        defer { try? input.close() }
        let (status, output) = try await Self.run(
            [
                "/usr/bin/setpriv", "--reuid", String(uid), "--regid", String(gid), "--clear-groups", "--",
                "/bin/tar", "--extract", "--no-same-owner", "--no-same-permissions", "--file", "-",
            ],
            stdin: input, directory: staging
        )
        guard status == 0 else {
            throw SetupError(
                description:
                    "tar cannot unpack the code package \(package) (a tar archive, optionally gzipped, that fits the job's disk): \(output.suffix(500))"
            )
        }
        for entry in try FileManager.default.contentsOfDirectory(atPath: staging.path) {
            guard rename(staging.appendingPathComponent(entry).path, work.appendingPathComponent(entry).path) == 0
            else {
                throw SetupError(
                    description: "cannot move \(entry) of the code package into the job's directory (errno \(errno))")
            }
        }
    }

    /// The host directories of the job's dataset versions, downloaded if not cached, with where
    /// each is mounted: /data for one input, /data/<versionId> for several.
    func datasets(_ assignment: Assignment) async throws -> [ReadOnlyMount] {
        var mounts: [ReadOnlyMount] = []
        for version in assignment.inputs {
            let directory = try await cached(version)
            mounts.append(
                ReadOnlyMount(
                    hostPath: directory.path, sandboxPath: assignment.inputs.count == 1 ? "/data" : "/data/\(version)"))
        }
        return mounts
    }

    private func cached(_ version: String) async throws -> URL {
        let root = stateDirectory.appendingPathComponent("datasets", isDirectory: true)
        let directory = root.appendingPathComponent(version, isDirectory: true)
        let complete = root.appendingPathComponent("\(version).complete")
        if FileManager.default.fileExists(atPath: complete.path) { return directory }
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        do {
            for file in try await data.files(of: .datasetVersion(version)) {
                guard let path = file["path"]?.stringValue else { continue }
                let target = directory.appendingPathComponent(path)
                let written = try await data.peer.download(
                    "/v1/dataset-versions/\(version)/files/\(PeerClient.escape(path: path))", to: target)
                guard written == file["size"]?.intValue ?? written else {
                    throw SetupError(description: "dataset version \(version): \(path) came short (\(written) bytes)")
                }
            }
        } catch let error as PeerError {
            throw SetupError(description: "cannot fetch dataset version \(version): \(error.message)")
        }
        // Without the marker the version is only fetched again next time.
        _ = FileManager.default.createFile(atPath: complete.path, contents: nil)
        return directory
    }

    /// Runs a program to its end; its exit status and combined output.
    static func run(
        _ arguments: [String], stdin: FileHandle? = nil, directory: URL? = nil
    ) async throws -> (Int32, String) {
        let process = Process()
        process.currentDirectoryURL = directory
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        if let stdin { process.standardInput = stdin }
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}
