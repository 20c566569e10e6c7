import Foundation
import GitKit
import TollgateCore

/// A job's workspace: the repository with its working tree, and the engine's private files in the git directory
/// (briefs, run results, logs, the lock), which never enter a commit.
public final class Workspace {
    public let root: URL
    let repository: Repository

    init(root: URL, repository: Repository) {
        self.root = root
        self.repository = repository
    }

    /// Opens the workspace at `path`; throws ``EngineError/notAJob(path:)`` when it is not a job.
    static func open(at root: URL) throws -> Workspace {
        guard Repository.isRepository(at: root) else { throw EngineError.notAJob(path: root.path) }
        let repository = try Repository.open(at: root)
        guard StateStore.exists(in: repository) else {
            throw EngineError.notAJob(path: root.path)
        }
        try repository.packNewObjects()
        // A run commits once a phase: after the first, only what the kernel saw change is examined.
        repository.watchWorkingTree()
        return Workspace(root: root, repository: repository)
    }

    /// `<git dir>/tollgate`, created on demand.
    var privateDirectory: URL { repository.gitDirectory.appendingPathComponent("tollgate", isDirectory: true) }

    var lockFile: URL { repository.gitDirectory.appendingPathComponent("tollgate.lock") }

    /// The running agent's process group and start time (`<git dir>/tollgate/agent-group`), there while it runs.
    var agentGroupRecord: URL { file("agent-group") }
    /// When the open review was asked for (milliseconds since 1970), for `review.wait_ms`.
    var reviewRequestedRecord: URL { file("review-requested") }

    /// The folders the engine writes into the working tree, committed whatever `.gitignore` says.
    static let engineFolders = ["archive", "critique", "verify"]

    func runResult(_ run: Int) -> URL { file("runs/run-\(run).json") }
    /// The references as they were before the latest run's agent started (``ReferenceSnapshot``), rewritten in place.
    var referenceSnapshot: URL { file("refs.json") }
    /// Where tollgate 0.4 kept run `run`'s snapshot, read when a job it left mid-run goes on.
    func legacyReferenceSnapshot(_ run: Int) -> URL { file("runs/run-\(run).refs.json") }
    /// The running agent's outcome file (`TOLLGATE_OUTCOME`), one for every run: emptied in place before each
    /// agent starts, so an agent's `> "$TOLLGATE_OUTCOME"` rewrites it instead of creating a file.
    var outcome: URL { file("outcome.json") }
    /// The running agent's brief (`TOLLGATE_BRIEF`), one for every run, rewritten in place before each agent starts.
    var brief: URL { file("brief.md") }
    func feedback(_ run: Int) -> URL { file("briefs/run-\(run).feedback.json") }
    func log(_ run: Int) -> URL { file(Self.logName(run)) }
    /// Where run `run`'s log is, relative to ``privateDirectory``.
    static func logName(_ run: Int) -> String { "logs/run-\(run).log" }
    func critiqueState(phase: PhaseRef, revision: Int) -> URL {
        file("critique/phase-\(phase.number)-\(phase.type.rawValue)-\(phase.attempt)/rev-\(revision)/.keep")
            .deletingLastPathComponent()
    }

    // MARK: - Dispatched tasks and verification (DESIGN §10)

    /// Where a task's linked worktree lives: `.git/tollgate/worktrees/<name>` (`<phase branch>-task-<id>`).
    func worktree(_ name: String) -> URL {
        privateDirectory.appendingPathComponent("worktrees", isDirectory: true)
            .appendingPathComponent(name, isDirectory: true)
    }

    /// A task's private files (brief, outcome, result, log, reference snapshot) in
    /// `.git/tollgate/tasks/<phase branch>/<id>/`.
    struct TaskFiles {
        let folder: URL
        var brief: URL { folder.appendingPathComponent("brief.md") }
        var outcome: URL { folder.appendingPathComponent("outcome.json") }
        /// The agent's report and time, written once it ended: a rerun adopts it instead of running it again.
        var result: URL { folder.appendingPathComponent("result.json") }
        var log: URL { folder.appendingPathComponent("agent.log") }
        var references: URL { folder.appendingPathComponent("refs.json") }
        /// Why the task fails for references its agent may have moved (``JobRunner/guardPlanReferences(suspects:)``), kept
        /// while the agent still runs.
        var blame: URL { folder.appendingPathComponent("blame.txt") }
    }

    func taskFiles(phase: PhaseRef, task: String) -> TaskFiles {
        TaskFiles(folder: file("tasks/\(phase.branch)/\(task)/.keep").deletingLastPathComponent())
    }

    /// The folder of the process group records of task agents, one file a running task.
    var taskAgentGroups: URL { privateDirectory.appendingPathComponent("agent-groups", isDirectory: true) }

    /// What a task agent's record says once a command found it left by a tollgate killed while the agent ran (its
    /// group, if still there, was ended): the dispatch that goes on holds that agent a suspect.
    static let killedAgentRecord = "killed"

    /// The record of a task agent's process group while it runs.
    func taskAgentGroupRecord(_ name: String) -> URL {
        file("agent-groups/\(name)")
    }

    /// The record that the main working tree and index may be behind HEAD's branch.
    ///
    /// A dispatch's landings move the phase branch alone, and the working tree catches up once after them
    /// (``JobRunner/catchUpWorkingTree(during:)``). Made before the first such landing, so a crash after it leaves the
    /// file for the next run.
    var workingTreeBehindRecord: URL { privateDirectory.appendingPathComponent("working-tree-behind") }

    /// The gate logs of a phase's revision: `.git/tollgate/verify/<phase branch>/rev-M/`.
    func verifyLogs(phase: PhaseRef, revision: Int) -> URL {
        file("verify/\(phase.branch)/rev-\(revision)/.keep").deletingLastPathComponent()
    }

