import Testing
import TollgateCore

/// The job machine, event by event: what each input does to the status and the next step, and what it records.
struct JobMachineTests {
    static func machine(
        _ level: AutonomyLevel = .guided,
        maxPhases: Int = 20,
        status: JobStatus = .created
    ) -> JobMachine {
        var state = JobState(
            id: "job-1",
            description: "test",
            expert: nil,
            autonomy: level,
            reviewHost: .local,
            maxPhases: maxPhases
        )
        state.status = status
        return JobMachine(state: state)
    }

    /// A machine that ran phase `phase`'s agent once and is about to commit its work.
    static func afterAgent(
        _ level: AutonomyLevel,
        phase: Int = 1,
        maxPhases: Int = 20,
        outcome: AgentOutcome = AgentOutcome(summary: "s")
    ) -> JobMachine {
        var machine = Self.machine(level, maxPhases: maxPhases)
        _ = machine.started()
        for _ in 1..<phase {
            _ = machine.phasePrepared(base: "base")
            _ = machine.agentFinished(run: machine.state.runs, report: AgentReport(outcome: AgentOutcome(summary: "x")))
            _ = machine.runCommitted(run: machine.state.runs, head: "h")
            _ = machine.phaseMerged(commit: "c", approvers: [])
            _ = machine.phaseFinished()
        }
        _ = machine.phasePrepared(base: "base")
        _ = machine.agentFinished(run: machine.state.runs, report: AgentReport(outcome: outcome))
        return machine
    }

    static let handle = ReviewHandle(host: .local, id: 1, location: "tollgate/state:reviews.json#1", head: "h1")

    /// A machine frozen on phase 1 (guided), review open.
    static func frozen() -> JobMachine {
        var machine = afterAgent(.guided)
        _ = machine.runCommitted(run: 1, head: "h1")
        _ = machine.reviewRequested(handle)
        return machine
    }

    static let items = [
        FeedbackItem(id: "review-3", kind: .review, reviewer: "ann", body: "redo"),
        FeedbackItem(id: "inline-4", kind: .inline, reviewer: "ann", body: "why?", path: "plan.md", line: 2),
    ]

    // MARK: - Input → action, line by line

    /// One input fed to the machine and what it answers: the action, the status it leaves, the events.
    struct Line: Sendable, CustomTestStringConvertible {
        var input: String
        var apply: @Sendable (inout JobMachine) -> JobMachine.Transition
        var action: JobMachine.Action
        var status: JobStatus
        var events: [String]
        var testDescription: String { "\(input) → \(action)" }

        init(
            _ input: String,
            _ apply: @escaping @Sendable (inout JobMachine) -> JobMachine.Transition,
            _ action: JobMachine.Action,
            _ status: JobStatus,
            _ events: [String]
        ) {
            self.input = input
            self.apply = apply
            self.action = action
            self.status = status
            self.events = events
        }
    }

    static let rehandled = ReviewHandle(host: .local, id: 1, location: "tollgate/state:reviews.json#1", head: "h2")

