import Testing
import TollgateCore

struct RevisionLoopMachineTests {
    typealias Machine = RevisionLoopMachine
    static let original = "# Plan\n\n## Goals\n\n- one\n\n## Steps\n\n1. a\n2. b\n"
    static let below = Machine.CritiqueOutcome(status: .belowThreshold, composite: 7.0, tokens: 100, latencyMs: 10)

    static func revision(_ n: Int) -> String {
        Self.original + "\n## Revision \(n)\n\n- changed line \(n)\n- another \(n)\n"
    }
    static func critique(_ composite: Double, shipped: Bool = false) -> Machine.CritiqueOutcome {
        Machine.CritiqueOutcome(
            status: shipped ? .shipped : .belowThreshold,
            composite: composite,
            tokens: 50,
            latencyMs: 5
        )
    }
    static func finish(_ actions: [Machine.Action]) -> RevisionLoopSummary? {
        guard case .finish(let summary) = actions.last else { return nil }
        return summary
    }

    @Test func neverRunsMoreThanThreeIterationsWhateverIsConfigured() async {
        var machine = Machine(settings: .init(maxIterations: 10), original: Self.original, initialCritique: Self.below)
        #expect(machine.started(remainingSeconds: 600) == [.revise(iteration: 1, base: 0)])
        var revisions = 0
        var actions: [Machine.Action] = []
        for n in 1...3 {
            revisions += 1
            #expect(
                machine.revisionFinished(artifact: Self.revision(n), tokens: 10, latencyMs: 1).last
                    == .critique(iteration: n)
            )
            actions = machine.critiqueFinished(Self.critique(7.0 + Double(n) / 10), remainingSeconds: 600)
        }
        let summary = Self.finish(actions)
        #expect(revisions == 3)
        #expect(summary?.stopReason == .exhausted && summary?.iterations == 3)
        #expect(summary?.bestIteration == 3 && summary?.endComposite == 7.3 && summary?.startComposite == 7.0)
        #expect(summary?.tokens == 100 + 3 * 10 + 3 * 50 && summary?.latencyMs == 10 + 3 * 1 + 3 * 5)
    }

    @Test func stopsEarlyWhenTheSecondIterationShips() async {
        var machine = Machine(settings: .init(), original: Self.original, initialCritique: Self.below)
        _ = machine.started(remainingSeconds: 600)
        _ = machine.revisionFinished(artifact: Self.revision(1), tokens: 0, latencyMs: 0)
        #expect(
            machine.critiqueFinished(Self.critique(7.5), remainingSeconds: 600).last == .revise(iteration: 2, base: 1)
        )
        _ = machine.revisionFinished(artifact: Self.revision(2), tokens: 0, latencyMs: 0)
        let summary = Self.finish(machine.critiqueFinished(Self.critique(8.6, shipped: true), remainingSeconds: 600))
        #expect(summary?.stopReason == .shipped && summary?.iterations == 2 && summary?.bestIteration == 2)
    }

    @Test func blockingGateStopsTheLoopAndANonBlockingOneDoesNot() async {
        var machine = Machine(settings: .init(), original: Self.original, initialCritique: Self.below, hasGates: true)
        _ = machine.started(remainingSeconds: 600)
        #expect(
            machine.revisionFinished(artifact: Self.revision(1), tokens: 0, latencyMs: 0).last
                == .runGates(iteration: 1)
        )
        #expect(machine.gatesFinished(.init(passed: false, blocking: false)).last == .critique(iteration: 1))
        _ = machine.critiqueFinished(Self.critique(7.2), remainingSeconds: 600)
        _ = machine.revisionFinished(artifact: Self.revision(2), tokens: 0, latencyMs: 0)
        let summary = Self.finish(machine.gatesFinished(.init(passed: false, blocking: true)))
        #expect(summary?.stopReason == .gateBlocked && summary?.bestIteration == 1)
    }

    @Test(arguments: [(19.9, RevisionLoopSummary.StopReason.timeBudget), (20.0, nil), (600, nil)])
    func stopsWhenTheRemainingTimeIsUnderTheFloor(remaining: Double, reason: RevisionLoopSummary.StopReason?) async {
        var machine = Machine(settings: .init(), original: Self.original, initialCritique: Self.below)
        let actions = machine.started(remainingSeconds: remaining)
        #expect(Self.finish(actions)?.stopReason == reason)
        if reason == nil { #expect(actions == [.revise(iteration: 1, base: 0)]) }
    }

    @Test func stopsWhenTheTokenBudgetIsSpent() async {
        var machine = Machine(
            settings: .init(maxOutputTokens: 500),
            original: Self.original,
            initialCritique: Self.below
        )
        _ = machine.started(remainingSeconds: 600)
        _ = machine.revisionFinished(artifact: Self.revision(1), tokens: 350, latencyMs: 0)
        let summary = Self.finish(machine.critiqueFinished(Self.critique(7.1), remainingSeconds: 600))
        #expect(summary?.stopReason == .tokenBudget && summary?.tokens == 500 && summary?.iterations == 1)
    }

    @Test func revisionThatBarelyChangesStopsTheLoop() async {
        var machine = Machine(settings: .init(), original: Self.original, initialCritique: Self.below)
        _ = machine.started(remainingSeconds: 600)
        let actions = machine.revisionFinished(artifact: Self.original + "\n\n", tokens: 5, latencyMs: 1)
        guard case .persist(let record) = actions.first else {
            Issue.record("expected the record first, got \(actions)")
            return
        }
        #expect(record.similarity == 1)
        #expect(Self.finish(actions)?.stopReason == .noChange)
        #expect(Self.finish(actions)?.bestIteration == 0)
    }

    @Test func keepsTheBestIterationWhenScoresOscillate() async {
        var machine = Machine(settings: .init(), original: Self.original, initialCritique: Self.below)
        _ = machine.started(remainingSeconds: 600)
        var bases: [Int] = []
        var last: [Machine.Action] = []
        for (n, composite) in [(1, 7.8), (2, 6.9), (3, 7.8)] {
            _ = machine.revisionFinished(artifact: Self.revision(n), tokens: 0, latencyMs: 0)
            last = machine.critiqueFinished(Self.critique(composite), remainingSeconds: 600)
            if case .revise(_, let base) = last.last { bases.append(base) }
        }
        #expect(bases == [1, 1])  // the regression in iteration 2 is not built upon
        let summary = Self.finish(last)
        #expect(summary?.bestIteration == 1 && summary?.endComposite == 7.8)
    }

    // MARK: - Which iteration is best

    typealias Outcome = Machine.CritiqueOutcome

    static func outcome(_ status: CritiqueStatus, _ composite: Double?, mustFix: Int?) -> Outcome {
        Outcome(status: status, composite: composite, openMustFix: mustFix)
    }

    /// (candidate, incumbent, whether the candidate replaces the incumbent).
    static let rankings: [(Outcome, Outcome, Bool)] = [
        // Shipped first, whatever the figures.
        (outcome(.shipped, 8.2, mustFix: 0), outcome(.belowThreshold, 8.2, mustFix: 1), true),
        (outcome(.shipped, 8.0, mustFix: 0), outcome(.belowThreshold, 9.1, mustFix: 1), true),
        (outcome(.belowThreshold, 9.5, mustFix: 0), outcome(.shipped, 8.0, mustFix: 0), false),
        // Then the composite.
        (outcome(.belowThreshold, 7.9, mustFix: 3), outcome(.belowThreshold, 7.8, mustFix: 0), true),
        (outcome(.belowThreshold, 7.7, mustFix: 0), outcome(.belowThreshold, 7.8, mustFix: 3), false),
        (outcome(.belowThreshold, 6.0, mustFix: 2), outcome(.belowThreshold, nil, mustFix: 0), true),
        (outcome(.belowThreshold, nil, mustFix: 0), outcome(.belowThreshold, 6.0, mustFix: 2), false),
        // Then fewer open must-fix items; an unknown count loses to a known one.
        (outcome(.belowThreshold, 7.8, mustFix: 1), outcome(.belowThreshold, 7.8, mustFix: 2), true),
        (outcome(.belowThreshold, 7.8, mustFix: 2), outcome(.belowThreshold, 7.8, mustFix: 1), false),
        (outcome(.belowThreshold, 7.8, mustFix: 4), outcome(.belowThreshold, 7.8, mustFix: nil), true),
        (outcome(.belowThreshold, 7.8, mustFix: nil), outcome(.belowThreshold, 7.8, mustFix: 4), false),
        // A full tie keeps the incumbent (the earlier iteration); other statuses count as not shipped.
        (outcome(.belowThreshold, 7.8, mustFix: 1), outcome(.belowThreshold, 7.8, mustFix: 1), false),
        (outcome(.shipped, 8.4, mustFix: 0), outcome(.shipped, 8.4, mustFix: 0), false),
        (outcome(.timedOut, 7.8, mustFix: 1), outcome(.belowThreshold, 7.8, mustFix: 1), false),
        (outcome(.interrupted, 7.9, mustFix: 1), outcome(.belowThreshold, 7.8, mustFix: 1), true),
    ]

    @Test(arguments: Self.rankings)
    func critiquesRankShippedThenCompositeThenMustFix(candidate: Outcome, incumbent: Outcome, replaces: Bool) async {
        #expect(candidate.ranks(above: incumbent) == replaces)
        // The order is strict: two outcomes never both rank above each other.
        #expect(!(candidate.ranks(above: incumbent) && incumbent.ranks(above: candidate)))
    }

    @Test func shippedIterationWinsACompositeTie() async {
        let initial = Self.outcome(.belowThreshold, 8.2, mustFix: 1)
        var machine = Machine(settings: .init(), original: Self.original, initialCritique: initial)
        _ = machine.started(remainingSeconds: 600)
        _ = machine.revisionFinished(artifact: Self.revision(1), tokens: 0, latencyMs: 0)
        let summary = Self.finish(
            machine.critiqueFinished(Self.outcome(.shipped, 8.2, mustFix: 0), remainingSeconds: 600)
        )
        #expect(summary?.stopReason == .shipped && summary?.bestIteration == 1 && summary?.endComposite == 8.2)
    }

    @Test func fewerMustFixItemsBreakACompositeTieAndAFullTieKeepsTheEarlier() async {
        let initial = Self.outcome(.belowThreshold, 7.0, mustFix: 3)
        var machine = Machine(settings: .init(), original: Self.original, initialCritique: initial)
        _ = machine.started(remainingSeconds: 600)
        var bases: [Int] = []
        var last: [Machine.Action] = []
        for (n, mustFix) in [(1, 3), (2, 2), (3, 2)] {
            _ = machine.revisionFinished(artifact: Self.revision(n), tokens: 0, latencyMs: 0)
            last = machine.critiqueFinished(Self.outcome(.belowThreshold, 7.0, mustFix: mustFix), remainingSeconds: 600)
            if case .revise(_, let base) = last.last { bases.append(base) }
        }
        #expect(bases == [0, 2])  // iteration 1 tied the original; iteration 2 had fewer must-fix items
        #expect(Self.finish(last)?.bestIteration == 2)
    }

    @Test func resumedLoopRerunsNothingThatFinished() async {
        // First run: iteration 1 completes, iteration 2 is revised, then the process is killed.
        var first = Machine(settings: .init(), original: Self.original, initialCritique: Self.below, hasGates: true)
        var persisted: [Int: Machine.Iteration] = [:]
        func keep(_ actions: [Machine.Action]) -> [Machine.Action] {
            for case .persist(let record) in actions { persisted[record.iteration] = record }
            return actions
        }
        _ = keep(first.started(remainingSeconds: 600))
        _ = keep(first.revisionFinished(artifact: Self.revision(1), tokens: 100, latencyMs: 1000))
        _ = keep(first.gatesFinished(.init(passed: true, latencyMs: 200)))
        _ = keep(first.critiqueFinished(Self.critique(7.6), remainingSeconds: 500))
        _ = keep(first.revisionFinished(artifact: Self.revision(2), tokens: 100, latencyMs: 1000))
        // Killed here. The rebuilt machine asks only for iteration 2's gates.
        var resumed = Machine(
            settings: .init(),
            original: Self.original,
            initialCritique: Self.below,
            hasGates: true,
            completed: persisted.values.sorted { $0.iteration < $1.iteration }
        )
        #expect(resumed.started(remainingSeconds: 300) == [.runGates(iteration: 2)])
        #expect(resumed.gatesFinished(.init(passed: true)).last == .critique(iteration: 2))
        let summary = Self.finish(resumed.critiqueFinished(Self.critique(8.4, shipped: true), remainingSeconds: 250))
        #expect(summary?.stopReason == .shipped && summary?.iterations == 2 && summary?.bestIteration == 2)
        #expect(summary?.tokens == 100 + 100 + 50 + 100 + 50)
        #expect(summary?.latencyMs == 10 + 1000 + 200 + 5 + 1000 + 5)
    }

    @Test func resumingAFinishedLoopRunsNothing() async {
        let records = [
            Machine.Iteration(
                iteration: 1,
                base: 0,
                artifact: Self.revision(1),
                critique: Self.critique(8.2, shipped: true)
            )
        ]
        var machine = Machine(
            settings: .init(),
            original: Self.original,
            initialCritique: Self.below,
            completed: records
        )
        let actions = machine.started(remainingSeconds: 1)
        #expect(actions.count == 1)
        #expect(Self.finish(actions)?.stopReason == .shipped)
    }

    @Test func failedStepStopsWithAnErrorAndIsNotRetriedOnResume() async {
        var machine = Machine(settings: .init(), original: Self.original, initialCritique: Self.below)
        _ = machine.started(remainingSeconds: 600)
        let actions = machine.stepFailed(reason: "agent exited 1")
        #expect(Self.finish(actions)?.stopReason == .error && Self.finish(actions)?.failure == "agent exited 1")
        var resumed = Machine(
            settings: .init(),
            original: Self.original,
            initialCritique: Self.below,
            completed: machine.iterations
        )
        #expect(Self.finish(resumed.started(remainingSeconds: 600))?.stopReason == .error)
    }

    @Test func firstCritiqueThatShipsNeedsNoLoop() async {
        var machine = Machine(
            settings: .init(),
            original: Self.original,
            initialCritique: Self.critique(9, shipped: true)
        )
        let summary = Self.finish(machine.started(remainingSeconds: 600))
        #expect(summary?.stopReason == .shipped && summary?.iterations == 0 && summary?.bestIteration == 0)
    }

    @Test func degradedCritiqueStopsTheLoopKeepingTheBest() async {
        var machine = Machine(settings: .init(), original: Self.original, initialCritique: Self.below)
        _ = machine.started(remainingSeconds: 600)
        _ = machine.revisionFinished(artifact: Self.revision(1), tokens: 0, latencyMs: 0)
        let summary = Self.finish(
            machine.critiqueFinished(.init(status: .degraded, composite: nil), remainingSeconds: 600)
        )
        #expect(summary?.stopReason == .error && summary?.bestIteration == 0 && summary?.endComposite == 7.0)
    }
}
