import Foundation
import Testing
import TollgateCore
import TollgateEngine
import TollgateTestSupport

/// A critic's and a gate's time limit under `budget.seconds.hard` (DESIGN §11), with real `/bin/sh` runs: stopped
/// at what the cap left, not at their own timeouts, and saying it was the budget, the cap and how to raise it.
@Suite(.runsProcesses)
struct BudgetDeadlineTests {
    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory("budget-deadline")
    }

    /// One second left by a cap of 60 s, for a run whose own timeout is `own`.
    func deadline(own: Int, seconds: Int = 1) -> BudgetDeadline {
        BudgetDeadline(
            limit: BudgetTimeLimit(seconds: seconds, own: own, cap: .init(key: "budget.seconds.hard", value: 60)),
            raise: { "tollgate config /jobs/a --set \($0)" }
        )
    }

    @Test func aCriticIsStoppedWhereTheBudgetLeftItAndTheTranscriptSaysSo() async throws {
        let artifact = try directory.write("plan.md", "# Plan\n")
        let pidFile = directory.path("critic.pid")
        let script = try CriticScript.printing(
            CriticScript.open,
            in: directory,
            before: "echo $$ > \"\(pidFile.path)\"",
            after: "sleep 30"
        )
        var config = CritiqueConfig.default
        config.command = script
        config.roundTimeoutSeconds = 600
        config.totalTimeoutSeconds = 600
        let runner = CritiqueRunner(config: config, environment: ["PATH": "/usr/bin:/bin"], graceSeconds: 1)
        let outcome = try runner.run(artifact: artifact, directory: directory.url, budget: deadline(own: 600))
        #expect(outcome.events.last == .timedOut(.budget))
        #expect(outcome.summary.status == .timedOut)
        let cause = try #require(outcome.summary.cause)
        for words in [
            "the critic was stopped after 1 s by the budget", "budget.seconds.hard (60 s)", "of its own 600 s timeout",
            "`tollgate config /jobs/a --set budget.seconds.hard=659`",
        ] {
            #expect(cause.contains(words), "'\(words)' missing from: \(cause)")
        }
        #expect(outcome.summary.warnings.contains { $0.kind == .budget })
        // A replay of the transcript ends the same way, with the same words.
        var replay = Scoreboard(config: config)
        for event in try CritiqueTranscript.read(try outcome.transcript()).events { _ = replay.eventReceived(event) }
        #expect(replay.summary.cause == cause)
        // The critic's whole process group is gone.
        let pid = try #require(
            Int32(String(contentsOf: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))
        )
        #expect(await ProcessGroupProbe.ended(pid), "left running: \(ProcessGroupProbe.livingMembers(of: pid))")
    }

    @Test func aCriticWhoseOwnTimeoutIsShorterIsNotSaidToBeStoppedByTheBudget() async throws {
        let artifact = try directory.write("plan.md", "# Plan\n")
        let script = try CriticScript.printing(CriticScript.open, in: directory, after: "sleep 30")
        var config = CritiqueConfig.default
        config.command = script
        config.totalTimeoutSeconds = 1
        let runner = CritiqueRunner(config: config, environment: ["PATH": "/usr/bin:/bin"], graceSeconds: 1)
        // The budget leaves 1 s of a 1 s timeout: the critic's own timeout is the limit.
        let limit = BudgetTimeLimit.limiting(
            1,
            under: [.init(capKeys: "budget.", caps: BudgetCaps(hard: [.seconds: 60]), account: BudgetAccount())]
        )
        let outcome = try runner.run(
            artifact: artifact,
            directory: directory.url,
            budget: BudgetDeadline(limit: limit, raise: { $0 })
        )
        #expect(outcome.events.last == .timedOut(.total))
        #expect(!outcome.summary.warnings.contains { $0.kind == .budget })
    }

    @Test func aGateIsStoppedWhereTheBudgetLeftItAndTheNextGetsWhatIsLeft() async throws {
        let logs = directory.path("logs")
        let runner = GateRunner(
            gates: [
                GateSpec(name: "slow", command: "sleep 30", timeoutSeconds: 600),
                GateSpec(name: "after", command: "echo ran > '\(directory.path("after").path)'", timeoutSeconds: 600),
            ],
            defaultTimeoutSeconds: 600,
            graceSeconds: 1,
            budget: deadline(own: 1_200)
        )
        let results = try runner.run(
            GateRunner.Context(
                directory: directory.url,
                environment: ["PATH": "/usr/bin:/bin"],
                log: GateRunner.Context.logFiles(in: logs)
            )
        )
        #expect(results.map(\.passed) == [false, false])
        #expect(results[0].timedOut)
        #expect(results[0].timeoutSeconds == 1)
        #expect(results[0].outcome == "stopped by the budget after 1 s")
        let ending = GateRunner.ending(of: results[0])
        for words in [
            "the gate slow was stopped after 1 s by the budget", "budget.seconds.hard (60 s)",
            "of its own 600 s timeout", "`tollgate config /jobs/a --set budget.seconds.hard=659`",
        ] {
            #expect(ending.contains(words), "'\(words)' missing from: \(ending)")
        }
        // The first gate used the second the budget left: the next does not start with no time at all.
        #expect(results[1].startError?.contains("the budget left it no second") == true, "\(results[1])")
        #expect(!FileManager.default.fileExists(atPath: directory.path("after").path))
        let log = try String(contentsOf: logs.appendingPathComponent("gate-1.log"), encoding: .utf8)
        #expect(log.contains("stopped after 1 s by the budget"), "\(log)")
    }

    @Test func aGateAloneGetsItsOwnDeadline() async throws {
        let runner = GateRunner(
            gates: [GateSpec(name: "slow", command: "sleep 30", timeoutSeconds: 600)],
            defaultTimeoutSeconds: 600,
            graceSeconds: 1
        )
        let result = try runner.run(
            gateAt: 0,
            GateRunner.Context(
                directory: directory.url,
                environment: ["PATH": "/usr/bin:/bin"],
                log: GateRunner.Context.logFiles(in: directory.path("logs"))
            ),
            budget: deadline(own: 600)
        )
        #expect(result.timedOut && result.timeoutSeconds == 1)
        #expect(result.budgetStop?.contains("budget.seconds.hard") == true)
    }
}
