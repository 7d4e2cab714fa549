import Foundation
import MLExClient

/// The committed tree of a git work tree as a tar (`git archive HEAD`): what a job runs is
/// exactly a commit, never files that happen to lie around.
struct GitPackage {
    let root: URL
    let commit: String
    let repositoryName: String
    /// The tar in a temporary directory; remove it when done.
    let archive: URL

    /// Packages the work tree around `directory`. Refuses uncommitted changes to tracked files
    /// (naming them); untracked files are not in a commit and so not in the package.
    /// With `requireEntry`, the commit must hold that file at its root (DDL's `main.py`).
    static func make(from directory: URL, requireEntry: String?) throws -> GitPackage {
        guard
            let top = try? git(["rev-parse", "--show-toplevel"], in: directory).trimmingCharacters(
                in: .whitespacesAndNewlines), !top.isEmpty
        else {
            throw ClientError.usage(
                "\(directory.path) is not inside a git work tree: `mlex submit` packages a commit (git init, git add, git commit)"
            )
        }
        let root = URL(fileURLWithPath: top, isDirectory: true)
        guard
            let commit = try? git(["rev-parse", "--verify", "HEAD"], in: root).trimmingCharacters(
                in: .whitespacesAndNewlines)
        else {
            throw ClientError.usage("the repository at \(root.path) has no commit yet: commit your code first")
        }
        let changed = try git(["status", "--porcelain", "--untracked-files=no"], in: root)
            .split(separator: "\n").map { String($0.dropFirst(3)) }
        guard changed.isEmpty else {
            throw ClientError.usage(
                "uncommitted changes in \(changed.joined(separator: ", ")): commit or stash them, so the job runs exactly a commit"
            )
        }
        if let requireEntry {
            let listed = try git(["ls-tree", "--name-only", "HEAD", "--", requireEntry], in: root).trimmingCharacters(
                in: .whitespacesAndNewlines)
            guard listed == requireEntry else {
                throw ClientError.usage(
                    "commit \(commit.prefix(12)) has no \(requireEntry) at the repository root (DDL's contract: main(dataset_dir, model_output_dir) in \(requireEntry)), or give a command in the task file"
                )
            }
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "mlex-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let archive = directory.appendingPathComponent("\(commit).tar")
        _ = try git(["archive", "--format=tar", "--output", archive.path, "HEAD"], in: root)
        return GitPackage(root: root, commit: commit, repositoryName: root.lastPathComponent, archive: archive)
    }

    func remove() {
        try? FileManager.default.removeItem(at: archive.deletingLastPathComponent())
    }

    /// Runs git; its stdout, or an error with its stderr.
    @discardableResult
    static func git(_ arguments: [String], in directory: URL) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git"] + arguments
        process.currentDirectoryURL = directory
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        do {
            try process.run()
        } catch {
            throw ClientError.usage("cannot run git (\(error)); install git")
        }
        let text = output.fileHandleForReading.readDataToEndOfFile()
        let problems = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ClientError.usage(
                "git \(arguments.first ?? "") failed: \(String(decoding: problems, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))"
            )
        }
        return String(decoding: text, as: UTF8.self)
    }
}
