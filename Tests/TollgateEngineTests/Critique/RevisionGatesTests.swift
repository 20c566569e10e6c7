import Foundation
import Testing
import TollgateCore
import TollgateEngine
import TollgateTestSupport

/// The revision loop's gates: real `/bin/sh` gates between a scripted revision and a real critic script.
///
/// The critic (``ProcessCriticTests/criticScript(mustFixWithoutRisks:)``) ships a plan with a `## Risks` heading
/// (9), scores a plan saying "version two" 7 and any other 6.
@Suite(.runsProcesses)
struct RevisionGatesTests {
    let base: ProcessCriticTests
    /// One line per gate run: `<TOLLGATE_ITERATION> <working directory> <TOLLGATE_ARTIFACT>`.
    let gateRuns: URL

    init() throws {
        base = try ProcessCriticTests()
        gateRuns = base.directory.path("gate-runs.txt")
    }

    /// A gate that records its run, then fails with `message` unless the artifact has a line matching `pattern`.
    func gate(requiring pattern: String, message: String) -> String {
        "echo \"$TOLLGATE_ITERATION $(pwd -P) $TOLLGATE_ARTIFACT\" >> '\(gateRuns.path)'; "
            + "grep -q '\(pattern)' \"$TOLLGATE_ARTIFACT\" || { echo '\(message)'; exit 3; }"
    }

