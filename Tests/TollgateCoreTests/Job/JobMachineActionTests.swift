import Testing
import TollgateCore

/// What the machine tells the shell to do next, input by input: the one `switch` the driver follows.
struct JobMachineActionTests {
    typealias M = JobMachineTests

    @Test func aJobIsStartedByARunRequestAndThenPreparesItsPhase() {
        var machine = M.machine(.full)
        #expect(machine.nextAction == .finish(.failed(cause: "the job has not started")))
        #expect(machine.runRequested().map(\.type) == [.jobStarted])
        #expect(machine.nextAction == .perform(.preparePhase))
        // Asked again while it runs: nothing happens, nothing is recorded.
        #expect(machine.runRequested().isEmpty)
        #expect(machine.nextAction == .perform(.preparePhase))
    }

    @Test func eachInputOfAFullAutonomyPhaseAnswersWithItsNextStep() {
        var machine = M.machine(.full)
        _ = machine.runRequested()
        _ = machine.phasePrepared(base: "base")
        #expect(machine.nextAction == .perform(.runAgent(run: 1, mode: .work)))
        _ = machine.agentFinished(run: 1, report: AgentReport(outcome: AgentOutcome(summary: "s")))
        #expect(machine.nextAction == .perform(.commitRun(run: 1)))
        _ = machine.runCommitted(run: 1, head: "h")
        #expect(machine.nextAction == .perform(.merge(approvers: [])))
        _ = machine.phaseMerged(commit: "c", approvers: [])
        #expect(machine.nextAction == .perform(.finishPhase))
        _ = machine.phaseFinished()
        #expect(machine.nextAction == .perform(.preparePhase))
    }

    @Test func aFrozenJobAwaitsTheVerdictOnItsReviewAndAnApprovalMerges() {
        var machine = M.frozen()
        #expect(machine.nextAction == .awaitVerdict(M.handle))
        _ = machine.verdictRead(.pending(waitingFor: ["ann"]))
        #expect(machine.nextAction == .awaitVerdict(M.handle))
        _ = machine.verdictRead(.approved(by: ["ann"]))
        #expect(machine.nextAction == .perform(.merge(approvers: ["ann"])))
    }

    @Test func changesRequestedRunTheAgentInFeedbackMode() {
        var machine = M.frozen()
        _ = machine.verdictRead(.changesRequested(M.items))
        #expect(machine.nextAction == .perform(.runAgent(run: 2, mode: .feedback)))
    }

    @Test func aFailedStepFinishesTheCommandAndARunRequestTriesItAgain() {
        var machine = M.afterAgent(.full)
        _ = machine.stepFailed("phase-1-strategic conflicts with main")
        #expect(machine.nextAction == .finish(.failed(cause: "phase-1-strategic conflicts with main")))
        #expect(machine.runRequested().map(\.type) == [.jobRetried])
        #expect(machine.nextAction == .perform(.commitRun(run: 1)))
    }

    @Test func aCompletedOrCancelledJobFinishesAndARunRequestChangesNothing() {
        var done = M.afterAgent(.full, outcome: AgentOutcome(summary: "s", jobComplete: true))
        _ = done.runCommitted(run: 1, head: "h")
        _ = done.phaseMerged(commit: "c", approvers: [])
        _ = done.phaseFinished()
        #expect(done.nextAction == .finish(.completed))
        #expect(done.runRequested().isEmpty)

        var cancelled = M.frozen()
        _ = cancelled.cancelled(reason: "not needed")
        #expect(cancelled.nextAction == .finish(.cancelled))
        #expect(cancelled.runRequested().isEmpty)
        #expect(cancelled.nextAction == .finish(.cancelled))
    }
}
