import Foundation
import Synchronization

/// Named places where `TOLLGATE_FAULT=<point>` ends the process abruptly, to prove a rerun finishes the job.
///
/// `TOLLGATE_FAULT=<point>@<n>` ends it at the n-th time the process reaches the point (the first when `@n` is
/// absent), so a test can crash a command in its second phase, its second revision, or its second push.
public enum FaultPoint: String, Sendable, CaseIterable {
    /// The phase branch exists and is checked out; the state does not say so yet.
    case afterBranch = "after-branch"
    /// A run's budget reservation is recorded (journaled, not committed yet); the run has not started (DESIGN §11).
    case afterReserve = "after-reserve"
    /// The agent exited and its result is recorded; nothing is committed.
    case afterAgent = "after-agent"
    /// The agent's work is committed on the branch; the state does not say so yet.
    case afterCommit = "after-commit"
    /// A critique of one artifact finished and its step is saved; the revision loop has not recorded it yet.
    case afterCritiqueStep = "after-critique-step"
    /// The agent finished a revision in the critique loop; the revision is not critiqued yet.
    case afterRevision = "after-revision"
    /// The gates of a revision ran and their outcome is recorded; the revision is not critiqued yet.
    case afterGates = "after-gates"
    /// One iteration of the revision loop is recorded; the loop has not decided what comes next.
    case afterIteration = "after-iteration"
    /// Branches were pushed to the review host; nothing was opened or recorded yet.
    case afterPush = "after-push"
    /// The review is open on the host; the job is not frozen in the state yet.
    case afterReviewOpen = "after-review-open"
    /// The engine posted a comment on the review; the state does not record that yet.
    case afterComment = "after-comment"
    /// The verdict was read; the state does not record it yet.
    case afterVerdict = "after-verdict"
    /// The squash commit is on `main`; the state does not say so yet.
    case afterMerge = "after-merge"
    /// The merged branch is deleted and the review closed; the state still names the old phase.
    case afterFinish = "after-finish"
    /// A dispatched task's start is recorded and its worktree made; its agent has not run.
    case afterTaskStart = "after-task-start"
    /// A task's agent ended, its result is kept and its work committed on its task branch; the state does not say
    /// so yet.
    case afterTaskFinish = "after-task-finish"
    /// A task's commit landed on the phase branch; the state does not say so yet.
    case afterTaskMerge = "after-task-merge"
    /// A verify gate ended and its result is recorded; its commit status is not posted yet.
    case afterGate = "after-gate"
    /// A state commit is written but the state ref has not moved.
    case beforeStateUpdate = "before-state-update"

    /// Which runs reach a point: every job, only jobs whose phases are critiqued, only jobs on a remote host,
    /// only jobs whose tactical phases dispatch a plan and run gates, or only jobs with a budget cap.
    public enum Reach: Sendable {
        case everyJob, critique, remoteHost, dispatch, budget
    }

    public var reach: Reach {
        switch self {
        case .afterCritiqueStep, .afterRevision, .afterGates, .afterIteration: .critique
        case .afterPush, .afterComment: .remoteHost
        case .afterTaskStart, .afterTaskFinish, .afterTaskMerge, .afterGate: .dispatch
        case .afterReserve: .budget
        default: .everyJob
        }
    }

    /// The exit status of a process ended by a fault.
    public static let exitStatus: Int32 = 86

    /// What `TOLLGATE_FAULT` asks for: a point and the hit (1-based) at which to end the process.
    public struct Spec: Sendable, Equatable {
        public var point: FaultPoint
        public var hit: Int

        /// Reads `point` or `point@n`; nil when the text names no point or `n` is not a positive number.
        public init?(_ text: String) {
            let parts = text.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false)
            guard let point = FaultPoint(rawValue: String(parts[0])) else { return nil }
            var hit = 1
            if parts.count == 2 {
                guard let number = Int(parts[1]), number >= 1 else { return nil }
                hit = number
            }
            self.point = point
            self.hit = hit
        }
    }

    private static let hits = Mutex<[FaultPoint: Int]>([:])
    private static let spec: Spec? = ProcessInfo.processInfo.environment["TOLLGATE_FAULT"].flatMap(Spec.init)

    /// What stands in for the process ending when the engine runs inside a test: the point throws ``Injected``
    /// instead, the test drops the job's session as a killed process would lose it, and opens the job again.
    public final class InProcess: Sendable {
        public let spec: Spec
        private let hits = Mutex(0)

        public init(_ spec: Spec) {
            self.spec = spec
        }

        /// How many times the point was reached so far.
        public var reached: Int { hits.withLock { $0 } }

        fileprivate func reach() -> Int {
            hits.withLock {
                $0 += 1
                return $0
            }
        }
    }

    /// Thrown at a fault point by an ``InProcess`` fault, where a process with `TOLLGATE_FAULT` would end.
    public struct Injected: Error, Sendable, Equatable {
        public var point: FaultPoint
        public var hit: Int
    }

    /// The in-process fault of the running task, if a test set one (`FaultPoint.$inProcess.withValue`).
    @TaskLocal public static var inProcess: InProcess?

    /// Ends the process at once if `TOLLGATE_FAULT` names this point and this is the hit it names; with an
    /// in-process fault set for the task, throws ``Injected`` at that hit instead.
    public func trip() throws(Injected) {
        if let fault = Self.inProcess, fault.spec.point == self {
            let count = fault.reach()
            if count == fault.spec.hit { throw Injected(point: self, hit: count) }
            return
        }
        guard let spec = Self.spec, spec.point == self else { return }
        let count = Self.hits.withLock { hits in
            hits[self, default: 0] += 1
            return hits[self, default: 0]
        }
        guard count == spec.hit else { return }
        try? FileHandle.standardError.write(contentsOf: Data("tollgate: fault injected at \(rawValue)@\(count)\n".utf8))
        _exit(Self.exitStatus)
    }
}
