import Foundation

/// The job's state machine: pure, fed what happened, answering every input with a ``Transition``: the events to
/// record and the ``Action`` the driver takes next.
///
/// States are `JobState.status` × `JobState.next` (the recorded intent, persisted in `job.json`):
/// - `created`, next `preparePhase` → `resumed()` (or `started()`) → `running`, action `perform(.preparePhase)`
/// - `running`: action `perform(step)`, steps `preparePhase` → `runAgent` → `commitRun` → (`dispatch`, `verify`,
///   `critique`) → `requestReview` or `merge` → `finishPhase` → the next phase's `preparePhase`
/// - `pending_review`, next `awaitVerdict`: action `awaitVerdict(review)` → `verdictRead(_:)` → `merge` (also after
///   a merge by hand), `runAgent` (feedback), `preparePhase` (redo) or `requestReview` again (a stale approval)
/// - `failed`: `next` still names the step that failed, action `stop(.failed)`; `resumed()` retries it
/// - `blocked`: a hard budget cap refused the step that stays next, action `stop(.blocked)`; `resumed()` checks again
/// - `completed` (`next` nil), `cancelled`: actions `stop(.completed)`, `stop(.cancelled)`.
///
/// The action is always the one the new state stands at (``action``), so a job loaded after a crash answers
/// `resumed()` with the same action it would have taken. The shell persists the state after every input, before
/// doing the action: that record is the intent.
public struct JobMachine: Sendable, Equatable {
    /// Read-only outside the core: only the inputs move it.
    public internal(set) var state: JobState

    public init(state: JobState) {
        self.state = state
    }

    // MARK: - Inputs

    /// `run` was asked for a job that has not started.
    public mutating func started() -> Transition {
        guard state.status == .created else { return Transition([], leaving: self) }
        state.status = .running
        return Transition(
            [event(.jobStarted, ["autonomy": state.autonomy.rawValue, "next": describeNext()])],
            leaving: self
        )
    }

    /// `run` was asked again for a failed job: the failed step is tried again.
    public mutating func retried() -> Transition {
        guard state.status == .failed else { return Transition([], leaving: self) }
        let cause = state.failure ?? ""
        state.status = .running
        state.failure = nil
        return Transition([event(.jobRetried, ["previousFailure": cause, "next": describeNext()])], leaving: self)
    }

    /// The phase branch exists and is checked out; `plan` says how a tactical phase runs (DESIGN §10): one agent
    /// run, or the plan's todos dispatched as tasks.
    public mutating func phasePrepared(base: String, plan: PlanDecision = .single) -> Transition {
        state.revision = 1
        state.runs += 1
        let mode: AgentMode = state.pendingFeedback.isEmpty ? .work : .feedback
        state.next = .runAgent(run: state.runs, mode: mode)
        let planEvents = planDecided(plan)
        return Transition(
            [
                event(
                    .phaseStarted,
                    [
                        "branch": state.branch, "type": state.phase.type.rawValue, "attempt": "\(state.phase.attempt)",
                        "base": base, "next": describeNext(),
                    ]
                )
            ] + planEvents,
            leaving: self
        )
    }

    /// The agent run ended (or was found already ended in its recorded result).
    public mutating func agentFinished(run: Int, report: AgentReport) -> Transition {
        state.lastRun = report
        state.next = .commitRun(run: run)
        var data = ["run": "\(run)", "next": describeNext()]
        if let failure = report.failure { data["failure"] = failure }
        if let summary = report.outcome.summary { data["summary"] = summary }
        if report.outcome.jobComplete == true { data["jobComplete"] = "true" }
        if let addressed = report.outcome.addressed, !addressed.isEmpty {
            data["addressed"] = addressed.sorted().joined(separator: ",")
        }
        for (index, warning) in report.warnings.enumerated() { data["warning\(index + 1)"] = warning }
        if let usage = report.outcome.usage { add(usage) }
        return Transition([event(report.failure == nil ? .agentFinished : .agentFailed, data)], leaving: self)
    }

