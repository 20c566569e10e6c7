import Foundation
import Testing
import TollgateCore
import TollgateTestSupport

@testable import TollgateEngine

/// DESIGN §11 for critics and gates: a critic reserves `critique.reserve.*` before it starts and is charged what it
/// writes to `$TOLLGATE_USAGE` (its reservation, with a warning, when it writes nothing); a hard cap it would cross
/// blocks the job before it starts; a verify gate is checked against the hard caps before it starts and charged its
/// wall time.
@Suite(.runsProcesses)
struct BudgetCritiqueTests {
    /// 100 tokens an agent run.
    static let usage = AgentOutcome.Usage(inputTokens: 60, outputTokens: 40)

    /// A job of one strategic phase whose artifact (`work/phase-1.txt`, the phase's agent writes it) is critiqued by
    /// a critic that ships it, having run `before` (a shell line).
    ///
    /// Returned with the folder of the critic's script, which goes when that is released.
    func job(_ label: String, before: String, _ assignments: [String]) async throws -> (LocalJob, TemporaryDirectory) {
        let directory = try TemporaryDirectory(label + "-critic")
        let critic = try CriticScript.printing(
            CriticScript.shipping("phase 1, critiqued\n"),
            in: directory,
            before: before
        )
        let job = try await LocalJob(
            label,
            autonomy: .full,
            completeAt: 1,
            assignments: [
                "critique.enabled=true", "critique.command=\(critic)", "critique.artifacts=work/phase-1.txt",
            ] + assignments,
            usage: Self.usage
        )
        return (job, directory)
    }

    static let reportsTwelve = #"printf '{"inputTokens": 5, "outputTokens": 7}' > "$TOLLGATE_USAGE""#

    func charges(_ job: LocalJob, containing part: String) throws -> [RecordedEvent] {
        try job.events.filter { $0.type == .budgetCharged && ($0.data["run"] ?? "").contains(part) }
    }

    @Test func aCriticIsChargedWhatItWritesToTollgateUsage() async throws {
        let (job, script) = try await job(
            "budget-critic-usage",
            before: Self.reportsTwelve,
            ["budget.tokens.hard=1000", "agent.reserve.tokens=100", "critique.reserve.tokens=50"]
        )
        defer { withExtendedLifetime(script) {} }
        #expect(try await job.run() == .completed)
        let account = try #require(try job.state.budget?.account)
        #expect(account.spent[.tokens] == 112, "\(String(format: "%.12f", account.spent[.tokens] ?? -1))")
        #expect(account.reserved.isEmpty)
        let critic = try charges(job, containing: "-critic-")
        #expect(critic.count == 1)
        #expect(critic.first?.data["tokens"] == "12")
        #expect(critic.first?.data["warning1"] == nil)
        let reserved = try job.events.filter { $0.type == .budgetReserved && ($0.data["run"] ?? "").contains("critic") }
        #expect(reserved.first?.data["tokens"] == "50")

        // status --json: the job's spend includes the critic's.
        let session = try JobSession.open(at: job.root, resources: job.resources, exclusive: false)
        #expect(try session.budgetStatus(environment: [:]).spent[.tokens] == 112)
    }

    @Test func aCriticThatWritesNothingIsChargedItsReservationWithAWarning() async throws {
        let (job, script) = try await job(
            "budget-critic-silent",
            before: "",
            ["budget.tokens.hard=1000", "agent.reserve.tokens=100", "critique.reserve.tokens=50"]
        )
        defer { withExtendedLifetime(script) {} }
        #expect(try await job.run() == .completed)
        #expect(try job.state.budget?.account.spent[.tokens] == 100 + 50)
        let critic = try #require(try charges(job, containing: "-critic-").first)
        #expect(critic.data["warning1"]?.contains("charged its reservation") == true, "\(critic.data)")
    }

