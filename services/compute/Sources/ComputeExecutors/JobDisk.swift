import Foundation
import Glibc

/// A job's writable space as one filesystem of its own: a sparse image of `diskMB` in the job
/// directory (`disk.img`), formatted ext4 and loop-mounted at `disk/`, which holds the job's
/// `work/` (/job), `output/` (/output) and `tmp/` (/tmp). The kernel refuses writes past its size
/// (ENOSPC), so /job, /output and /tmp together cost at most `diskMB` of the host's disk, and
/// /tmp costs disk, not memory.
///
/// The image is sparse, so it takes only what the job writes (plus ~4 MB of ext4's own for a
/// 10 GB disk), and mounted with `discard`, so what the job deletes goes back to the host.
/// Making one takes 50-100 ms (mkfs ~40-60 ms, mount ~10-40 ms), whatever its size. The mount outlives the
/// job: the agent uploads the outputs from it after the end; `remove` unmounts it and deletes
/// the image with the job directory.
package struct JobDisk: Sendable {
    package let layout: JobLayout

    package init(_ layout: JobLayout) {
        self.layout = layout
    }

    /// Smallest and largest disk a job may have, in MiB (ext4 needs a few MB of its own).
    package static let sizeBounds = 16...(16 << 20)

    /// Makes, formats and mounts the job's disk and its work/, output/ (owned by the job's user)
    /// and tmp/ (everyone's, sticky, like any /tmp). A disk left by an earlier `prepare` of the
    /// same job is replaced. Throws `.diskUnavailable`, leaving nothing mounted, when the
    /// kernel or the tools cannot make one: the job must not run without its limit.
    package static func create(_ layout: JobLayout, sizeMB: Int, uid: UInt32, gid: UInt32) throws {
        guard sizeBounds.contains(sizeMB) else {
            throw ExecutorError(
                .invalidJob, "diskMB must be \(sizeBounds.lowerBound) to \(sizeBounds.upperBound), got \(sizeMB)")
        }
        let disk = JobDisk(layout)
        try disk.remove()
        do {
            let tools = try DiskTools.locate()
            guard
                FileManager.default.createFile(
                    atPath: layout.diskImage.path, contents: nil, attributes: [.posixPermissions: 0o600]),
                truncate(layout.diskImage.path, off_t(sizeMB) << 20) == 0
            else {
                throw ExecutorError(
                    .diskUnavailable,
                    "cannot make a \(sizeMB) MB image at \(layout.diskImage.path): \(SysFile.errnoText())")
            }
            // No journal (a job's scratch space need not survive a crash), no blocks reserved
            // for root (jobs never are), no discard pass over a file that is all holes.
            try run([
                tools.mkfs, "-q", "-F", "-m", "0", "-O", "^has_journal", "-E", "nodiscard", "-L", "mlex-job",
                layout.diskImage.path,
            ])
            try LocalExecutor.makeDirectory(layout.disk.path, mode: 0o755)
            try disk.mount(tools)
            for directory in [layout.work, layout.output] {
                try LocalExecutor.makeDirectory(directory.path, mode: 0o755)
                guard chown(directory.path, uid, gid) == 0 else {
                    throw ExecutorError(.io, "chown \(directory.path): \(SysFile.errnoText())")
                }
            }
            try LocalExecutor.makeDirectory(layout.tmp.path, mode: 0o1777)
        } catch {
            try? disk.remove()
            throw error
        }
    }

    /// Whether `disk/` is a mount point (its device differs from the job directory's).
    package var isMounted: Bool {
        var own = stat()
        var parent = stat()
        guard stat(layout.disk.path, &own) == 0, stat(layout.directory.path, &parent) == 0 else { return false }
        return own.st_dev != parent.st_dev
    }

    /// Throws unless the job's disk is mounted and has `sizeMB`: checked before a job starts,
    /// because a job whose directories are plain host directories would write without limit.
    package func requireMounted(sizeMB: Int) throws {
        guard isMounted,
            let size = try? FileManager.default.attributesOfItem(atPath: layout.diskImage.path)[.size] as? Int
        else {
            throw ExecutorError(
                .diskUnavailable,
                "job \(layout.jobId) has no disk of its own mounted at \(layout.disk.path); it would write to the host's disk without limit"
            )
        }
        guard size == sizeMB << 20 else {
            throw ExecutorError(
                .invalidJob,
                "job \(layout.jobId) was prepared with a disk of \(size >> 20) MB, but its limits say \(sizeMB) MB")
        }
    }

    /// Mounts the image again where it exists but is not mounted (the host restarted while the
    /// job's outputs were not collected yet); nothing otherwise.
    package func mountIfNeeded() throws {
        guard !isMounted, FileManager.default.fileExists(atPath: layout.diskImage.path),
            FileManager.default.fileExists(atPath: layout.disk.path)
        else { return }
        try mount(try DiskTools.locate())
    }

    /// `discard` gives what the job deletes back to the host (the loop device punches holes);
    /// `noinit_itable` keeps the kernel from zeroing the inode tables in the background, which
    /// would write ~16 MB per GB into the sparse image that no job asked for.
    private func mount(_ tools: DiskTools) throws {
        try Self.run([
            tools.mount, "-t", "ext4", "-o", "loop,nosuid,nodev,noatime,discard,noinit_itable", layout.diskImage.path,
            layout.disk.path,
        ])
        guard isMounted else {
            throw ExecutorError(
                .diskUnavailable, "\(layout.disk.path) is not a mount point after mounting the job's disk")
        }
    }

    /// True when the job has used up its disk: less than 1% of it (at most 4 MiB) is left for
    /// the job, or no inode is. How a job that failed ends up `disk_limit`.
    package var isFull: Bool {
        guard isMounted else { return false }
        var info = statvfs()
        guard statvfs(layout.disk.path, &info) == 0 else { return false }
        let size = Double(info.f_blocks) * Double(info.f_frsize)
        let available = Double(info.f_bavail) * Double(info.f_frsize)
        return available < min(size / 100, 4 * 1024 * 1024) || (info.f_files > 0 && info.f_favail == 0)
    }

    /// Unmounts the disk and deletes its image and mount point; nothing to do when there is
    /// none. A mount that is still busy (a process of the job not reaped yet) is detached
    /// lazily: it leaves the directory tree now and the kernel frees it, image and all, once
    /// released.
    package func remove() throws {
        if isMounted, umount(layout.disk.path) != 0 {
            let code = errno
            guard code == EBUSY, umount2(layout.disk.path, Self.detach) == 0 else {
                throw ExecutorError(.diskUnavailable, "cannot unmount \(layout.disk.path): \(SysFile.errnoText(code))")
            }
        }
        // Never delete through a mount: that would be the job's files, not the mount point.
        guard !isMounted else { throw ExecutorError(.diskUnavailable, "\(layout.disk.path) is still mounted") }
        for leftover in [layout.disk, layout.diskImage] where FileManager.default.fileExists(atPath: leftover.path) {
            do {
                try FileManager.default.removeItem(at: leftover)
            } catch {
                throw ExecutorError(.io, "cannot remove \(leftover.path): \(error)")
            }
        }
    }

    /// umount2's MNT_DETACH, which Swift does not import.
    private static let detach: Int32 = 2

    /// Proves this machine can give jobs disks (loop devices, ext4, the tools, the right to
    /// mount) by making, mounting and removing a small one under `root`. Executors run it at
    /// start, so a node that cannot limit disks refuses to start instead of failing every job.
    package static func probe(in root: URL) throws {
        // A name no job id can have, so no listing of jobs ever shows it; one left by an agent
        // that died while probing goes now.
        let prefix = ".disk-probe-"
        for stale in (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        where stale.hasPrefix(prefix) {
            let layout = JobLayout(directory: root.appendingPathComponent(stale, isDirectory: true))
            if (try? JobDisk(layout).remove()) != nil { try? FileManager.default.removeItem(at: layout.directory) }
        }
        let layout = JobLayout(directory: root.appendingPathComponent(prefix + UUID().uuidString, isDirectory: true))
        try LocalExecutor.makeDirectory(layout.directory.path, mode: 0o700)
        defer {
            try? JobDisk(layout).remove()
            try? FileManager.default.removeItem(at: layout.directory)
        }
        do {
            try create(layout, sizeMB: sizeBounds.lowerBound, uid: 65534, gid: 65534)
        } catch let error as ExecutorError {
            throw ExecutorError(
                .diskUnavailable,
                "jobs get a disk of their own (a loop-mounted ext4 image) and this machine cannot make one: \(error.message)"
            )
        }
    }

    private static func run(_ arguments: [String]) throws {
        let completion: ProcessSpawner.Completion
        do {
            completion = try ProcessSpawner.run(arguments, environment: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"])
        } catch {
            throw ExecutorError(.diskUnavailable, "cannot start \(arguments[0]): \(error)")
        }
        guard completion.status == 0 else {
            let text = String((completion.errors + completion.output).suffix(1_000))
                .trimmingCharacters(in: .whitespacesAndNewlines)
            throw ExecutorError(
                .diskUnavailable,
                "\((arguments[0] as NSString).lastPathComponent) failed with status \(completion.status): \(text)"
            )
        }
    }
}

/// Absolute paths of the programs that make a job's disk (e2fsprogs, util-linux).
struct DiskTools {
    let mkfs: String
    let mount: String

    static let searchDirectories = ["/usr/sbin", "/sbin", "/usr/bin", "/bin", "/usr/local/sbin", "/usr/local/bin"]

    static func locate() throws -> DiskTools {
        func find(_ name: String, package: String) throws -> String {
            for directory in searchDirectories where access(directory + "/" + name, X_OK) == 0 {
                return directory + "/" + name
            }
            throw ExecutorError(
                .diskUnavailable,
                "\(name) not found in \(searchDirectories.joined(separator: ", ")) (install \(package))")
        }
        return try DiskTools(mkfs: find("mkfs.ext4", package: "e2fsprogs"), mount: find("mount", package: "util-linux"))
    }
}