    /// The run's work is committed on the phase branch at `head`; `guardReason` is an escalation the shell found
    /// (a critique below threshold, say) that freezes a boundary the autonomy level would merge.
    ///
    /// With `critique`, the phase's artifacts are critiqued before the boundary is decided.
    /// With `verify`, `verify.gates` run on the branch head first (DESIGN §10: after any tactical phase when gates
    /// are set, and again after a dispatched plan's feedback revision).
    public mutating func runCommitted(
        run: Int,
        head: String,
        critique: Bool = false,
        verify: Bool = false,
        guardReason: String? = nil
    ) -> Transition {
        let report = state.lastRun ?? AgentReport()
        var events = [event(.revisionCommitted, ["run": "\(run)", "head": head, "branch": state.branch])]
        if let failure = report.failure {
            state.status = .failed
            state.failure = "\(state.phase), run \(run): \(failure)"
            state.runs += 1
            state.next = .runAgent(run: state.runs, mode: state.pendingFeedback.isEmpty ? .work : .feedback)
            state.lastRun = nil
            events.append(event(.jobFailed, ["cause": state.failure ?? failure, "next": describeNext()]))
            return Transition(events, leaving: self)
        }
        state.answered = Array(Set(state.answered).union(state.pendingFeedback.map(\.id))).sorted()
        state.pendingFeedback = []
        state.jobComplete = report.outcome.jobComplete ?? false
        if state.phaseSummary == nil, let summary = report.outcome.summary, !summary.isEmpty {
            state.phaseSummary = summary
        }
        if let details = report.outcome.details, !details.isEmpty {
            // A feedback revision adds to the phase's retrospective instead of replacing it.
            if let earlier = state.phaseDetails, state.revision > 1 {
                state.phaseDetails = earlier + "\n\nRevision \(state.revision): " + details
            } else {
                state.phaseDetails = details
            }
        }
        state.lastRun = nil
        if verify {
            return Transition(events + verifyScheduled(run: run), leaving: self)
        }
        if critique {
            state.next = .critique(run: run)
            events.append(event(.critiqueScheduled, ["run": "\(run)", "next": describeNext()]))
            return Transition(events, leaving: self)
        }
        return Transition(events + decideBoundary(guardReason: guardReason), leaving: self)
    }

    /// The phase's critique (and revision loop) finished; with `escalate`, a critique that did not pass freezes a
    /// boundary the autonomy level would merge.
    public mutating func critiqueFinished(_ critique: PhaseCritique, escalate: Bool) -> Transition {
        state.critique = critique
        let events = [event(.critiqueFinished, critique.eventData)]
        return Transition(
            events + decideBoundary(guardReason: escalate ? critique.escalationReason : nil),
            leaving: self
        )
    }

    /// Freezes or merges the boundary: a failed verification (DESIGN §10) freezes at every level, then the autonomy
    /// rule decides, then `guardReason`.
    mutating func decideBoundary(guardReason: String?) -> [JobEvent] {
        var events: [JobEvent] = []
        // A soft budget cap crossed by the run that ends here freezes the boundary at every level, once.
        let guards = [guardReason].compactMap { $0 } + (state.budget?.softFreeze ?? [])
        state.budget?.softFreeze = []
        let reason =
            state.verifyFailure.map { FreezeRule.Reason.guardTripped($0) }
            ?? FreezeRule.decide(level: state.autonomy, phase: state.phase, jobComplete: state.jobComplete)
            ?? (guards.isEmpty ? nil : FreezeRule.Reason.guardTripped(guards.joined(separator: "; ")))
        if let reason {
            state.freezeReason = reason
            state.next = .requestReview
            events.append(event(.boundaryFreeze, ["reason": reason.description, "next": describeNext()]))
        } else {
            state.freezeReason = nil
            state.next = .merge(approvers: [])
            events.append(event(.boundaryMerge, ["next": describeNext()]))
        }
        return events
    }

    /// The review is open (or was asked again) for the branch head: the job freezes.
    public mutating func reviewRequested(_ handle: ReviewHandle) -> Transition {
        let reopened = state.review != nil
        state.review = handle
        state.status = .pendingReview
        state.next = .awaitVerdict
        return Transition(
            [
                event(
                    reopened ? .reviewRerequested : .reviewOpened,
                    [
                        "host": handle.host.rawValue, "id": "\(handle.id)", "location": handle.location,
                        "head": handle.head,
                        "reason": state.freezeReason?.description ?? "",
                    ]
                )
            ],
            leaving: self
        )
    }

    /// The verdict on the open review was read; `pushedBy` names the people whose own commits are on the branch.
    public mutating func verdictRead(_ verdict: Verdict, pushedBy: [String] = []) -> Transition {
        if case .pending = verdict { return Transition([], leaving: self) }
        let newPushers = pushedBy.filter { !state.coauthors.contains($0) }
        state.coauthors = (state.coauthors + newPushers).sorted()
        var events: [JobEvent] = []
        if !newPushers.isEmpty {
            events.append(event("branch.reviewer_commits", ["by": newPushers.joined(separator: ", ")]))
        }
        return Transition(events + verdictActions(verdict), leaving: self)
    }

