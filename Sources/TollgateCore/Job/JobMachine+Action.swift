/// What the job machine answers every input with (the async-http-client shape, STYLE "Pure core, imperative
/// shell"): the events to record and the one action the driver takes next.
extension JobMachine {
    /// The events an input produced, to record with the new state, and what the driver does next.
    public struct Transition: Sendable, Equatable {
        public var events: [JobEvent]
        public var action: Action

        public init(events: [JobEvent], action: Action) {
            self.events = events
            self.action = action
        }

        /// `events`, with the action `machine` stands at once they are made: arguments are evaluated left to right,
        /// so an input's `return Transition(events + decideBoundary(…), leaving: self)` answers the decided state.
        init(_ events: [JobEvent], leaving machine: JobMachine) {
            self.init(events: events, action: machine.action)
        }

        /// The same transition, after `earlier` events recorded with it (a budget charge before the run's end).
        public func after(_ earlier: [JobEvent]) -> Transition {
            Transition(events: earlier + events, action: action)
        }
    }

    /// What the driver does next: a step to perform (then feed its result back as an input), wait for a verdict,
    /// or stop.
    ///
    /// Each step answers with the input its doc comment names (``Step``): prepare-phase with
    /// ``phasePrepared(base:plan:)``, run-agent with ``agentFinished(run:report:)``, commit-run with
    /// ``runCommitted(run:head:critique:verify:guardReason:)``, critique with ``critiqueFinished(_:escalate:)``,
    /// dispatch with the task inputs and ``dispatchCompleted()``, verify with ``verified(commit:critique:)``,
    /// request-review with ``reviewRequested(_:)``, merge with ``phaseMerged(commit:approvers:)``, finish-phase with
    /// ``phaseFinished()``.
    public enum Action: Sendable, Equatable, CustomStringConvertible {
        /// Do `step` (never ``Step/awaitVerdict``: a frozen job is ``awaitVerdict(_:)``).
        case perform(Step)
        /// Frozen: read the verdict on `review` when asked to; then ``verdictRead(_:pushedBy:)``.
        case awaitVerdict(ReviewHandle)
        /// Nothing more to do in this drive.
        case stop(Stop)

        /// The persisted step this action performs (nil for waiting and stopping).
        public var step: Step? {
            if case .perform(let step) = self { return step }
            return nil
        }

        public var description: String {
            switch self {
            case .perform(let step): step.description
            case .awaitVerdict: "await-verdict"
            case .stop(let stop): "stop(\(stop))"
            }
        }
    }

    /// Why the machine has nothing more to do.
    public enum Stop: Sendable, Equatable {
        case completed
        case failed(String)
        /// A budget's hard cap refused the next run (DESIGN §11).
        case blocked(String)
        case cancelled
    }

    /// A persisted job was loaded to run: a created job starts, a failed one retries its failed step, a blocked one
    /// is checked again; any other answers the action its recorded intent names.
    public mutating func resumed() -> Transition {
        switch state.status {
        case .created: started()
        case .failed where state.next != nil: retried()
        case .blocked: unblocked()
        case .failed, .running, .pendingReview, .completed, .cancelled: Transition([], leaving: self)
        }
    }

    /// The action the state stands at: the recorded intent (`next`) unless the status stops the job.
    public var action: Action {
        switch state.status {
        case .completed: return .stop(.completed)
        case .cancelled: return .stop(.cancelled)
        case .failed: return .stop(.failed(state.failure ?? "the job failed"))
        case .blocked: return .stop(.blocked(state.budget?.blocked ?? "a budget cap refused the next run"))
        case .created, .running, .pendingReview: break
        }
        switch state.next {
        case nil: return .stop(.failed("the job stopped with status \(state.status.rawValue)"))
        case .awaitVerdict:
            guard let review = state.review else { return .stop(.failed("frozen without an open review")) }
            return .awaitVerdict(review)
        case let step?: return .perform(step)
        }
    }
}