    /// A guided job's first phase, a revision, a failed merge retried, a budget block and a cancel.
    static let guidedJob: [Line] = [
        Line("resumed (created)", { $0.resumed() }, .perform(.preparePhase), .running, ["job.started"]),
        Line(
            "phasePrepared",
            { $0.phasePrepared(base: "b") },
            .perform(.runAgent(run: 1, mode: .work)),
            .running,
            ["phase.started"]
        ),
        Line(
            "agentFinished",
            { $0.agentFinished(run: 1, report: AgentReport(outcome: AgentOutcome(summary: "s"))) },
            .perform(.commitRun(run: 1)),
            .running,
            ["agent.finished"]
        ),
        Line(
            "runCommitted",
            { $0.runCommitted(run: 1, head: "h1") },
            .perform(.requestReview),
            .running,
            ["revision.committed", "boundary.freeze"]
        ),
        Line(
            "reviewRequested",
            { $0.reviewRequested(handle) },
            .awaitVerdict(handle),
            .pendingReview,
            ["review.opened"]
        ),
        Line(
            "verdictRead pending",
            { $0.verdictRead(.pending(waitingFor: [])) },
            .awaitVerdict(handle),
            .pendingReview,
            []
        ),
        Line(
            "verdictRead changes requested",
            { $0.verdictRead(.changesRequested(items)) },
            .perform(.runAgent(run: 2, mode: .feedback)),
            .running,
            ["verdict.changes_requested"]
        ),
        Line(
            "agentFinished (feedback)",
            { $0.agentFinished(run: 2, report: AgentReport(outcome: AgentOutcome(summary: "f"))) },
            .perform(.commitRun(run: 2)),
            .running,
            ["agent.finished"]
        ),
        Line(
            "runCommitted (feedback)",
            { $0.runCommitted(run: 2, head: "h2") },
            .perform(.requestReview),
            .running,
            ["revision.committed", "boundary.freeze"]
        ),
        Line(
            "reviewRequested again",
            { $0.reviewRequested(rehandled) },
            .awaitVerdict(rehandled),
            .pendingReview,
            ["review.rerequested"]
        ),
        Line(
            "verdictRead approved",
            { $0.verdictRead(.approved(by: ["ann"])) },
            .perform(.merge(approvers: ["ann"])),
            .running,
            ["verdict.approved"]
        ),
        Line("stepFailed", { $0.stepFailed("conflict") }, .stop(.failed("conflict")), .failed, ["job.failed"]),
        Line("resumed (failed)", { $0.resumed() }, .perform(.merge(approvers: ["ann"])), .running, ["job.retried"]),
        Line(
            "phaseMerged",
            { $0.phaseMerged(commit: "c", approvers: ["ann"]) },
            .perform(.finishPhase),
            .running,
            ["phase.merged"]
        ),
        Line("phaseFinished", { $0.phaseFinished() }, .perform(.preparePhase), .running, ["phase.finished"]),
        Line(
            "budgetBlocked",
            { $0.budgetBlocked("over", cap: "budget.tokens.hard") },
            .stop(.blocked("over")),
            .blocked,
            ["budget.blocked"]
        ),
        Line("resumed (blocked)", { $0.resumed() }, .perform(.preparePhase), .running, ["job.unblocked"]),
        Line("resumed (running)", { $0.resumed() }, .perform(.preparePhase), .running, []),
        Line("cancelled", { $0.cancelled(reason: "r") }, .stop(.cancelled), .cancelled, ["job.cancelled"]),
        Line("resumed (cancelled)", { $0.resumed() }, .stop(.cancelled), .cancelled, []),
    ]

    @Test func eachInputAnswersTheActionTheJobStandsAt() async {
        var machine = Self.machine()
        for line in Self.guidedJob {
            let transition = line.apply(&machine)
            #expect(transition.action == line.action, "\(line.input)")
            #expect(machine.action == line.action, "\(line.input)")
            #expect(machine.state.status == line.status, "\(line.input)")
            #expect(transition.events.map(\.type.rawValue) == line.events, "\(line.input)")
        }
    }

    @Test func aCompletedJobResumesToItsStop() async {
        var completed = Self.afterAgent(.full, phase: 2, outcome: AgentOutcome(jobComplete: true))
        _ = completed.runCommitted(run: 2, head: "h")
        _ = completed.phaseMerged(commit: "c", approvers: [])
        #expect(completed.phaseFinished().action == .stop(.completed))
        #expect(completed.resumed() == JobMachine.Transition(events: [], action: .stop(.completed)))
    }

    // MARK: - Start and prepare

    @Test func startedMovesACreatedJobToRunningBeforeItsFirstPhase() async {
        var machine = Self.machine()
        let transition = machine.started()
        #expect(machine.state.status == .running)
        #expect(machine.state.next == .preparePhase)
        #expect(machine.action == .perform(.preparePhase))
        #expect(transition.events.map(\.type.rawValue) == ["job.started"])
        #expect(transition.events.first?.data["autonomy"] == "guided")
    }

    @Test func phasePreparedStartsTheFirstRevisionInWorkMode() async {
        var machine = Self.machine()
        _ = machine.started()
        let transition = machine.phasePrepared(base: "abc")
        #expect(machine.state.revision == 1)
        #expect(machine.state.runs == 1)
        #expect(machine.state.next == .runAgent(run: 1, mode: .work))
        #expect(machine.action == .perform(.runAgent(run: 1, mode: .work)))
        #expect(transition.events.map(\.type.rawValue) == ["phase.started"])
        #expect(transition.events.first?.data["branch"] == "phase-1-strategic")
        #expect(transition.events.first?.data["base"] == "abc")
        #expect(transition.events.first?.phase == 1)
    }

