/// What the driver does next: the machine's answer, read from its state after every input.
extension JobMachine {
    /// The next thing the shell does for the job.
    public enum Action: Sendable, Equatable {
        /// Do `step` (never ``Step/awaitVerdict``: a frozen job is ``awaitVerdict(_:)``), then feed its result back.
        case perform(Step)
        /// Frozen on `review`: read its verdict (``verdictRead(_:pushedBy:)``) when the command may, else stop here.
        case awaitVerdict(ReviewHandle)
        /// Nothing more to do in this command.
        case finish(Outcome)
    }

    /// How a command's work on the job ended, when nothing is left to do.
    public enum Outcome: Sendable, Equatable {
        case completed
        /// Failed: `cause` says why and what to do.
        case failed(cause: String)
        /// Blocked by a budget's hard cap: `cause` names it and the command that raises it.
        case blocked(cause: String)
        case cancelled
    }

    /// The action the recorded state asks for.
    ///
    /// One `switch` from status and intent to action, so that the shell has no decision of its own to make: a job
    /// not started, failed or blocked first goes through ``runRequested()``.
    public var nextAction: Action {
        switch state.status {
        case .completed:
            return .finish(.completed)
        case .cancelled:
            return .finish(.cancelled)
        case .failed:
            return .finish(.failed(cause: state.failure ?? "the job failed"))
        case .blocked:
            return .finish(.blocked(cause: state.budget?.blocked ?? "a budget's hard cap"))
        case .created:
            return .finish(.failed(cause: "the job has not started"))
        case .running, .pendingReview:
            switch state.next {
            case nil:
                return .finish(.failed(cause: "the job stopped with status \(state.status.rawValue)"))
            case .awaitVerdict?:
                guard let review = state.review else { return .finish(.failed(cause: "frozen without an open review")) }
                return .awaitVerdict(review)
            case let step?:
                return .perform(step)
            }
        }
    }

    /// `tollgate run` or `resume` was asked for the job: one not started starts, a failed one whose step is still
    /// recorded tries that step again, a blocked one goes on (its cap may have been raised; the step checks again);
    /// any other is left as it is.
    public mutating func runRequested() -> [JobEvent] {
        switch state.status {
        case .created: started()
        case .failed where state.next != nil: retried()
        case .blocked: unblocked()
        default: []
        }
    }
}
