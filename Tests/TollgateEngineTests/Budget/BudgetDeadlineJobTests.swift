import Foundation
import Testing
import TollgateCore
import TollgateTestSupport

@testable import TollgateEngine

/// A job's critic and verify gate under `budget.seconds.hard` (DESIGN §11): each runs for what the cap leaves, not
/// for its own timeout, and the job says it was the budget that stopped it, naming the cap and `tollgate config`.
@Suite(.runsProcesses)
struct BudgetDeadlineJobTests {
    @Test func aJobsCriticIsStoppedWhereTheSecondsCapLeftIt() async throws {
        let directory = try TemporaryDirectory("budget-deadline-critic")
        let critic = try CriticScript.printing(CriticScript.open, in: directory, after: "sleep 30")
        let job = try await LocalJob(
            "budget-deadline-critic-job",
            autonomy: .full,
            completeAt: 1,
            assignments: [
                "critique.enabled=true", "critique.command=\(critic)", "critique.artifacts=work/phase-1.txt",
                "budget.seconds.hard=6",
            ]
        )
        // The critic gets what the agent's run left of the 6 s, is stopped there, and the revision it asks for then
        // finds less than a second left: the job is blocked, saying which cap to raise.
        guard case .blocked(let message) = try await job.run() else {
            Issue.record("the job was not blocked once the critic used the seconds up: \(job.progress)")
            return
        }
        #expect(message.contains("budget.seconds.hard is 6 s"), "\(message)")
        let stop = try #require(job.progress.first { $0.contains("stopped after") }, "\(job.progress)")
        for words in [
            "warning: budget: the critic was stopped after", "s by the budget: budget.seconds.hard (6 s)",
            "of its own 240 s timeout", "`tollgate config", "--set budget.seconds.hard=",
        ] {
            #expect(stop.contains(words), "'\(words)' missing from: \(stop)")
        }
        #expect(job.progress.contains { $0.contains("the critic's timeout is shortened to it") }, "\(job.progress)")
        // The critic was charged its wall time.
        let charged = try #require(
            try job.events.first { $0.type == .budgetCharged && ($0.data["run"] ?? "").contains("-critic-") }
        )
        #expect(charged.data["seconds"] != nil, "\(charged.data)")
    }

    @Test func aJobsVerifyGateIsStoppedWhereTheSecondsCapLeftIt() async throws {
        let gates = #"[{"name":"slow","command":"sleep 30","timeoutSeconds":900}]"#
        let job = try await LocalJob(
            "budget-deadline-gate",
            autonomy: .full,
            completeAt: 2,
            assignments: ["verify.gates=\(gates)", "budget.seconds.hard=6"]
        )
        // Phase 1 (strategic) merges; phase 2 (tactical) runs the gate.
        let result = try await job.run()
        #expect(result.isFrozen, "a gate the budget stopped passed: \(result)")
        let failure = try #require(try job.state.verifyFailure)
        for words in [
            "gate `slow` failed (stopped by the budget after", "budget.seconds.hard (6 s)", "of its own 900 s timeout",
            "`tollgate config", "--set budget.seconds.hard=",
        ] {
            #expect(failure.contains(words), "'\(words)' missing from: \(failure)")
        }
        let gate = try #require(try job.state.verification?.results.first)
        #expect(gate.timedOut && gate.timeoutSeconds <= 6, "\(gate)")
    }

    @Test func anAgentStoppedAtTheSecondsCapsLimitSaysItWasTheBudgetNotItsOwnTimeout() async throws {
        let job = try await LocalJob(
            "budget-deadline-agent",
            autonomy: .full,
            agent: "sleep 30",
            assignments: ["budget.seconds.hard=2", "agent.graceSeconds=1"]
        )
        guard case .failed(let failure) = try await job.run() else {
            Issue.record("the agent was not stopped: \(job.progress)")
            return
        }
        for words in [
            "the agent was stopped after 2 s by the budget: budget.seconds.hard (2 s)", "of its own 1800 s timeout",
            "`tollgate config", "--set budget.seconds.hard=1800`",
        ] {
            #expect(failure.contains(words), "'\(words)' missing from: \(failure)")
        }
        #expect(!failure.contains("agent.timeoutSeconds"), "\(failure)")
    }
}
