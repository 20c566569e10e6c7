import Foundation
import Testing
import TollgateCore
import TollgateTestSupport

@testable import TollgateEngine

/// DESIGN §11 in a dispatched plan (§10): each task reserves through the job's one guard before its agent starts,
/// so tasks running at once never together pass a hard cap; a task refused does not start, the job is `blocked`
/// with the tasks that finished kept, and raising the cap goes on with only the tasks not finished.
@Suite(.runsProcesses)
struct BudgetDispatchTests {
    /// Four todos with nothing between them: all four are ready at once.
    static let four = """
        todos:
          - id: a
            title: A
          - id: b
            title: B
          - id: c
            title: C
          - id: d
            title: D

        """

    /// The job frozen after its strategic phase 1 (run without caps), then given `caps` and approved: the next
    /// `resume` dispatches the plan.
    static func planned(_ label: String, agent: PlanAgentRunner, caps: [String]) async throws -> LocalJob {
        let job = try await LocalJob(
            label,
            autonomy: .dependent,
            assignments: ["dispatch.maxParallel=4"],
            runner: agent
        )
        #expect(try await job.run().isFrozen)
        _ = try job.configure(caps)
        try job.review(.approve)
        return job
    }

    func count(_ type: JobEventType, in job: LocalJob, task: Bool = true) throws -> Int {
        try job.events.filter { $0.type == type && (!task || ($0.data["run"] ?? "").contains("-task-")) }.count
    }

    @Test func aHardCapOfTwoAndAHalfReservationsStartsTwoOfFourReadyTasksAndBlocks() async throws {
        let tasks: [String: PlanAgentRunner.Behaviour] = Dictionary(
            uniqueKeysWithValues: ["a", "b", "c", "d"].map { ($0, .init(usage: .init(outputTokens: 10))) }
        )
        let agent = PlanAgentRunner(plan: Self.four, tasks: tasks)
        let job = try await Self.planned(
            "budget-dispatch-hard",
            agent: agent,
            caps: ["budget.tokens.hard=25", "agent.reserve.tokens=10"]
        )
        let result = try await job.resume()
        guard case .blocked(let message) = result else {
            Issue.record("the dispatch was not blocked: \(result)")
            return
        }
        #expect(message.contains("budget.tokens.hard is 25 tokens"), "\(message)")
        #expect(message.contains("spent 20 tokens"), "\(message)")
        #expect(message.contains("--set budget.tokens.hard=30`"), "\(message)")
        #expect(agent.taskRuns.compactMap(\.task).sorted() == ["a", "b"], "only the first two fit under the cap")

        let blocked = try job.state
        #expect(blocked.status == .blocked)
        #expect(blocked.budget?.account.spent[.tokens] == 20)
        #expect(blocked.budget?.account.reserved.isEmpty == true)
        let plan = try #require(blocked.plan)
        #expect(plan.tasks.map(\.state) == [.done, .done, .queued, .queued], "the finished tasks were not kept")
        #expect(try count(.budgetReserved, in: job) == 2)
        #expect(try count(.budgetCharged, in: job) == 2)
        #expect(try count(.budgetBlocked, in: job, task: false) == 1)

        // Raised: only the two tasks not finished run, and the spend so far is kept.
        _ = try job.configure(["budget.tokens.hard=1000"])
        #expect(try await job.run().isFrozen)
        for id in ["a", "b", "c", "d"] { #expect(agent.runCount(of: id) == 1, "task \(id)") }
        let done = try job.state
        #expect(done.plan?.tasks.map(\.state) == [.done, .done, .done, .done])
        #expect(done.budget?.account.spent[.tokens] == 40)
        #expect(done.budget?.account.reserved.isEmpty == true)
        #expect(try count(.budgetReserved, in: job) == 4)
        #expect(try count(.budgetCharged, in: job) == 4)
    }

    @Test func aTaskThatReportsNothingIsChargedItsReservationWithAWarning() async throws {
        let agent = PlanAgentRunner(plan: Self.four, tasks: ["a": .init(usage: nil)])
        let job = try await Self.planned(
            "budget-dispatch-silent",
            agent: agent,
            caps: ["budget.tokens.hard=1000", "agent.reserve.tokens=30"]
        )
        #expect(try await job.resume().isFrozen)
        // a is charged its reservation, the three others what they report.
        #expect(try job.state.budget?.account.spent[.tokens] == 30 + 3 * 10)
        let charged = try #require(
            try job.events.first { $0.type == .budgetCharged && $0.data["run"]?.hasSuffix("task-a") == true }
        )
        #expect(charged.data["warning1"]?.contains("charged its reservation") == true, "\(charged.data)")
    }

    @Test func tasksRunningAtOnceHoldTheirSecondsSoTogetherTheyStayUnderTheSecondsCap() async throws {
        let agent = PlanAgentRunner(plan: Self.four)
        let job = try await Self.planned(
            "budget-dispatch-seconds",
            agent: agent,
            caps: ["budget.seconds.hard=100", "agent.timeoutSeconds=60"]
        )
        #expect(try await job.resume().isFrozen)
        let runs = agent.taskRuns.sorted { $0.started < $1.started }
        #expect(runs.count == 4)
        // The first two share the cap: 60 s for the one that reserved first and what is left for the other (which of
        // the two agents is seen starting first is up to the scheduler); the third waited for one to be charged.
        let firstTwo = runs.prefix(2).map(\.timeoutSeconds).sorted()
        #expect(firstTwo.last == 60, "\(firstTwo)")
        #expect(firstTwo[0] > 0 && firstTwo.reduce(0, +) <= 100, "\(firstTwo)")
        #expect(runs[2].started > min(runs[0].ended, runs[1].ended))
        #expect(try job.state.budget?.account.reserved.isEmpty == true)
    }

    /// A task killed between its reservation and its charge leaves the reservation spent; one whose result was kept
    /// before the crash is charged that result, once.
    @Test(arguments: [FaultPoint.afterReserve, .afterTaskFinish])
    func aCrashInATaskLosesNoSpend(fault: FaultPoint) async throws {
        let agent = PlanAgentRunner(plan: Self.four)
        let job = try await Self.planned(
            "budget-dispatch-crash-\(fault.rawValue)",
            agent: agent,
            caps: ["budget.tokens.hard=1000", "agent.reserve.tokens=30", "dispatch.maxParallel=1"]
        )
        let armed = FaultPoint.Spec(fault.rawValue).map(FaultPoint.InProcess.init)
        await #expect(throws: FaultPoint.Injected.self) {
            try await FaultPoint.$inProcess.withValue(armed) { try await job.resume() }
        }
        #expect(try await job.run().isFrozen)
        let account = try #require(try job.state.budget?.account)
        // afterReserve: the first task's reservation (30) is spent, then it runs again; afterTaskFinish: its kept
        // result (10) is charged once.
        let spent: Double = fault == .afterReserve ? 30 + 4 * 10 : 4 * 10
        #expect(account.spent[.tokens] == spent)
        #expect(account.reserved.isEmpty)
    }
}