    private func file(_ relative: String) -> URL {
        let url = privateDirectory.appendingPathComponent(relative)
        try? FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(),
            withIntermediateDirectories: true
        )
        return url
    }

    /// Writes `data` so that a reader sees either the old file or the whole new one: a temporary file beside it,
    /// renamed over it.
    ///
    /// Without `fsync` (Foundation's atomic write syncs each file): these are a process's runtime facts, as durable
    /// as the refs and objects git writes beside them, which git does not sync either unless `core.fsync` asks. A
    /// process killed at any point leaves the old file or the new one.
    /// Removes the reference lock files a tollgate killed in the middle of moving one of its own references left:
    /// the state branch's and those under `refs/tollgate/` (the quarantine, replaced heads). Only tollgate writes
    /// them, and the caller holds the job's lock, so no tollgate of this job is at work; libgit2 would otherwise
    /// refuse every later move of those references ("failed to lock file"). Locks of other references (HEAD, the
    /// index, branches) may be a git command of the user's and stay. Returns a note per lock removed.
    func removeStaleEngineLocks() -> [String] {
        let git = repository.gitDirectory
        var locks: [URL] = []
        let state = git.appendingPathComponent("refs/heads/tollgate/state.lock")
        if FileManager.default.fileExists(atPath: state.path) { locks.append(state) }
        let engine = git.appendingPathComponent("refs/tollgate", isDirectory: true)
        if let walk = FileManager.default.enumerator(at: engine, includingPropertiesForKeys: nil) {
            for case let file as URL in walk where file.pathExtension == "lock" { locks.append(file) }
        }
        return locks.compactMap { lock in
            guard (try? FileManager.default.removeItem(at: lock)) != nil else { return nil }
            let name = String(lock.path.dropFirst(git.path.count)).trimmingCharacters(in: ["/"])
            return "removed \(name), left by a tollgate that was killed while it moved that reference"
        }
    }

    static func writeAtomically(_ data: Data, to url: URL) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp")
        guard writeWithoutSync(data, to: temporary.path), rename(temporary.path, url.path) == 0 else {
            let error = CocoaError(
                .fileWriteUnknown,
                userInfo: [
                    NSFilePathErrorKey: url.path,
                    NSUnderlyingErrorKey: POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO),
                ]
            )
            unlink(temporary.path)
            throw error
        }
    }
}

extension Workspace {
    /// Writes `data` over the file at `url` in place (created or truncated), without a temporary file or `fsync`.
    ///
    /// For files of the working tree that the next commit takes in (a retrospective) and the running agent's files
    /// of `.git/tollgate`: a crash before they are used leaves a file the step writes again, and a rewrite reuses the
    /// file instead of creating one. Only a regular file of its own is written over: a symbolic link, a second hard
    /// link, a FIFO (an agent's, say) is replaced by a new file, never written through.
    static func writeInPlace(_ data: Data, to url: URL) throws {
        guard writeWithoutSync(data, to: url.path) else {
            throw CocoaError(
                .fileWriteUnknown,
                userInfo: [
                    NSFilePathErrorKey: url.path,
                    NSUnderlyingErrorKey: POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO),
                ]
            )
        }
    }
}

/// Writes `data` to the file at `path` (created or rewritten) with POSIX calls: Foundation's `Data.write(to:)`
/// syncs the file even when not asked to write atomically.
///
/// False on failure, with `errno` set.
private func writeWithoutSync(_ data: Data, to path: String) -> Bool {
    // Written over and then cut to its new length, not emptied first: on ext4 a file truncated to nothing is
    // flushed when it is closed (`auto_da_alloc`), which a rewrite each run would pay for.
    let descriptor = openOwnRegularFile(path, emptied: false)
    guard descriptor >= 0 else { return false }
    let complete = data.withUnsafeBytes { bytes -> Bool in
        var written = 0
        while written < bytes.count, let base = bytes.baseAddress {
            let count = write(descriptor, base + written, bytes.count - written)
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { return false }
            written += count
        }
        return ftruncate(descriptor, off_t(bytes.count)) == 0
    }
    let failure = errno
    guard close(descriptor) == 0, complete else {
        if !complete { errno = failure }
        return false
    }
    return true
}

/// Opens `path` for writing (emptied, unless `emptied` is false) as a regular file that no other name shares; -1 with
/// `errno` on failure.
///
/// What an agent may have left at the path is never written through: a symbolic link (even to a file tollgate may
/// write), a FIFO, or a hard link to some other file is removed and a new file created. The first open neither
/// follows a link, nor truncates, nor waits for a FIFO's reader; the file is emptied only once it is known to be
/// tollgate's own.
func openOwnRegularFile(_ path: String, emptied: Bool = true) -> Int32 {
    let descriptor = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0o644)
    if descriptor >= 0 {
        var info = stat()
        if fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_nlink == 1,
            !emptied || ftruncate(descriptor, 0) == 0, fcntl(descriptor, F_SETFL, 0) == 0
        {
            return descriptor
        }
        close(descriptor)
    } else if errno != ELOOP && errno != ENXIO {
        return -1
    }
    guard unlink(path) == 0 || errno == ENOENT else { return -1 }
    return open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
}

/// Removes what is at `path` unless it is a regular file that no other name shares (a link or FIFO an agent left
/// there), so that a file tollgate then opens there to append to is its own; nothing at `path` is fine.
func removeUnlessOwnRegularFile(_ path: String) {
    var info = stat()
    guard lstat(path, &info) == 0, info.st_mode & S_IFMT != S_IFREG || info.st_nlink != 1 else { return }
    unlink(path)
}

@available(*, unavailable)
extension Workspace: Sendable {}