    @Test func phasePreparedWithPendingFeedbackRunsInFeedbackMode() async {
        var machine = Self.frozen()
        _ = machine.verdictRead(.closed(Self.items))
        _ = machine.phasePrepared(base: "main")
        #expect(machine.state.next == .runAgent(run: 2, mode: .feedback))
        #expect(machine.action == .perform(.runAgent(run: 2, mode: .feedback)))
        #expect(machine.state.branch == "phase-1-strategic-rev-2")
    }

    // MARK: - Agent failure

    @Test func aFailedAgentRunFailsTheJobAfterItsWorkIsCommitted() async {
        var machine = Self.machine()
        _ = machine.started()
        _ = machine.phasePrepared(base: "b")
        let finished = machine.agentFinished(run: 1, report: AgentReport(failure: "the agent exited with status 2"))
        #expect(finished.events.map(\.type.rawValue) == ["agent.failed"])
        #expect(finished.events.first?.data["failure"] == "the agent exited with status 2")
        // The work is committed first: the job is still running until the commit is recorded.
        #expect(machine.state.next == .commitRun(run: 1))
        #expect(machine.action == .perform(.commitRun(run: 1)))
        #expect(machine.state.status == .running)

        let committed = machine.runCommitted(run: 1, head: "h")
        #expect(committed.events.map(\.type.rawValue) == ["revision.committed", "job.failed"])
        #expect(machine.state.status == .failed)
        #expect(machine.state.failure?.contains("the agent exited with status 2") == true)
        #expect(machine.state.failure?.contains("phase 1") == true)
        // A rerun runs the agent again, as a new run of the same phase.
        #expect(machine.state.next == .runAgent(run: 2, mode: .work))
        #expect(committed.action == .stop(.failed(machine.state.failure ?? "")))

        let retried = machine.retried()
        #expect(retried.action == .perform(.runAgent(run: 2, mode: .work)))
        #expect(retried.events.map(\.type.rawValue) == ["job.retried"])
        #expect(machine.state.status == .running)
        #expect(machine.state.failure == nil)
    }

    @Test func retriedDoesNothingToAJobThatDidNotFail() async {
        var machine = Self.machine()
        _ = machine.started()
        let before = machine
        #expect(machine.retried().events.isEmpty)
        #expect(machine == before)
    }

    @Test func warningsAndUsageAreRecordedWithTheRun() async {
        var machine = Self.machine()
        _ = machine.started()
        _ = machine.phasePrepared(base: "b")
        let report = AgentReport(
            outcome: AgentOutcome(summary: "plan", usage: .init(inputTokens: 10, outputTokens: 5, costUSD: 0.5)),
            warnings: ["odd"]
        )
        let transition = machine.agentFinished(run: 1, report: report)
        #expect(transition.events.map(\.type.rawValue) == ["agent.finished"])
        #expect(transition.events.first?.data["warning1"] == "odd")
        #expect(transition.events.first?.data["summary"] == "plan")
        #expect(machine.state.usage.inputTokens == 10)
        #expect(machine.state.usage.outputTokens == 5)
        #expect(machine.state.usage.costUSD == 0.5)
    }

    // MARK: - The boundary

    struct BoundaryRow: Sendable, CustomTestStringConvertible {
        var level: AutonomyLevel
        var phase: Int
        var jobComplete: Bool
        var guardReason: String?
        var freezes: FreezeRule.Reason?
        var testDescription: String {
            "\(level) phase \(phase) complete=\(jobComplete) guard=\(guardReason ?? "-")"
        }
    }

