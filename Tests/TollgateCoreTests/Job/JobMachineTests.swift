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

    // MARK: - Start and prepare

    @Test func startedMovesACreatedJobToRunningBeforeItsFirstPhase() async {
        var machine = Self.machine()
        let events = machine.started()
        #expect(machine.state.status == .running)
        #expect(machine.state.next == .preparePhase)
        #expect(events.map(\.type.rawValue) == ["job.started"])
        #expect(events.first?.data["autonomy"] == "guided")
    }

    @Test func phasePreparedStartsTheFirstRevisionInWorkMode() async {
        var machine = Self.machine()
        _ = machine.started()
        let events = machine.phasePrepared(base: "abc")
        #expect(machine.state.revision == 1)
        #expect(machine.state.runs == 1)
        #expect(machine.state.next == .runAgent(run: 1, mode: .work))
        #expect(events.map(\.type.rawValue) == ["phase.started"])
        #expect(events.first?.data["branch"] == "phase-1-strategic")
        #expect(events.first?.data["base"] == "abc")
        #expect(events.first?.phase == 1)
    }

    @Test func phasePreparedWithPendingFeedbackRunsInFeedbackMode() async {
        var machine = Self.frozen()
        _ = machine.verdictRead(.closed(Self.items))
        _ = machine.phasePrepared(base: "main")
        #expect(machine.state.next == .runAgent(run: 2, mode: .feedback))
        #expect(machine.state.branch == "phase-1-strategic-rev-2")
    }

    // MARK: - Agent failure

    @Test func aFailedAgentRunFailsTheJobAfterItsWorkIsCommitted() async {
        var machine = Self.machine()
        _ = machine.started()
        _ = machine.phasePrepared(base: "b")
        let finished = machine.agentFinished(run: 1, report: AgentReport(failure: "the agent exited with status 2"))
        #expect(finished.map(\.type.rawValue) == ["agent.failed"])
        #expect(finished.first?.data["failure"] == "the agent exited with status 2")
        // The work is committed first: the job is still running until the commit is recorded.
        #expect(machine.state.next == .commitRun(run: 1))
        #expect(machine.state.status == .running)

        let committed = machine.runCommitted(run: 1, head: "h")
        #expect(committed.map(\.type.rawValue) == ["revision.committed", "job.failed"])
        #expect(machine.state.status == .failed)
        #expect(machine.state.failure?.contains("the agent exited with status 2") == true)
        #expect(machine.state.failure?.contains("phase 1") == true)
        // A rerun runs the agent again, as a new run of the same phase.
        #expect(machine.state.next == .runAgent(run: 2, mode: .work))

        let retried = machine.retried()
        #expect(retried.map(\.type.rawValue) == ["job.retried"])
        #expect(machine.state.status == .running)
        #expect(machine.state.failure == nil)
    }

    @Test func retriedDoesNothingToAJobThatDidNotFail() async {
        var machine = Self.machine()
        _ = machine.started()
        let before = machine
        #expect(machine.retried().isEmpty)
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
        let events = machine.agentFinished(run: 1, report: report)
        #expect(events.map(\.type.rawValue) == ["agent.finished"])
        #expect(events.first?.data["warning1"] == "odd")
        #expect(events.first?.data["summary"] == "plan")
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
        let events = machine.runCommitted(run: machine.state.runs, head: "head", guardReason: row.guardReason)
        #expect(events.first?.type == "revision.committed")
        #expect(events.first?.data["head"] == "head")
        #expect(machine.state.jobComplete == row.jobComplete)
        #expect(machine.state.freezeReason == row.freezes)
        if let reason = row.freezes {
            #expect(machine.state.next == .requestReview)
            #expect(events.last?.type == "boundary.freeze")
            #expect(events.last?.data["reason"] == reason.description)
        } else {
            #expect(machine.state.next == .merge(approvers: []))
            #expect(events.last?.type == "boundary.merge")
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
        #expect(opened.map(\.type.rawValue) == ["review.opened"])
        #expect(machine.state.status == .pendingReview)
        #expect(machine.state.next == .awaitVerdict)
        #expect(machine.state.review == Self.handle)
        var newHead = Self.handle
        newHead.head = "h2"
        #expect(machine.reviewRequested(newHead).map(\.type.rawValue) == ["review.rerequested"])
        #expect(machine.state.review?.head == "h2")
    }

    @Test func aPendingVerdictChangesNothing() async {
        var machine = Self.frozen()
        let before = machine
        #expect(machine.verdictRead(.pending(waitingFor: ["bob"])).isEmpty)
        #expect(machine == before)
    }

    @Test func anApprovalMergesWithTheApprovers() async {
        var machine = Self.frozen()
        let events = machine.verdictRead(.approved(by: ["ann", "bob"]))
        #expect(events.map(\.type.rawValue) == ["verdict.approved"])
        #expect(events.first?.data["by"] == "ann,bob")
        #expect(machine.state.status == .running)
        #expect(machine.state.next == .merge(approvers: ["ann", "bob"]))
    }

    @Test func aStaleApprovalAsksForAReviewAgainAndStaysFrozen() async {
        var machine = Self.frozen()
        let events = machine.verdictRead(.stale(approvers: ["ann"], head: "h2"), pushedBy: ["Rita <rita@example.com>"])
        #expect(events.map(\.type.rawValue) == ["branch.reviewer_commits", "verdict.stale"])
        #expect(events.last?.data["head"] == "h2")
        #expect(machine.state.next == .requestReview)
        #expect(machine.state.status == .pendingReview)
        #expect(machine.state.coauthors == ["Rita <rita@example.com>"])
        // The same pusher seen again is credited once.
        let again = machine.verdictRead(.approved(by: ["ann"]), pushedBy: ["Rita <rita@example.com>"])
        #expect(again.map(\.type.rawValue) == ["verdict.approved"])
        #expect(machine.state.coauthors == ["Rita <rita@example.com>"])
    }

    @Test func requestedChangesStartANewRevisionOnTheSameBranch() async {
        var machine = Self.frozen()
        let events = machine.verdictRead(.changesRequested(Self.items))
        #expect(events.map(\.type.rawValue) == ["verdict.changes_requested"])
        #expect(events.first?.data["ids"] == "review-3,inline-4")
        #expect(machine.state.status == .running)
        #expect(machine.state.revision == 2)
        #expect(machine.state.branch == "phase-1-strategic")
        #expect(machine.state.pendingFeedback == Self.items)
        #expect(machine.state.next == .runAgent(run: 2, mode: .feedback))
        #expect(machine.state.review == Self.handle)
    }

    @Test func aClosedReviewRedoesThePhaseFromMainOnARevBranch() async {
        var machine = Self.frozen()
        let events = machine.verdictRead(.closed(Self.items))
        #expect(events.map(\.type.rawValue) == ["verdict.closed"])
        #expect(events.first?.data["closedBranch"] == "phase-1-strategic")
        #expect(events.first?.data["redoBranch"] == "phase-1-strategic-rev-2")
        #expect(machine.state.phase == PhaseRef(number: 1, type: .strategic, attempt: 2))
        #expect(machine.state.revision == 0)
        #expect(machine.state.review == nil)
        #expect(machine.state.pendingFeedback == Self.items)
        #expect(machine.state.next == .preparePhase)
        #expect(machine.state.status == .running)
    }

    @Test func aReviewMergedOnTheHostAdoptsTheMergeBeforeFinishing() async {
        var machine = Self.frozen()
        #expect(machine.verdictRead(.mergedOnHost).map(\.type.rawValue) == ["verdict.merged_on_host"])
        #expect(machine.state.next == .merge(approvers: []))
        #expect(machine.state.status == .running)
    }

    // MARK: - Merge and finish

    @Test func aFinishedPhaseStartsTheNextPhaseOfTheOtherType() async {
        var machine = Self.frozen()
        _ = machine.verdictRead(.approved(by: ["ann"]))
        let merged = machine.phaseMerged(commit: "c1", approvers: ["ann"])
        #expect(merged.map(\.type.rawValue) == ["phase.merged"])
        #expect(machine.state.merged == [MergedPhase(phase: .first, commit: "c1", approvers: ["ann"])])
        #expect(machine.state.next == .finishPhase)
        let revision = machine.state.revision
        let finished = machine.phaseFinished()
        #expect(finished.map(\.type.rawValue) == ["phase.finished"])
        // The event is the finished phase's: its number and revision, not the next one's.
        #expect(finished.first?.phase == 1)
        #expect(finished.first?.revision == revision)
        #expect(revision > 0)
        #expect(finished.first?.data["branch"] == "phase-1-strategic")
        #expect(machine.state.phase == PhaseRef(number: 2, type: .tactical))
        #expect(machine.state.branch == "phase-2-tactical")
        #expect(machine.state.revision == 0)
        #expect(machine.state.review == nil)
        #expect(machine.state.next == .preparePhase)
        #expect(machine.state.status == .running)
    }

    @Test func aPhaseReportingTheJobCompleteEndsTheJob() async {
        var machine = Self.afterAgent(.full, phase: 2, outcome: AgentOutcome(jobComplete: true))
        _ = machine.runCommitted(run: 2, head: "h")
        _ = machine.phaseMerged(commit: "c", approvers: [])
        let events = machine.phaseFinished()
        #expect(events.map(\.type.rawValue) == ["job.completed"])
        #expect(machine.state.status == .completed)
        #expect(machine.state.next == nil)
    }

    @Test func reachingMaxPhasesFailsTheJobWithThatReason() async {
        var machine = Self.afterAgent(.full, phase: 3, maxPhases: 3)
        _ = machine.runCommitted(run: 3, head: "h")
        _ = machine.phaseMerged(commit: "c", approvers: [])
        let events = machine.phaseFinished()
        #expect(events.map(\.type.rawValue) == ["job.failed"])
        #expect(machine.state.status == .failed)
        #expect(machine.state.failure?.contains("maxPhases (3)") == true)
        #expect(machine.state.failure?.contains("--set maxPhases=N") == true)
        #expect(machine.state.merged.count == 3)
        // The finish stays next, so raising maxPhases lets the job go on; unchanged, it fails the same way.
        #expect(machine.state.next == .finishPhase)
        _ = machine.retried()
        #expect(machine.phaseFinished().map(\.type.rawValue) == ["job.failed"])
        _ = machine.configured(["maxPhases": "5"], autonomy: .full, maxPhases: 5)
        _ = machine.retried()
        #expect(machine.phaseFinished().map(\.type.rawValue) == ["phase.finished"])
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
        let events = machine.stepFailed("phase-1-strategic conflicts with main")
        #expect(events.map(\.type.rawValue) == ["job.failed"])
        #expect(machine.state.status == .failed)
        #expect(machine.state.next == .merge(approvers: ["ann"]))
        _ = machine.retried()
        #expect(machine.state.next == .merge(approvers: ["ann"]))
        #expect(machine.state.status == .running)
    }

    @Test func everyEventCarriesThePhaseAndRevision() async {
        var machine = Self.frozen()
        let events = machine.verdictRead(.changesRequested(Self.items))
        #expect(events.allSatisfy { $0.phase == 1 && $0.revision == 2 })
    }
}
