import Foundation
import Testing
import TollgateCore
import TollgateEngine
import TollgateTestSupport

/// The revision loop's budgets and its hard cap, wired through the engine: real critic runs, the reviser's reported
/// tokens and real wall time.
///
/// The critic (``ProcessCriticTests/criticScript(mustFixWithoutRisks:)``) scores a plan saying "version two" 7 and any
/// plan without a Risks section 6: none of these revisions ships.
@Suite(.runsProcesses)
struct RevisionLoopStopTests {
    let base: ProcessCriticTests

    init() throws {
        base = try ProcessCriticTests()
        try base.write("plan.md", "# Plan\n\nThe first attempt at a plan, with one step.\n")
    }

    /// A reviser that writes a different plan on every iteration, after `delay` seconds, reporting `tokens`.
    func rewritingReviser(tokens: Int = 0, delay: Double = 0) -> ProcessCriticTests.Reviser {
        let reviser = ProcessCriticTests.Reviser()
        reviser.answer = { [base] iteration, _ in
            if delay > 0 { Thread.sleep(forTimeInterval: delay) }
            let words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"]
            let word = words[(iteration - 1) % words.count]
            try base.write("plan.md", "# Plan \(word), version two\n\nTake \(iteration): \(word) first, then more.\n")
            return AgentReport(outcome: AgentOutcome(usage: AgentOutcome.Usage(outputTokens: tokens)))
        }
        return reviser
    }

    @Test func neverMoreThanThreeIterationsWhateverTheConfigurationSays() async throws {
        let reviser = rewritingReviser()
        let result = try await base.critic.critique(try base.request(reviser: reviser) { $0.maxIterations = 10 })
        #expect(result.stopReason == .exhausted)
        #expect(result.iterations == 3)
        #expect(reviser.calls.map(\.iteration) == [1, 2, 3])
        #expect(base.criticRuns() == 4)
    }

    @Test func theTokenBudgetStopsTheLoopBeforeTheNextIteration() async throws {
        let reviser = rewritingReviser(tokens: 60)
        let result = try await base.critic.critique(try base.request(reviser: reviser) { $0.maxOutputTokens = 100 })
        #expect(result.stopReason == .tokenBudget)
        #expect(result.iterations == 2, "60 tokens leave budget for a second iteration, 120 do not")
        #expect(result.tokens == 120)
        #expect(base.criticRuns() == 3)
    }

    @Test func lessTimeThanTheFloorLeftStopsTheLoopBeforeTheNextIteration() async throws {
        let reviser = rewritingReviser(delay: 1.5)
        let result = try await base.critic.critique(
            try base.request(reviser: reviser) {
                $0.loopTimeoutSeconds = 21
                $0.loopFloorSeconds = 20
            }
        )
        #expect(result.stopReason == .timeBudget)
        #expect(result.iterations == 1)
        #expect(result.latencyMs >= 1500)
        #expect(reviser.calls.count == 1)
    }

    /// A plan of 20 lines: a title and 19 steps.
    static let twentyLines =
        (["# Plan"] + (1...19).map { "- Step \($0): do part \($0) of the work." })
        .joined(separator: "\n") + "\n"

    /// One changed line in 20 is exactly 95 % similar (2·19 / 40) and goes on; one added line is 97.6 % and stops.
    @Test(arguments: [
        (Self.twentyLines.replacingOccurrences(of: "do part 5 of", with: "finish part 5 of"), "exhausted", 4),
        (Self.twentyLines + "- Step 20: tidy up.\n", "no_change", 1),
    ])
    func aRevisionMoreThanNinetyFivePercentSimilarIsNoChange(revised: String, stop: String, critiques: Int) async throws
    {
        try base.write("plan.md", Self.twentyLines)
        let reviser = ProcessCriticTests.Reviser()
        reviser.answer = { [base] _, _ in
            try base.write("plan.md", revised)
            return AgentReport()
        }
        let result = try await base.critic.critique(try base.request(reviser: reviser))
        #expect(result.stopReason?.rawValue == stop)
        #expect(base.criticRuns() == critiques)
    }

    @Test func scoresThatGoUpAndDownKeepTheBestIteration() async throws {
        // Iteration 1 scores 7, iteration 2 (no "version two") 6, iteration 3 7 again: the earlier 7 is kept.
        let texts = [
            "# Plan, version two\n\nThe second attempt, with different words and more steps.\n",
            "# A plan\n\nA third attempt that drops what the second one had and says less.\n",
            "# Plan, version two again\n\nA fourth attempt, back to the second one's idea, other words.\n",
        ]
        let reviser = ProcessCriticTests.Reviser()
        reviser.answer = { [base] iteration, _ in
            try base.write("plan.md", texts[iteration - 1])
            return AgentReport()
        }
        let result = try await base.critic.critique(try base.request(reviser: reviser))
        #expect(result.stopReason == .exhausted)
        #expect(result.composite == 7)
        #expect(try base.file("plan.md") == texts[0])
        let summary = try String(
            contentsOf: base.root.appendingPathComponent("critique/phase-1/rev-1/summary.json"),
            encoding: .utf8
        )
        #expect(summary.contains("\"keptIteration\" : 1"))
    }
}
