import Foundation
import Testing
import TollgateCore

/// The decisions around one run (DESIGN §11) as tables: what a report is charged, what a crash leaves spent, what a
/// blocked job is told, the status bar, and the machine's budget inputs (soft freeze once, blocked, unblocked).
struct BudgetCheckTests {
    @Test(
        arguments: [
            (AgentOutcome.Usage?.none, nil, [BudgetUnit: Double]()),
            (AgentOutcome.Usage(), 3.5, [.seconds: 3.5]),
            (AgentOutcome.Usage(inputTokens: 10), nil, [.tokens: 10]),
            (
                AgentOutcome.Usage(inputTokens: 10, outputTokens: 5, costUSD: 0.25), 1,
                [.tokens: 15, .costUSD: 0.25, .seconds: 1]
            ),
            (AgentOutcome.Usage(outputTokens: 0, costUSD: 0), nil, [.tokens: 0, .costUSD: 0]),
        ] as [(AgentOutcome.Usage?, Double?, [BudgetUnit: Double])]
    )
    func aReportIsChargedWhatItSays(usage: AgentOutcome.Usage?, seconds: Double?, charged: [BudgetUnit: Double]) async {
        #expect(BudgetCheck.usage(usage, seconds: seconds) == charged)
    }

    @Test func reservationsOfRunsThatNeverReportedCountAsSpentButLiveOnesStayHeld() async {
        var account = BudgetAccount()
        account.spent = [.tokens: 50]
        account.reserved = ["run-1": [.tokens: 100], "run-2": [.tokens: 30, .costUSD: 1], "task-a": [.tokens: 7]]
        let (settled, keys) = BudgetCheck.settleAbandoned(account, live: ["task-a"])
        #expect(keys == ["run-1", "run-2"])
        #expect(settled.spent == [.tokens: 180, .costUSD: 1])
        #expect(settled.reserved == ["task-a": [.tokens: 7]])
    }

    @Test(
        arguments: [
            (
                BudgetRules.Refusal.overHardCap(unit: .tokens, cap: 250, spent: 200, reserved: 0, reservation: 100),
                "budget.", "--set budget.tokens.hard=300`"
            ),
            (
                .overHardCap(unit: .costUSD, cap: 1, spent: 0.9, reserved: 0.05, reservation: 0.101),
                "budget.daily.", "--set budget.daily.costUSD.hard=1.06`"
            ),
            (
                .overHardCap(unit: .seconds, cap: 60, spent: 61, reserved: 0, reservation: 0), "budget.",
                "--set budget.seconds.hard=661`"
            ),
            (.unreserved(unit: .tokens, cap: 500), "budget.", "--set agent.reserve.tokens=1000`"),
        ] as [(BudgetRules.Refusal, String, String)]
    )
    func aBlockedJobIsToldTheCapTheSpendAndTheCommandThatRaisesIt(
        refusal: BudgetRules.Refusal,
        scope: String,
        command: String
    ) async {
        let message = BudgetCheck.blockMessage(refusal, scope: scope, directory: "/jobs/a", secondsNeeded: 600)
        #expect(message.hasPrefix(refusal.sentence(capKeys: scope)))
        #expect(message.contains("`tollgate config /jobs/a " + command), "\(message)")
        #expect(message.contains("tollgate run /jobs/a"), "\(message)")
    }

    @Test func theBarShowsSpentHeldAndTheSoftCapOnTheHardCapsScale() async {
        var account = BudgetAccount()
        account.spent = [.tokens: 500]
        account.reserved = ["run-3": [.tokens: 250]]
        let bars = BudgetCheck.bars(
            scope: "job",
            caps: BudgetCaps(soft: [.tokens: 800], hard: [.tokens: 1_000, .costUSD: 2]),
            account: account
        )
        #expect(bars.map(\.unit) == [.tokens, .costUSD])
        #expect(
            bars[0].line(width: 10)
                == "tokens [#####++.|.] spent 500 tokens, held 250 tokens; soft 800 tokens, hard 1000 tokens"
        )
        #expect(bars[1].line(width: 4) == "costUSD [....] spent $0.00; hard $2.00")
    }

    static func machine(_ level: AutonomyLevel) -> JobMachine {
        var machine = JobMachine(
            state: JobState(id: "j", description: "", expert: nil, autonomy: level, reviewHost: .local, maxPhases: 9)
        )
        _ = machine.started()
        _ = machine.phasePrepared(base: "b")
        return machine
    }

    static func crossing(_ machine: inout JobMachine, spent: Double) -> JobMachine.Transition {
        var account = BudgetAccount()
        account.spent = [.tokens: spent]
        return machine.budgetCharged(
            "run-1",
            charge: BudgetRules.Charge(account: account, softCrossed: [.tokens], warnings: []),
            usage: [.tokens: spent],
            crossings: [(scope: "budget.", unit: .tokens, soft: 100, spent: spent)]
        )
    }

    @Test(arguments: AutonomyLevel.allCases)
    func aSoftCapCrossedFreezesTheNextBoundaryAtEveryLevelOnce(level: AutonomyLevel) async {
        var machine = Self.machine(level)
        let events = Self.crossing(&machine, spent: 120)
        #expect(events.events.map(\.type) == [.budgetCharged, .budgetSoftCap])
        #expect(events.action == .perform(.runAgent(run: 1, mode: .work)))
        _ = machine.agentFinished(run: 1, report: AgentReport(outcome: AgentOutcome(summary: "s")))
        let committed = machine.runCommitted(run: 1, head: "h")
        #expect(machine.state.next == .requestReview, "level \(level) merged past a soft cap")
        #expect(committed.action == .perform(.requestReview))
        #expect(machine.state.budget?.softFreeze == [])
        // The next boundary, with no new crossing, follows the level alone.
        _ = machine.reviewRequested(ReviewHandle(host: .local, id: 1, location: "l", head: "h"))
        _ = machine.verdictRead(.approved(by: ["ann"]))
        _ = machine.phaseMerged(commit: "c", approvers: ["ann"])
        _ = machine.phaseFinished()
        _ = machine.phasePrepared(base: "b")
        _ = machine.agentFinished(run: 2, report: AgentReport(outcome: AgentOutcome(summary: "s")))
        _ = machine.runCommitted(run: 2, head: "h2")
        let levelAlone = FreezeRule.decide(level: level, phase: machine.state.phase, jobComplete: false)
        #expect((machine.state.next == .requestReview) == (levelAlone != nil))
    }

    @Test func aBlockedJobKeepsItsStepAndGoesOnWhenRunAgain() async {
        var machine = Self.machine(.full)
        let next = machine.state.next
        let blocked = machine.budgetBlocked("over", cap: "budget.tokens.hard")
        #expect(blocked.events.map(\.type) == [.budgetBlocked])
        #expect(blocked.action == .stop(.blocked("over")))
        #expect(machine.state.status == .blocked)
        #expect(machine.state.next == next)
        let unblocked = machine.resumed()
        #expect(unblocked.events.map(\.type) == [.jobUnblocked])
        #expect(unblocked.action.step == next)
        #expect(machine.state.status == .running)
        #expect(machine.state.budget?.blocked == nil)
        #expect(machine.unblocked().events.isEmpty)
    }
}