    func runs() -> [String] {
        ((try? String(contentsOf: gateRuns, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    func record(_ iteration: Int) throws -> RevisionLoopMachine.Iteration {
        let file = base.directory.path("state/plan.md/iteration-\(iteration).json")
        return try JSONDecoder().decode(RevisionLoopMachine.Iteration.self, from: Data(contentsOf: file))
    }

    func report() throws -> String {
        try String(contentsOf: base.root.appendingPathComponent("critique/phase-1/rev-1/report.md"), encoding: .utf8)
    }

    /// A reviser that answers every revision with the plan and a Risks section (which the critic ships).
    func reviserAddingRisks() -> ProcessCriticTests.Reviser {
        let reviser = ProcessCriticTests.Reviser()
        reviser.answer = { [base] _, _ in
            try base.write("plan.md", Self.withRisks)
            return AgentReport()
        }
        return reviser
    }

    static let original = "# Plan\n\n## Steps\n1. Build it.\n"
    static let withRisks = original + "\n## Risks\n- It may take longer than planned.\n"

    // MARK: - Configuration

    struct ConfigRow: Sendable, CustomTestStringConvertible {
        var values: [String: ConfigValue]
        var expected: RevisionGates
        var testDescription: String { values.keys.sorted().joined(separator: ",") }
    }

    @Test(arguments: [
        ConfigRow(values: [:], expected: RevisionGates(commands: [], blocking: true, timeoutSeconds: 120)),
        ConfigRow(
            values: ["critique.revision.gates": .strings(["make lint", " ", "test -s plan.md"])],
            expected: RevisionGates(commands: ["make lint", "test -s plan.md"], blocking: true, timeoutSeconds: 120)
        ),
        ConfigRow(
            values: ["critique.revision.gatesBlocking": .bool(false), "critique.revision.gateTimeoutSeconds": .int(7)],
            expected: RevisionGates(commands: [], blocking: false, timeoutSeconds: 7)
        ),
    ])
    func theGatesComeFromTheResolvedConfiguration(_ row: ConfigRow) async throws {
        let config = try ResolvedConfig(layers: [ConfigLayer(source: "test", values: row.values)])
        let gates = RevisionGates(resolved: config)
        #expect(gates == row.expected)
        #expect(gates.isEmpty == row.expected.gates.isEmpty)
    }

    // MARK: - The loop

    @Test func aPassingGateLetsTheRevisionGoToItsCritique() async throws {
        try base.write("plan.md", Self.original)
        let reviser = reviserAddingRisks()
        let command = gate(requiring: "^## Risks", message: "no risks")
        let result = try await base.critic.critique(
            try base.request(reviser: reviser, gates: RevisionGates(commands: [command, "true"]))
        )
        #expect(result.passed)
        #expect(result.stopReason == .shipped)
        #expect(base.criticRuns() == 2)
        let root = base.root.resolvingSymlinksInPath().path
        let expectedRun = "1 \(root) \(base.root.appendingPathComponent("plan.md").path)"
        #expect(runs() == [expectedRun])
        let gates = try #require(try record(1).gates)
        #expect(gates.passed)
        #expect(gates.failedGate == nil)
        let log = try String(contentsOf: base.directory.path("state/plan.md/gates-1.log"), encoding: .utf8)
        #expect(log.contains("$ \(command)\n"))
        #expect(log.contains("$ true\n"))
        #expect(try report().contains("| 1 | passed | – |"))
    }

    @Test func aFailingBlockingGateStopsTheLoopAndKeepsTheBestIteration() async throws {
        try base.write("plan.md", Self.original)
        let reviser = ProcessCriticTests.Reviser()
        let versions = [
            "# Plan, version two\n\nA second take: different words, a different order, more detail.\n",
            "# A broken plan\n\nThis one starts over and breaks what the gate checks for.\n",
        ]
        reviser.answer = { iteration, _ in
            try base.write("plan.md", versions[iteration - 1])
            return AgentReport()
        }
        let command = gate(requiring: "^# Plan", message: "the plan lost its title")
        let result = try await base.critic.critique(
            try base.request(reviser: reviser, gates: RevisionGates(commands: [command]))
        )
        #expect(result.stopReason == .gateBlocked)
        #expect(result.iterations == 2)
        #expect(result.composite == 7, "iteration 1 is the best so far")
        #expect(!result.passed)
        #expect(base.criticRuns() == 2, "the blocked revision was critiqued")
        #expect(try base.file("plan.md") == versions[0], "the best iteration's artifact is kept")
        #expect(runs().map { $0.prefix(2) } == ["1 ", "2 "])
        let gates = try #require(try record(2).gates)
        #expect(!gates.passed)
        #expect(gates.blocking)
        #expect(gates.failedGate == command)
        #expect(gates.outputTail?.contains("the plan lost its title") == true, "\(gates)")
        #expect(gates.outputTail?.contains("exited with status 3") == true, "\(gates)")
        #expect(try record(2).critique == nil)
        let report = try report()
        #expect(report.contains("gate_blocked: the gate `\(command)` failed"), "\(report)")
        #expect(report.contains("| 2 | failed (blocking) |"))
        #expect(report.contains("the plan lost its title"))
        let document = try String(
            contentsOf: base.root.appendingPathComponent("critique/phase-1/rev-1/result.json"),
            encoding: .utf8
        )
        #expect(document.contains("\"stopReason\" : \"gate_blocked\""))
    }

    @Test func aFailingGateThatDoesNotBlockBecomesAMustFixItemOfTheNextRevision() async throws {
        try base.write("plan.md", Self.original)
        let reviser = ProcessCriticTests.Reviser()
        reviser.answer = { iteration, _ in
            let text =
                iteration == 1
                ? "# Plan, version two\n\nA second take: different words, a different order, more detail.\n"
                : "# Plan, take three\n\n## Tests\nRun them.\n\n## Risks\n- It may slip.\n"
            try base.write("plan.md", text)
            return AgentReport()
        }
        let command = gate(requiring: "^## Tests", message: "plan.md has no Tests section")
        let result = try await base.critic.critique(
            try base.request(reviser: reviser, gates: RevisionGates(commands: [command], blocking: false))
        )
        #expect(result.passed)
        #expect(result.iterations == 2)
        #expect(base.criticRuns() == 3, "the revision whose gate failed was critiqued all the same")
        let first = try #require(try record(1).gates)
        #expect(!first.passed)
        #expect(!first.blocking)
        #expect(try record(1).critique?.composite == 7)
        #expect(try record(2).gates?.passed == true)
        #expect(reviser.calls.count == 2)
        let gateItems = reviser.calls[1].items.filter { $0.reviewer == "gate" }
        #expect(gateItems.count == 1)
        #expect(gateItems.first?.body.contains("`\(command)` failed") == true)
        #expect(gateItems.first?.body.contains("plan.md has no Tests section") == true)
        #expect(reviser.calls[0].items.allSatisfy { $0.reviewer != "gate" }, "no gate ran on the original")
        #expect(try report().contains("| 1 | failed (not blocking) |"))
    }

    @Test func aGateThatRunsPastItsTimeIsStoppedAndFails() async throws {
        try base.write("plan.md", Self.original)
        let reviser = reviserAddingRisks()
        // A gate left to finish would pass after its sleep: blocked means its 1 s limit stopped it.
        let result = try await base.critic.critique(
            try base.request(
                reviser: reviser,
                gates: RevisionGates(commands: ["echo waiting; sleep 30"], timeoutSeconds: 1)
            )
        )
        #expect(result.stopReason == .gateBlocked)
        #expect(base.criticRuns() == 1)
        let gates = try #require(try record(1).gates)
        #expect(!gates.passed)
        #expect(gates.latencyMs >= 1000)
        #expect(gates.outputTail?.contains("waiting") == true, "\(gates)")
        #expect(gates.outputTail?.contains("did not finish within 1 s") == true, "\(gates)")
        #expect(try base.file("plan.md") == Self.original, "the original is the best so far")
    }

    @Test func aLoopKilledAfterItsGatesRanDoesNotRunThemAgain() async throws {
        try base.write("plan.md", Self.original)
        let reviser = reviserAddingRisks()
        let gates = RevisionGates(commands: [gate(requiring: "^## Risks", message: "no risks")])
        let finished = try await base.critic.critique(try base.request(reviser: reviser, gates: gates))
        #expect(finished.passed)
        #expect(runs().count == 1)

        // The state of a process killed once iteration 1's gates were recorded: no critique of the revision, no loop
        // summary, no reports, the first plan in the working tree.
        let state = base.directory.path("state/plan.md")
        var saved = try record(1)
        saved.critique = nil
        try JSONEncoder().encode(saved).write(to: state.appendingPathComponent("iteration-1.json"))
        for name in ["loop.json", "critique-1"] {
            try FileManager.default.removeItem(at: state.appendingPathComponent(name))
        }
        try FileManager.default.removeItem(at: base.root.appendingPathComponent("critique"))
        try base.write("plan.md", Self.original)
        reviser.answer = { _, _ in throw ProcessCriticTests.Failure() }

        let resumed = try await base.critic.critique(try base.request(reviser: reviser, gates: gates))
        #expect(resumed.passed)
        #expect(resumed.stopReason == .shipped)
        #expect(runs().count == 1, "the gates that finished ran again")
        #expect(base.criticRuns() == 3, "only the critique cut short runs again")
        #expect(reviser.calls.count == 1)
        #expect(try base.file("plan.md") == Self.withRisks)

        // Killed during the gates (the revision is recorded, its gates are not): they run again, once.
        saved.gates = nil
        try JSONEncoder().encode(saved).write(to: state.appendingPathComponent("iteration-1.json"))
        for name in ["loop.json", "critique-1"] {
            try FileManager.default.removeItem(at: state.appendingPathComponent(name))
        }
        let again = try await base.critic.critique(try base.request(reviser: reviser, gates: gates))
        #expect(again.passed)
        #expect(runs().count == 2)
        #expect(reviser.calls.count == 1)
    }
}
