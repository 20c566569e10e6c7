import Foundation
import Testing
import TollgateCore
import TollgateTestSupport

@testable import TollgateEngine

/// DESIGN §11 in the driver: every agent run reserves before it starts and is charged after; a hard cap the next
/// run would cross blocks the job before it starts, a soft cap freezes the boundary after the run that crossed it
/// (at every level, once), and the spend survives crashes, resumes and cap changes.
@Suite(.runsProcesses)
struct BudgetRunTests {
    /// 100 tokens a run.
    static let usage = AgentOutcome.Usage(inputTokens: 60, outputTokens: 40)

    func job(_ label: String, autonomy: AutonomyLevel = .full, completeAt: Int = 5, _ assignments: [String])
        async throws
        -> LocalJob
    {
        try await LocalJob(
            label,
            autonomy: autonomy,
            completeAt: completeAt,
            assignments: assignments,
            usage: Self.usage
        )
    }

    func count(_ type: JobEventType, in job: LocalJob) throws -> Int { try job.events.filter { $0.type == type }.count }

    @Test func aHardCapBlocksTheRunThatWouldCrossItAndRaisingItGoesOnWithTheSpendKept() async throws {
        let job = try await job("budget-hard", ["budget.tokens.hard=250", "agent.reserve.tokens=100"])
        let result = try await job.run()
        guard case .blocked(let message) = result else {
            Issue.record("the run was not blocked: \(result)")
            return
        }
        for words in [
            "budget.tokens.hard is 250 tokens", "spent 200 tokens", "reserves 100 tokens",
            "--set budget.tokens.hard=300`", "tollgate run",
        ] {
            #expect(message.contains(words), "'\(words)' missing from: \(message)")
        }
        let blocked = try job.state
        #expect(blocked.status == .blocked)
        #expect(blocked.budget?.account.spent[.tokens] == 200)
        #expect(blocked.budget?.account.reserved.isEmpty == true)
        #expect(job.scripted?.runs.count == 2, "the run that would cross the cap started")
        #expect(try count(.budgetBlocked, in: job) == 1)

        // Still over: blocked again, nothing runs.
        guard case .blocked = try await job.run() else {
            Issue.record("a second run went past the cap")
            return
        }
        #expect(job.scripted?.runs.count == 2)

        try job.configure(["budget.tokens.hard=1000"])
        #expect(try await job.run() == .completed)
        let done = try job.state
        #expect(done.budget?.account.spent[.tokens] == 500, "raising the cap reset or lost spend")
        #expect(try count(.budgetReserved, in: job) == 5)
        #expect(try count(.budgetCharged, in: job) == 5)
        #expect(try count(.jobUnblocked, in: job) == 2)
    }

    @Test func aCapOnAUnitRunsReserveNothingOfRefusesToStartRuns() async throws {
        let job = try await job("budget-unreserved", ["budget.costUSD.hard=5"])
        guard case .blocked(let message) = try await job.run() else {
            Issue.record("a run started under a cap that cannot be checked")
            return
        }
        #expect(message.contains("budget.costUSD.hard is $5.00 but runs reserve no costUSD"), "\(message)")
        #expect(message.contains("--set agent.reserve.costUSD="), "\(message)")
        #expect(job.scripted?.runs.isEmpty == true)
    }

    @Test func aSoftCapFreezesAFullJobOnceAtTheBoundaryAfterTheRunThatCrossedIt() async throws {
        let job = try await job("budget-soft", completeAt: 4, ["budget.tokens.soft=150"])
        let first = try await job.run()
        #expect(first.isFrozen, "\(first)")
        let frozen = try job.state
        #expect(frozen.phase.number == 2, "the freeze is not at the boundary after the crossing run")
        let reason = frozen.freezeReason?.description ?? ""
        #expect(reason.contains("budget.tokens.soft is 150 tokens"), "\(reason)")
        #expect(try count(.budgetSoftCap, in: job) == 1)

        try job.review(.approve)
        #expect(try await job.resume() == .completed, "the crossing froze more than once")
        #expect(try count(.budgetSoftCap, in: job) == 1)
        #expect(try job.state.budget?.account.spent[.tokens] == 400)
    }