    static let boundaries: [BoundaryRow] = [
        BoundaryRow(level: .guided, phase: 1, jobComplete: false, freezes: .autonomy(.guided)),
        BoundaryRow(level: .guided, phase: 2, jobComplete: false, freezes: nil),
        BoundaryRow(level: .partial, phase: 3, jobComplete: false, freezes: nil),
        BoundaryRow(level: .dependent, phase: 2, jobComplete: false, freezes: .autonomy(.dependent)),
        BoundaryRow(level: .review, phase: 2, jobComplete: true, freezes: .finalReview),
        BoundaryRow(level: .full, phase: 2, jobComplete: true, freezes: nil),
        // A guard escalates a boundary the level would merge…
        BoundaryRow(
            level: .review,
            phase: 1,
            jobComplete: false,
            guardReason: "critique 5.0 below 8.0",
            freezes: .guardTripped("critique 5.0 below 8.0")
        ),
        BoundaryRow(
            level: .guided,
            phase: 2,
            jobComplete: false,
            guardReason: "soft budget cap",
            freezes: .guardTripped("soft budget cap")
        ),
        // …and does not replace the level's own reason where the level freezes anyway.
        BoundaryRow(
            level: .guided,
            phase: 1,
            jobComplete: false,
            guardReason: "critique",
            freezes: .autonomy(.guided)
        ),
    ]

    @Test(arguments: boundaries)
    func runCommittedFreezesOrMergesByTheAutonomyRule(_ row: BoundaryRow) async {
        var machine = Self.afterAgent(
            row.level,
            phase: row.phase,
            outcome: AgentOutcome(summary: "done", jobComplete: row.jobComplete)
        )
        let transition = machine.runCommitted(run: machine.state.runs, head: "head", guardReason: row.guardReason)
        #expect(transition.events.first?.type == "revision.committed")
        #expect(transition.events.first?.data["head"] == "head")
        #expect(machine.state.jobComplete == row.jobComplete)
        #expect(machine.state.freezeReason == row.freezes)
        if let reason = row.freezes {
            #expect(machine.state.next == .requestReview)
            #expect(machine.action == .perform(.requestReview))
            #expect(transition.events.last?.type == "boundary.freeze")
            #expect(transition.events.last?.data["reason"] == reason.description)
        } else {
            #expect(machine.state.next == .merge(approvers: []))
            #expect(machine.action == .perform(.merge(approvers: [])))
            #expect(transition.events.last?.type == "boundary.merge")
        }
        #expect(machine.state.status == .running)
        #expect(machine.state.lastRun == nil)
    }

    @Test func theFirstSummaryNamesThePhaseAndLaterDetailsAddToTheRetrospective() async {
        var machine = Self.afterAgent(.guided, outcome: AgentOutcome(summary: "Plan it", details: "first"))
        _ = machine.runCommitted(run: 1, head: "h1")
        _ = machine.reviewRequested(Self.handle)
        _ = machine.verdictRead(.changesRequested(Self.items))
        _ = machine.agentFinished(
            run: 2,
            report: AgentReport(outcome: AgentOutcome(summary: "Fix it", details: "second"))
        )
        _ = machine.runCommitted(run: 2, head: "h2")
        #expect(machine.state.phaseSummary == "Plan it")
        #expect(machine.state.phaseDetails == "first\n\nRevision 2: second")
        #expect(machine.state.answered == ["inline-4", "review-3"])
        #expect(machine.state.pendingFeedback.isEmpty)
    }

    // MARK: - Review and verdicts

    @Test func reviewRequestedFreezesTheJobAndAskingAgainIsARerequest() async {
        var machine = Self.afterAgent(.guided)
        _ = machine.runCommitted(run: 1, head: "h1")
        let opened = machine.reviewRequested(Self.handle)
        #expect(opened.events.map(\.type.rawValue) == ["review.opened"])
        #expect(machine.state.status == .pendingReview)
        #expect(machine.state.next == .awaitVerdict)
        #expect(machine.action == .awaitVerdict(Self.handle))
        #expect(machine.state.review == Self.handle)
        var newHead = Self.handle
        newHead.head = "h2"
        #expect(machine.reviewRequested(newHead).events.map(\.type.rawValue) == ["review.rerequested"])
        #expect(machine.state.review?.head == "h2")
    }

    @Test func aPendingVerdictChangesNothing() async {
        var machine = Self.frozen()
        let before = machine
        #expect(machine.verdictRead(.pending(waitingFor: ["bob"])).events.isEmpty)
        #expect(machine == before)
    }

