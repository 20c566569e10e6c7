import Testing
import TollgateCore

/// DESIGN §10's table: what `dispatch.mode` and `todos.yaml` make of a tactical phase.
struct PlanDecisionTests {
    static let one = TodoPlan(todos: [PlanTodo(id: "a", title: "A")])
    static let two = TodoPlan(todos: [PlanTodo(id: "a", title: "A"), PlanTodo(id: "b", title: "B", dependsOn: ["a"])])
    static let errors = [PlanError(line: 2, column: 3, message: "tabs are not allowed")]

    @Test(
        arguments: [
            (DispatchMode.auto, nil, PlanDecision.single),
            (.auto, .noPlan, .single),
            (.auto, .plan(one), .single),
            (.auto, .plan(two), .dispatch(two)),
            (.auto, .invalid(errors), .skipped(errors)),
            (.tasks, nil, .single),
            (.tasks, .noPlan, .single),
            (.tasks, .plan(one), .dispatch(one)),
            (.tasks, .invalid(errors), .invalid(errors)),
            (.single, .plan(two), .single),
            (.single, .invalid(errors), .single),
        ] as [(DispatchMode, PlanReading?, PlanDecision)]
    )
    func decides(mode: DispatchMode, reading: PlanReading?, expected: PlanDecision) async {
        #expect(PlanDecision.decide(mode: mode, reading: reading) == expected)
    }

    /// A failed plan freezes its boundary at every level, `full` included, and hands its failures to a feedback run.
    @Test func aFailedVerificationFreezesAtFullAndBecomesFeedback() async {
        var job = JobState(
            id: "j",
            description: "",
            expert: nil,
            autonomy: .full,
            reviewHost: .local,
            maxPhases: 9
        )
        job.status = .running
        job.phase = PhaseRef(number: 2, type: .tactical)
        var machine = JobMachine(state: job)
        let prepared = machine.phasePrepared(base: "base", plan: .dispatch(Self.two))
        #expect(machine.state.next == .dispatch)
        #expect(prepared.action == .perform(.dispatch))
        _ = machine.taskStarted("a", startPoint: "base")
        _ = machine.taskFinished("a", report: AgentReport(failure: "exit 1"), tip: "tip", durationMs: 5)
        _ = machine.tasksBlocked(["b"])
        let completed = machine.dispatchCompleted()
        #expect(machine.state.next == .verify(run: 1))
        #expect(completed.action == .perform(.verify(run: 1)))
        let verified = machine.verified(commit: "head", critique: false)
        #expect(verified.events.map(\.type) == [.planFailed, .boundaryFreeze])
        #expect(machine.state.plan?.status == .failed)
        #expect(machine.state.next == .requestReview)
        #expect(verified.action == .perform(.requestReview))
        #expect(machine.state.freezeReason?.description.contains("task `a` failed: exit 1") == true)
        _ = machine.reviewRequested(ReviewHandle(host: .local, id: 1, location: "here", head: "head"))
        _ = machine.verdictRead(.changesRequested([]))
        #expect(
            machine.state.pendingFeedback.map(\.body) == [
                "Task `a` failed: exit 1.", "Task `b` is blocked: `a` did not land.",
            ]
        )
    }
}