    @Test func aRunThatReportsNothingIsChargedItsReservationWithAWarning() async throws {
        let job = try await LocalJob(
            "budget-unreported",
            autonomy: .full,
            completeAt: 1,
            assignments: ["budget.tokens.hard=1000", "agent.reserve.tokens=120"]
        )
        #expect(try await job.run() == .completed)
        #expect(try job.state.budget?.account.spent[.tokens] == 120)
        let charged = try #require(try job.events.first { $0.type == .budgetCharged })
        #expect(charged.data["warning1"]?.contains("charged its reservation") == true, "\(charged.data)")
        #expect(job.progress.contains { $0.contains("warning: budget:") })
    }

    @Test func budgetSecondsHardShortensTheAgentsTimeout() async throws {
        let job = try await job("budget-seconds", completeAt: 1, ["budget.seconds.hard=7", "agent.timeoutSeconds=600"])
        #expect(try await job.run() == .completed)
        let timeout = try #require(job.scripted?.runs.first?.invocation.timeoutSeconds)
        #expect(timeout == 7)
        #expect((try job.state.budget?.account.spent[.seconds] ?? 0) > 0)
    }

    @Test func aJobWithoutCapsKeepsItsSpendWithoutEvents() async throws {
        let job = try await job("budget-none", completeAt: 2, [])
        #expect(try await job.run() == .completed)
        #expect(try job.state.budget?.account.spent[.tokens] == 200)
        #expect(try job.events.allSatisfy { !$0.type.rawValue.hasPrefix("budget.") })
    }

    /// A crash between the reservation and the charge leaves the reservation spent; one after the agent's report
    /// was kept charges the report once.
    @Test(arguments: [FaultPoint.afterReserve, .afterAgent])
    func aCrashBetweenReserveAndChargeLosesNoSpend(fault: FaultPoint) async throws {
        // Killed during the run: its reservation counts as spent, then the run again; after it: its report, once.
        let spent: Double = fault == .afterReserve ? 100 + 100 : 100
        let job = try await job(
            "budget-crash-\(fault.rawValue)",
            completeAt: 1,
            ["budget.tokens.hard=1000", "agent.reserve.tokens=100"]
        )
        let armed = FaultPoint.Spec(fault.rawValue).map(FaultPoint.InProcess.init)
        await #expect(throws: FaultPoint.Injected.self) {
            try await FaultPoint.$inProcess.withValue(armed) { try await job.run() }
        }
        #expect(try await job.run() == .completed)
        let account = try #require(try job.state.budget?.account)
        #expect(account.spent[.tokens] == spent)
        #expect(account.reserved.isEmpty)
    }

    /// A reservation costs no state commit: it is journaled (`.git/tollgate/uncommitted.json`) and rides with the
    /// run's own commit, so a capped job makes the commits an uncapped one makes, and its trail still has every
    /// reservation.
    @Test func aReservationIsJournaledAndRidesWithTheNextStateCommit() async throws {
        let capped = try await job(
            "budget-journal",
            completeAt: 3,
            ["budget.tokens.hard=1000", "agent.reserve.tokens=100"]
        )
        #expect(try await capped.run() == .completed)
        let uncapped = try await job("budget-journal-none", completeAt: 3, [])
        #expect(try await uncapped.run() == .completed)
        let commits = { (job: LocalJob) in try await GitCLI.lines(["rev-list", "tollgate/state"], in: job.root).count }
        #expect(try await commits(capped) == commits(uncapped))
        #expect(try count(.budgetReserved, in: capped) == 3)
        #expect(try capped.state.budget?.account.spent[.tokens] == 300)
        // Committed: the journal holds nothing any more.
        let journal = try Data(contentsOf: capped.root.appendingPathComponent(".git/tollgate/uncommitted.json"))
        #expect(!journal.contains(where: { $0 != 0x20 }))
    }

    /// A reservation journaled by a process killed during its run is taken up by the next command that loads the
    /// job, whatever it is; once a state commit carried it, it is not taken up again: the killed run counts once.
    @Test func aJournaledReservationIsCountedOnceWhicheverCommandCommitsItFirst() async throws {
        let job = try await job(
            "budget-journal-crash",
            completeAt: 1,
            ["budget.tokens.hard=1000", "agent.reserve.tokens=100"]
        )
        let armed = FaultPoint.Spec(FaultPoint.afterReserve.rawValue).map(FaultPoint.InProcess.init)
        await #expect(throws: FaultPoint.Injected.self) {
            try await FaultPoint.$inProcess.withValue(armed) { try await job.run() }
        }
        // `status` reads it back before anything committed it.
        #expect(try job.state.budget?.account.reserved["run-1"] == [.tokens: 100])
        // `config --set` commits first, and carries the reservation.
        let journalFile = job.root.appendingPathComponent(".git/tollgate/uncommitted.json")
        let journal = try Data(contentsOf: journalFile)
        try job.configure(["budget.tokens.soft=900"])
        #expect(try count(.budgetReserved, in: job) == 1)
        // As if that command had been killed between its commit and clearing the journal: the journal names the
        // state it was made on, which is no longer the tip, so nothing takes it up again.
        try journal.write(to: journalFile)
        #expect(try await job.run() == .completed)
        let account = try #require(try job.state.budget?.account)
        // The killed run's reservation, then the run again: 100 + 100, not a third 100 from the journal.
        #expect(account.spent[.tokens] == 200)
        #expect(account.reserved.isEmpty)
        #expect(try count(.budgetReserved, in: job) == 2)
    }

    /// Parallel runs (a plan's tasks) reserve through one guard: however many ask at once, what they hold never
    /// passes the cap.
    @Test func parallelReservationsNeverPassTheHardCap() async throws {
        let directory = try TemporaryDirectory("budget-parallel")
        let config = try ResolvedConfig(
            layers: [ConfigLayer(assignments: ["budget.tokens.hard=1000", "agent.reserve.tokens=300"], source: "test")]
        )
        let budget = BudgetGuard(
            settings: BudgetSettings(config),
            account: BudgetAccount(),
            job: "job",
            root: directory.url,
            environment: [:]
        )
        let admitted = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<12 {
                group.addTask {
                    if case .admitted = await budget.reserve(
                        "task-\(index)",
                        reservation: [.tokens: 300],
                        secondsNeeded: 60
                    ) {
                        return true
                    }
                    return false
                }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(admitted == 3)
    }
}