    @Test func anApprovalMergesWithTheApprovers() async {
        var machine = Self.frozen()
        let transition = machine.verdictRead(.approved(by: ["ann", "bob"]))
        #expect(transition.events.map(\.type.rawValue) == ["verdict.approved"])
        #expect(transition.events.first?.data["by"] == "ann,bob")
        #expect(machine.state.status == .running)
        #expect(machine.state.next == .merge(approvers: ["ann", "bob"]))
        #expect(machine.action == .perform(.merge(approvers: ["ann", "bob"])))
    }

    @Test func aStaleApprovalAsksForAReviewAgainAndStaysFrozen() async {
        var machine = Self.frozen()
        let transition = machine.verdictRead(
            .stale(approvers: ["ann"], head: "h2"),
            pushedBy: ["Rita <rita@example.com>"]
        )
        #expect(transition.events.map(\.type.rawValue) == ["branch.reviewer_commits", "verdict.stale"])
        #expect(transition.events.last?.data["head"] == "h2")
        #expect(machine.state.next == .requestReview)
        #expect(machine.action == .perform(.requestReview))
        #expect(machine.state.status == .pendingReview)
        #expect(machine.state.coauthors == ["Rita <rita@example.com>"])
        // The same pusher seen again is credited once.
        let again = machine.verdictRead(.approved(by: ["ann"]), pushedBy: ["Rita <rita@example.com>"])
        #expect(again.events.map(\.type.rawValue) == ["verdict.approved"])
        #expect(machine.state.coauthors == ["Rita <rita@example.com>"])
    }

    @Test func requestedChangesStartANewRevisionOnTheSameBranch() async {
        var machine = Self.frozen()
        let transition = machine.verdictRead(.changesRequested(Self.items))
        #expect(transition.events.map(\.type.rawValue) == ["verdict.changes_requested"])
        #expect(transition.events.first?.data["ids"] == "review-3,inline-4")
        #expect(machine.state.status == .running)
        #expect(machine.state.revision == 2)
        #expect(machine.state.branch == "phase-1-strategic")
        #expect(machine.state.pendingFeedback == Self.items)
        #expect(machine.state.next == .runAgent(run: 2, mode: .feedback))
        #expect(machine.action == .perform(.runAgent(run: 2, mode: .feedback)))
        #expect(machine.state.review == Self.handle)
    }

    @Test func aClosedReviewRedoesThePhaseFromMainOnARevBranch() async {
        var machine = Self.frozen()
        let transition = machine.verdictRead(.closed(Self.items))
        #expect(transition.events.map(\.type.rawValue) == ["verdict.closed"])
        #expect(transition.events.first?.data["closedBranch"] == "phase-1-strategic")
        #expect(transition.events.first?.data["redoBranch"] == "phase-1-strategic-rev-2")
        #expect(machine.state.phase == PhaseRef(number: 1, type: .strategic, attempt: 2))
        #expect(machine.state.revision == 0)
        #expect(machine.state.review == nil)
        #expect(machine.state.pendingFeedback == Self.items)
        #expect(machine.state.next == .preparePhase)
        #expect(machine.action == .perform(.preparePhase))
        #expect(machine.state.status == .running)
    }

    @Test func aReviewMergedOnTheHostAdoptsTheMergeBeforeFinishing() async {
        var machine = Self.frozen()
        #expect(machine.verdictRead(.mergedOnHost).events.map(\.type.rawValue) == ["verdict.merged_on_host"])
        #expect(machine.state.next == .merge(approvers: []))
        #expect(machine.action == .perform(.merge(approvers: [])))
        #expect(machine.state.status == .running)
    }

    // MARK: - Merge and finish