    @Test func aCriticThatWouldCrossAHardCapDoesNotStartAndRaisingTheCapGoesOn() async throws {
        let directory = try TemporaryDirectory("budget-critic-block-marks")
        let marks = directory.path("critic-runs")
        let (job, script) = try await job(
            "budget-critic-block",
            before: Self.reportsTwelve + "\necho run >> \"\(marks.path)\"",
            ["budget.tokens.hard=120", "agent.reserve.tokens=100", "critique.reserve.tokens=50"]
        )
        defer { withExtendedLifetime(script) {} }
        guard case .blocked(let message) = try await job.run() else {
            Issue.record("the critic started past the cap")
            return
        }
        #expect(message.contains("budget.tokens.hard is 120 tokens"), "\(message)")
        #expect(message.contains("reserves 50 tokens"), "\(message)")
        #expect(!FileManager.default.fileExists(atPath: marks.path), "the critic ran")
        #expect(try job.state.status == .blocked)
        #expect(try job.state.next == .critique(run: 1))

        _ = try job.configure(["budget.tokens.hard=1000"])
        #expect(try await job.run() == .completed)
        #expect(try String(contentsOf: marks, encoding: .utf8) == "run\n")
        #expect(try job.state.budget?.account.spent[.tokens] == 112)
    }

    /// Killed between the critic's reservation and its charge: the reservation counts as spent, and the critic run
    /// again is charged what it reports.
    @Test func aCrashBetweenTheCriticsReservationAndItsChargeLeavesTheReservationSpent() async throws {
        let (job, script) = try await job(
            "budget-critic-crash",
            before: Self.reportsTwelve,
            ["budget.tokens.hard=1000", "agent.reserve.tokens=100", "critique.reserve.tokens=50"]
        )
        defer { withExtendedLifetime(script) {} }
        // The first reservation is the agent's, the second the critic's.
        let armed = FaultPoint.Spec("after-reserve@2").map(FaultPoint.InProcess.init)
        await #expect(throws: FaultPoint.Injected.self) {
            try await FaultPoint.$inProcess.withValue(armed) { try await job.run() }
        }
        #expect(try await job.run() == .completed)
        let account = try #require(try job.state.budget?.account)
        #expect(account.spent[.tokens] == 162, "the agent's 100, the killed critic's 50 reserved, the rerun's 12")
        #expect(account.reserved.isEmpty)
    }

    @Test func aCapOnACriticThatReservesNothingNamesTheCritiqueReservation() async throws {
        let (job, script) = try await job(
            "budget-critic-unreserved",
            before: Self.reportsTwelve,
            ["budget.tokens.hard=1000", "agent.reserve.tokens=100"]
        )
        defer { withExtendedLifetime(script) {} }
        guard case .blocked(let message) = try await job.run() else {
            Issue.record("a critic started under a cap that cannot be checked")
            return
        }
        #expect(message.contains("--set critique.reserve.tokens="), "\(message)")
    }

    @Test func aVerifyGateIsCheckedAgainstTheHardCapsBeforeItStartsAndChargedItsWallTime() async throws {
        let marks = try TemporaryDirectory("budget-gate-marks")
        let ran = marks.path("gate-runs")
        let gates = #"[{"name":"mark","command":"echo ran >> '"# + ran.path + #"'"}]"#
        // Each run reports 200 tokens, past its reservation: phase 2's run is admitted (200 + 100 of 350) and its
        // charge leaves 400 spent, so its gate, which spends no tokens, finds the cap used up.
        let job = try await LocalJob(
            "budget-gate",
            autonomy: .full,
            completeAt: 3,
            assignments: ["budget.tokens.hard=350", "agent.reserve.tokens=100", "verify.gates=\(gates)"],
            usage: AgentOutcome.Usage(inputTokens: 100, outputTokens: 100)
        )
        guard case .blocked(let message) = try await job.run() else {
            Issue.record("the gate started past the cap")
            return
        }
        #expect(message.contains("budget.tokens.hard is 350 tokens; spent 400 tokens"), "\(message)")
        #expect(try job.state.next == .verify(run: 2))
        #expect(!FileManager.default.fileExists(atPath: ran.path), "the gate ran")

        _ = try job.configure(["budget.tokens.hard=10000"])
        #expect(try await job.run() == .completed)
        #expect(try String(contentsOf: ran, encoding: .utf8) == "ran\n")
        let gate = try #require(try charges(job, containing: "-gate-1").first)
        #expect(gate.data["seconds"] != nil, "\(gate.data)")
        #expect(gate.data["tokens"] == nil, "a gate was charged tokens: \(gate.data)")
    }
}
