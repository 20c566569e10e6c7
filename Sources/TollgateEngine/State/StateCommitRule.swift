import TollgateCore

/// Which transitions get a state commit of their own, and which wait in memory for the next one (DESIGN §6,
/// `docs/state.md`).
///
/// A transition may wait when the step that produced it can be done again from the last state commit, and finds its
/// own effect there, whatever the steps after it did before the next commit; if the process ends first, the next
/// run does those steps again and records the same events. Every other transition is committed before the engine
/// goes on: the one before the agent runs (a recorded intent, and what `status` shows while it runs), the one
/// before the merged branch is deleted, every freeze, verdict, failure and the job's end.
enum StateCommitRule {
    /// Whether the transition recorded after `step` (nil for the job's start or a retry, which have no side effect)
    /// may wait for the next state commit, the machine answering it with `action` and the job now standing at
    /// `state`.
    static func mayWait(after step: Step?, then action: JobMachine.Action, now state: JobState) -> Bool {
        guard state.status == .running, let next = action.step else { return false }
        switch (step, next) {
        // job.started, job.retried: nothing was done; phase.started, committed before the agent, carries them.
        case (nil, .preparePhase):
            return true
        // agent.finished: the report is in the run's result file (`.git/tollgate/runs/run-N.json`), which the step
        // reads instead of running the agent again.
        case (.runAgent, .commitRun):
            return true
        // revision.committed and the boundary (or critique.finished): the branch tip carries the run's
        // `Tollgate-Run` (or `Tollgate-Critique`) trailer, and neither the merge nor the review request moves it.
        case (.commitRun, .merge), (.commitRun, .requestReview), (.critique, .merge), (.critique, .requestReview):
            return true
        // phase.finished: the merged branch is gone and main is checked out; done again, the finish finds that,
        // and the next phase's preparation only adds a branch at main before phase.started is committed.
        case (.finishPhase, .preparePhase):
            return true
        default:
            return false
        }
    }
}