    private mutating func verdictActions(_ verdict: Verdict) -> [JobEvent] {
        switch verdict {
        case .pending:
            return []
        case .approved(let approvers):
            state.status = .running
            state.next = .merge(approvers: approvers)
            return [event(.verdictApproved, ["by": approvers.joined(separator: ","), "next": describeNext()])]
        case .stale(let approvers, let head):
            state.next = .requestReview
            return [
                event(
                    .verdictStale,
                    ["by": approvers.joined(separator: ","), "head": head, "next": describeNext()]
                )
            ]
        case .changesRequested(let items):
            state.status = .running
            // What the verification found failed goes to the agent with the reviewers' items (DESIGN §10).
            state.pendingFeedback = items + verifyFailureItems()
            state.revision += 1
            state.runs += 1
            state.next = .runAgent(run: state.runs, mode: .feedback)
            return [
                event(
                    "verdict.changes_requested",
                    [
                        "items": "\(items.count)", "ids": items.map(\.id).joined(separator: ","),
                        "next": describeNext(),
                    ]
                )
            ]
        case .closed(let items):
            let closed = state.phase
            state.status = .running
            state.pendingFeedback = items
            state.review = nil
            state.phase = closed.redone
            state.revision = 0
            state.phaseSummary = nil
            state.phaseDetails = nil
            state.coauthors = []
            state.next = .preparePhase
            return [
                event(
                    .verdictClosed,
                    [
                        "closedBranch": closed.branch, "redoBranch": state.branch, "items": "\(items.count)",
                        "next": describeNext(),
                    ]
                )
            ]
        case .mergedOnHost:
            // Someone merged on the host by hand: the merge step adopts the host's merge commit (nothing is merged
            // twice), records it, and the phase finishes as if the engine had merged it.
            state.status = .running
            state.next = .merge(approvers: [])
            return [event("verdict.merged_on_host", ["next": describeNext()])]
        }
    }

    /// The phase branch landed on `main` as `commit`.
    public mutating func phaseMerged(commit: String, approvers: [String]) -> Transition {
        state.merged.append(MergedPhase(phase: state.phase, commit: commit, approvers: approvers))
        state.next = .finishPhase
        return Transition(
            [
                event(
                    .phaseMerged,
                    ["commit": commit, "approvers": approvers.joined(separator: ","), "next": describeNext()]
                )
            ],
            leaving: self
        )
    }

    /// The merged branch is gone and the review closed: the next phase starts, or the job ends.
    public mutating func phaseFinished() -> Transition {
        let finished = state.phase
        state.review = nil
        state.freezeReason = nil
        if state.jobComplete {
            state.status = .completed
            state.next = nil
            return Transition([event(.jobCompleted, ["phases": "\(finished.number)"])], leaving: self)
        }
        if finished.number >= state.maxPhases {
            // The finish stays next: raising maxPhases (`tollgate config DIR --set maxPhases=N`) lets a run go on.
            state.status = .failed
            state.failure =
                "the job reached maxPhases (\(state.maxPhases)) without the agent reporting it complete; "
                + "raise it with `tollgate config DIR --set maxPhases=N` and run again to go on"
            state.next = .finishPhase
            return Transition(
                [event(.jobFailed, ["cause": state.failure ?? "", "next": describeNext()])],
                leaving: self
            )
        }
        // The event is about the phase that finished: its number and last revision, taken before they move on.
        var finishedEvent = event(.phaseFinished, ["branch": finished.branch])
        state.phase = finished.successor
        state.revision = 0
        state.phaseSummary = nil
        state.phaseDetails = nil
        state.coauthors = []
        state.critique = nil
        state.next = .preparePhase
        finishedEvent.data["next"] = describeNext()
        return Transition([finishedEvent], leaving: self)
    }

    /// A step failed in a way the user can fix (a git conflict, a host that is down); the step stays next.
    public mutating func stepFailed(_ cause: String) -> Transition {
        state.status = .failed
        state.failure = cause
        return Transition([event(.jobFailed, ["cause": cause, "next": describeNext()])], leaving: self)
    }

    /// The owner changed settings of the job (`tollgate config DIR --set`): `changes` maps each key to its new value
    /// as text; `autonomy` and `maxPhases` are the job's own copies, which the state then follows.
    public mutating func configured(_ changes: [String: String], autonomy: AutonomyLevel, maxPhases: Int) -> Transition
    {
        state.autonomy = autonomy
        state.maxPhases = maxPhases
        return Transition([event(.configChanged, changes)], leaving: self)
    }

    /// The job was cancelled by its owner.
    public mutating func cancelled(reason: String) -> Transition {
        if let plan = state.plan, [.draft, .dispatching, .running, .verifying].contains(plan.status) {
            state.plan?.status = .cancelled
        }
        state.status = .cancelled
        state.next = nil
        return Transition([event(.jobCancelled, ["reason": reason])], leaving: self)
    }

    // MARK: - Helpers

    func event(_ type: JobEventType, _ data: [String: String]) -> JobEvent {
        JobEvent(type: type, phase: state.phase.number, revision: state.revision, data: data)
    }

    func describeNext() -> String { state.next?.description ?? "none" }

    mutating func add(_ usage: AgentOutcome.Usage) {
        state.usage.inputTokens = (state.usage.inputTokens ?? 0) + (usage.inputTokens ?? 0)
        state.usage.outputTokens = (state.usage.outputTokens ?? 0) + (usage.outputTokens ?? 0)
        state.usage.costUSD = (state.usage.costUSD ?? 0) + (usage.costUSD ?? 0)
    }
}