    @Test func aFinishedPhaseStartsTheNextPhaseOfTheOtherType() async {
        var machine = Self.frozen()
        _ = machine.verdictRead(.approved(by: ["ann"]))
        let merged = machine.phaseMerged(commit: "c1", approvers: ["ann"])
        #expect(merged.events.map(\.type.rawValue) == ["phase.merged"])
        #expect(machine.state.merged == [MergedPhase(phase: .first, commit: "c1", approvers: ["ann"])])
        #expect(machine.state.next == .finishPhase)
        #expect(machine.action == .perform(.finishPhase))
        let revision = machine.state.revision
        let finished = machine.phaseFinished()
        #expect(finished.events.map(\.type.rawValue) == ["phase.finished"])
        // The event is the finished phase's: its number and revision, not the next one's.
        #expect(finished.events.first?.phase == 1)
        #expect(finished.events.first?.revision == revision)
        #expect(revision > 0)
        #expect(finished.events.first?.data["branch"] == "phase-1-strategic")
        #expect(machine.state.phase == PhaseRef(number: 2, type: .tactical))
        #expect(machine.state.branch == "phase-2-tactical")
        #expect(machine.state.revision == 0)
        #expect(machine.state.review == nil)
        #expect(machine.state.next == .preparePhase)
        #expect(machine.action == .perform(.preparePhase))
        #expect(machine.state.status == .running)
    }

    @Test func aPhaseReportingTheJobCompleteEndsTheJob() async {
        var machine = Self.afterAgent(.full, phase: 2, outcome: AgentOutcome(jobComplete: true))
        _ = machine.runCommitted(run: 2, head: "h")
        _ = machine.phaseMerged(commit: "c", approvers: [])
        let transition = machine.phaseFinished()
        #expect(transition.events.map(\.type.rawValue) == ["job.completed"])
        #expect(machine.state.status == .completed)
        #expect(machine.state.next == nil)
        #expect(machine.action == .stop(.completed))
    }

    @Test func reachingMaxPhasesFailsTheJobWithThatReason() async {
        var machine = Self.afterAgent(.full, phase: 3, maxPhases: 3)
        _ = machine.runCommitted(run: 3, head: "h")
        _ = machine.phaseMerged(commit: "c", approvers: [])
        let transition = machine.phaseFinished()
        #expect(transition.events.map(\.type.rawValue) == ["job.failed"])
        #expect(machine.state.status == .failed)
        #expect(machine.state.failure?.contains("maxPhases (3)") == true)
        #expect(machine.state.failure?.contains("--set maxPhases=N") == true)
        #expect(machine.state.merged.count == 3)
        // The finish stays next, so raising maxPhases lets the job go on; unchanged, it fails the same way.
        #expect(machine.state.next == .finishPhase)
        #expect(transition.action == .stop(.failed(machine.state.failure ?? "")))
        #expect(machine.resumed().action == .perform(.finishPhase))
        #expect(machine.phaseFinished().events.map(\.type.rawValue) == ["job.failed"])
        _ = machine.configured(["maxPhases": "5"], autonomy: .full, maxPhases: 5)
        _ = machine.retried()
        #expect(machine.phaseFinished().events.map(\.type.rawValue) == ["phase.finished"])
        #expect(machine.state.phase.number == 4)
        #expect(machine.state.status == .running)
    }

    @Test func aPhaseBelowMaxPhasesGoesOn() async {
        var machine = Self.afterAgent(.full, phase: 2, maxPhases: 3)
        _ = machine.runCommitted(run: 2, head: "h")
        _ = machine.phaseMerged(commit: "c", approvers: [])
        _ = machine.phaseFinished()
        #expect(machine.state.status == .running)
        #expect(machine.state.phase.number == 3)
    }

    @Test func aStepFailureKeepsTheStepToRetry() async {
        var machine = Self.frozen()
        _ = machine.verdictRead(.approved(by: ["ann"]))
        let transition = machine.stepFailed("phase-1-strategic conflicts with main")
        #expect(transition.events.map(\.type.rawValue) == ["job.failed"])
        #expect(machine.state.status == .failed)
        #expect(machine.state.next == .merge(approvers: ["ann"]))
        #expect(transition.action == .stop(.failed("phase-1-strategic conflicts with main")))
        _ = machine.retried()
        #expect(machine.state.next == .merge(approvers: ["ann"]))
        #expect(machine.action == .perform(.merge(approvers: ["ann"])))
        #expect(machine.state.status == .running)
    }

    @Test func everyEventCarriesThePhaseAndRevision() async {
        var machine = Self.frozen()
        let transition = machine.verdictRead(.changesRequested(Self.items))
        #expect(transition.events.allSatisfy { $0.phase == 1 && $0.revision == 2 })
    }
}
