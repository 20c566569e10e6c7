/// The next thing the engine will do for a job: persisted before it is done (the intent), so that a process killed
/// half-way repeats exactly this step, which is idempotent, and nothing else.
public enum Step: Codable, Sendable, Equatable, CustomStringConvertible {
    /// Create the phase branch from `main` (or keep it) and check it out.
    case preparePhase
    /// Run the agent; `run` numbers agent runs within the job and keys the run's recorded result.
    case runAgent(run: Int, mode: AgentMode)
    /// Commit what the agent left in the working tree to the phase branch.
    case commitRun(run: Int)
    /// Critique the phase's artifacts, revising them in a bounded loop, and commit the reports on the branch.
    case critique(run: Int)
    /// Run the plan's todos as tasks, one agent each in its own worktree, landing each on the phase branch.
    case dispatch
    /// Run `verify.gates` on the phase branch's head and commit their results; `run` is the phase's latest run.
    case verify(run: Int)
    /// Open the review for the branch head, or ask again for a review of the new head.
    case requestReview
    /// Frozen: wait for a verdict on the open review.
    case awaitVerdict
    /// Squash-merge the phase branch into `main`.
    case merge(approvers: [String])
    /// Delete the merged branch, close the review, and move to the next phase or complete the job.
    case finishPhase

    public var description: String {
        switch self {
        case .preparePhase: "prepare-phase"
        case .runAgent(let run, let mode): "run-agent(\(run), \(mode.rawValue))"
        case .commitRun(let run): "commit-run(\(run))"
        case .critique(let run): "critique(\(run))"
        case .dispatch: "dispatch"
        case .verify(let run): "verify(\(run))"
        case .requestReview: "request-review"
        case .awaitVerdict: "await-verdict"
        case .merge: "merge"
        case .finishPhase: "finish-phase"
        }
    }
}

/// What the agent is asked to do in a run.
public enum AgentMode: String, Codable, Sendable, Equatable {
    /// Do the phase's work.
    case work
    /// Answer review items on the same branch.
    case feedback
    /// Revise the phase's artifacts to answer a critique's must-fix items.
    case revise
    /// Carry out one todo of a dispatched plan, in the task's own worktree (DESIGN §10).
    case task
}
