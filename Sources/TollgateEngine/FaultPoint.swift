import Foundation

/// Named places where `TOLLGATE_FAULT=<point>` ends the process abruptly, to prove a rerun finishes the job.
public enum FaultPoint: String, Sendable, CaseIterable {
    /// The phase branch exists and is checked out; the state does not say so yet.
    case afterBranch = "after-branch"
    /// The agent exited and its result is recorded; nothing is committed.
    case afterAgent = "after-agent"
    /// The agent's work is committed on the branch; the state does not say so yet.
    case afterCommit = "after-commit"
    /// The review is open on the host; the job is not frozen in the state yet.
    case afterReviewOpen = "after-review-open"
    /// The verdict was read; the state does not record it yet.
    case afterVerdict = "after-verdict"
    /// The squash commit is on `main`; the state does not say so yet.
    case afterMerge = "after-merge"
    /// The merged branch is deleted and the review closed; the state still names the old phase.
    case afterFinish = "after-finish"
    /// A state commit is written but the state ref has not moved.
    case beforeStateUpdate = "before-state-update"

    /// The exit status of a process ended by a fault.
    public static let exitStatus: Int32 = 86

    /// Ends the process at once if `TOLLGATE_FAULT` names this point.
    public func trip() {
        guard ProcessInfo.processInfo.environment["TOLLGATE_FAULT"] == rawValue else { return }
        FileHandle.standardError.write(Data("tollgate: fault injected at \(rawValue)\n".utf8))
        _exit(Self.exitStatus)
    }
}
