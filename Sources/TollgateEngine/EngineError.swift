import Foundation
import TollgateCore

/// What the engine reports to a user: each case names the problem and what to do about it.
public enum EngineError: Error, Sendable, Equatable, CustomStringConvertible {
    case notAJob(path: String)
    case alreadyAJob(path: String)
    case locked(path: String, holder: String)
    case spawnFailed(command: String, reason: String)
    case corruptState(path: String, reason: String)
    case unsupportedStateVersion(found: Int, supported: Int)
    /// The state branch or the repository was changed by something other than tollgate; `reason` says how to
    /// recover.
    case stateDamaged(path: String, reason: String)
    case stateMoved
    case nothingToReview(status: String)
    case wrongHost(host: ReviewHostKind, location: String)
    case mergeConflict(branch: String, paths: [String])
    case dirtyWorkspace(path: String, during: String)
    /// While a plan was dispatched, something (a task's agent, a person) changed files in the main working tree,
    /// where no task works and tollgate commits nothing: they are left where they are.
    case strayChanges(path: String, paths: [String], branch: String, during: String)
    /// After a dispatch's landings, files of the main working tree's own are in the way of what landed at `paths`:
    /// everything else caught up, and they are left as they are.
    case changesInTheWay(path: String, paths: [String], branch: String)
    case usage(String)
    case host(String)
    /// Tollgate was interrupted by `signal` during a step, which is not recorded: the next run does it again.
    case interrupted(signal: Int32)
    /// The job's state does not allow what was asked (not a usage error: the same command works on another job).
    case refused(String)

    public var description: String {
        switch self {
        case .notAJob(let path):
            "\(path) is not a Tollgate job (no tollgate/state branch in a git repository there). "
                + "Create one with `tollgate init \(path)`, or pass the directory of an existing job."
        case .alreadyAJob(let path):
            "\(path) already holds a Tollgate job. Use `tollgate run \(path)` to continue it, or pick another directory."
        case .locked(let path, let holder):
            "another tollgate process (\(holder)) is working on the job in \(path). Wait for it to finish "
                + "(`tollgate status \(path)` shows what it does); if no such process exists any more, nothing needs "
                + "cleaning: the lock is released with the process."
        case .spawnFailed(let command, let reason):
            "could not start `\(command)`: \(reason)."
        case .corruptState(let path, let reason):
            "the job state in \(path) cannot be read (\(reason)). Inspect it with `git log tollgate/state`."
        case .stateDamaged(let path, let reason):
            "the job in \(path) is damaged: \(reason)"
        case .unsupportedStateVersion(let found, let supported):
            "the job state has version \(found), this tollgate reads version \(supported). Use a matching tollgate."
        case .stateMoved:
            "the job state changed under this process (another process advanced it). Run the command again."
        case .nothingToReview(let status):
            "nothing is open for review: the job is \(status). Reviews open when a job freezes (`tollgate status`)."
        case .wrongHost(let host, let location):
            "this job is reviewed on \(host): give your verdict there (\(location)), then run `tollgate resume`."
        case .mergeConflict(let branch, let paths):
            "\(branch) conflicts with main in \(paths.joined(separator: ", ")). Resolve it on the branch "
                + "(commit the fix to \(branch)), then run `tollgate resume` again."
        case .dirtyWorkspace(let path, let during):
            "uncommitted changes in \(path) block \(during). Commit them to the current branch or remove them, "
                + "then run the command again."
        case .strayChanges(let path, let paths, let branch, let during):
            "the main working tree of \(path) has changes no task committed: "
                + paths.prefix(5).joined(separator: ", ") + (paths.count > 5 ? " and \(paths.count - 5) more" : "")
                + ". While a plan is dispatched a task's agent works in its own worktree only, and tollgate commits "
                + "nothing from the main one, so they block \(during) and are left as they are. Remove them "
                + "(`git -C \(ShellQuoting.quoted(path)) stash -u` keeps them in a stash), then `tollgate run "
                + "\(ShellQuoting.quoted(path))`; commit what you want on \(branch) once the phase is frozen for review."
        case .changesInTheWay(let path, let paths, let branch):
            "files in the main working tree of \(path) are in the way of what the plan's tasks landed on \(branch): "
                + paths.prefix(5).joined(separator: ", ") + (paths.count > 5 ? " and \(paths.count - 5) more" : "")
                + ". They are on no branch, so tollgate leaves them as they are; everything else of \(branch) is in "
                + "place. Move them out of the workspace, then `tollgate run \(ShellQuoting.quoted(path))` puts the "
                + "landed files there; commit what you want of yours on \(branch) once the phase is frozen for review."
        case .usage(let message):
            message
        case .host(let message):
            message
        case .refused(let message):
            message
        case .interrupted(let signal):
            "tollgate was interrupted (\(ProcessGroups.name(of: signal))); every finished step is recorded"
        }
    }
}