/// `budget.seconds.hard` with less than a second left: no run starts with a timeout of 0.
@Suite(.runsProcesses)
struct BudgetSecondsLeftTests {
    func guarded(spentSeconds: Double) throws -> BudgetGuard {
        let directory = try TemporaryDirectory("budget-seconds-left")
        let config = try ResolvedConfig(layers: [ConfigLayer(assignments: ["budget.seconds.hard=10"], source: "test")])
        var account = BudgetAccount()
        account.spent[.seconds] = spentSeconds
        return BudgetGuard(
            settings: BudgetSettings(config),
            account: account,
            job: "job",
            root: directory.url,
            environment: [:]
        )
    }

    @Test func lessThanASecondLeftRefusesTheRunInsteadOfGivingItNoTime() async throws {
        let budget = try guarded(spentSeconds: 9.5)
        guard case .blocked(let message, let cap, _) = await budget.refusalForNoSecondLeft(600, runKey: "run-3") else {
            Issue.record("a run could start with half a second left")
            return
        }
        #expect(cap == "budget.seconds.hard")
        #expect(message.contains("budget.seconds.hard is 10 s"), "\(message)")
        let (task, deadline) = await budget.reserve("task-a", reservation: [:], holdingSecondsOf: 600)
        #expect(deadline.limit.seconds == 0)
        guard case .blocked = task else {
            Issue.record("a task could start with half a second left")
            return
        }
    }

    @Test func aWholeSecondLeftLetsTheRunStartWithThatTimeout() async throws {
        let budget = try guarded(spentSeconds: 8.5)
        #expect(await budget.refusalForNoSecondLeft(600, runKey: "run-3") == nil)
        let (task, deadline) = await budget.reserve("task-a", reservation: [:], holdingSecondsOf: 600)
        #expect(deadline.limit.seconds == 1)
        #expect(deadline.limit.cap?.key == "budget.seconds.hard")
        guard case .admitted(let account, _) = task else {
            Issue.record("a task with a second left was refused: \(task)")
            return
        }
        #expect(account.reserved["task-a"] == [.seconds: 1])
    }
}
