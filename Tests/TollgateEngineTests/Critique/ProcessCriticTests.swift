import Foundation
import Testing
import TollgateCore
import TollgateEngine
import TollgateTestSupport

/// The revision loop driver against a real critic script and a scripted reviser standing in for the agent.
@Suite(.runsProcesses)
struct ProcessCriticTests {
    /// What the reviser saw, and how it answers.
    final class Reviser {
        var calls: [(iteration: Int, items: [FeedbackItem])] = []
        var answer: (Int, [FeedbackItem]) throws -> AgentReport = { _, _ in AgentReport() }
    }

    struct Failure: Error {}

    let directory: TemporaryDirectory
    let root: URL
    let counter: URL

    init() throws {
        directory = try TemporaryDirectory("process-critic")
        root = directory.path("workspace")
        counter = directory.path("critic-runs.txt")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    /// A critic that ships an artifact with a `## Risks` heading (9), and scores others 6 with one must-fix item.
    ///
    /// It carries the artifact it was given and appends a line to the counter file on every run. Run as
    /// `/bin/sh <path>` (see ``CriticScript/printing(_:in:name:before:after:)``).
    func criticScript(mustFixWithoutRisks: String = "Add a Risks section.") throws -> String {
        "/bin/sh "
            + (try directory.write(
                "critic.sh",
                """
                #!/bin/sh
                echo "$TOLLGATE_CRITIQUE_ARTIFACT" >> "\(counter.path)"
                printf '<CRITIQUE_RUN version="1">\\n<ROUND n="1">\\n<PANELIST role="designer"><ARTIFACT mime="text/markdown"><![CDATA['
                cat
                printf ']]></ARTIFACT></PANELIST>\\n'
                if grep -q '^## Risks' "$TOLLGATE_CRITIQUE_ARTIFACT"; then s=9; m=0; else s=6; m=1; fi
                if grep -q 'version two' "$TOLLGATE_CRITIQUE_ARTIFACT"; then s=7; fi
                printf '<PANELIST role="critic" score="%s" must_fix="%s">' $s $m
                if [ $m = 1 ]; then printf '<MUST_FIX>\(mustFixWithoutRisks)</MUST_FIX>'; fi
                printf '</PANELIST>\\n<PANELIST role="brand" score="%s"></PANELIST><PANELIST role="a11y" score="%s"></PANELIST>' $s $s
                printf '<PANELIST role="copy" score="%s"></PANELIST>\\n<ROUND_END n="1"></ROUND_END></ROUND></CRITIQUE_RUN>\\n' $s

                """
            ).path)
    }

    func request(
        artifacts: [String] = ["plan.md"],
        reviser: Reviser,
        gates: RevisionGates = .none,
        configure: (inout CritiqueConfig) -> Void = { _ in }
    )
        throws -> CritiqueRequest
    {
        var config = CritiqueConfig.default
        config.enabled = true
        config.command = try criticScript()
        config.artifacts = artifacts
        configure(&config)
        return CritiqueRequest(
            phase: PhaseRef(number: 1, type: .strategic),
            revision: 1,
            root: root,
            stateDirectory: directory.path("state"),
            config: config,
            gates: gates
        ) { iteration, items in
            reviser.calls.append((iteration, items))
            return try reviser.answer(iteration, items)
        }
    }

    var critic: ProcessCritic { ProcessCritic(environment: ["PATH": "/usr/bin:/bin"], graceSeconds: 1) }

    func criticRuns() -> Int {
        ((try? String(contentsOf: counter, encoding: .utf8)) ?? "").split(separator: "\n").count
    }

    func file(_ path: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }

    func write(_ path: String, _ text: String) throws {
        try Data(text.utf8).write(to: root.appendingPathComponent(path))
    }

    @Test func revisesWithTheMustFixItemsUntilTheCritiqueShips() async throws {
        try write("plan.md", "# Plan\n\n## Steps\n1. Build it.\n")
        let reviser = Reviser()
        reviser.answer = { _, _ in
            Thread.sleep(forTimeInterval: 0.05)  // so the loop's wall time visibly includes the revision
            try self.write("plan.md", try self.file("plan.md") + "\n## Risks\n- It may take longer than planned.\n")
            return AgentReport(outcome: AgentOutcome(usage: AgentOutcome.Usage(outputTokens: 40)))
        }
        let result = try await critic.critique(try request(reviser: reviser))

        #expect(result.status == .shipped)
        #expect(result.passed)
        #expect(result.iterations == 1)
        #expect(result.stopReason == .shipped)
        #expect(result.composite == 9)
        #expect(result.startComposite == 6)
        #expect(result.tokens == 40)
        #expect(result.latencyMs >= 50 + (try stepLatencies()), "the loop's wall time: \(result.latencyMs) ms")
        #expect(result.report == "critique/phase-1/rev-1/report.md")
        #expect(criticRuns() == 2)
        let items = try #require(reviser.calls.first?.items)
        #expect(reviser.calls.map(\.iteration) == [1])
        #expect(items.map(\.body) == ["Add a Risks section."])
        #expect(items.first?.reviewer == "critique:critic")
        #expect(items.first?.path == "plan.md")
        #expect(try file("plan.md").contains("## Risks"))

        let folder = root.appendingPathComponent("critique/phase-1/rev-1")
        for name in [
            "transcript.ndjson", "summary.json", "report.md", "result.json", "iterations/0/report.md",
            "iterations/1/summary.json",
        ] {
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path), "\(name)")
        }
        let stored = try JSONDecoder().decode(
            PhaseCritique.self,
            from: Data(contentsOf: folder.appendingPathComponent("result.json"))
        )
        #expect(stored == result)
        let summary = try #require(
            JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("summary.json")))
                as? [String: Any]
        )
        #expect(summary["status"] as? String == "shipped")
        let loop = try #require(summary["loop"] as? [String: Any])
        #expect(loop["startComposite"] as? Double == 6)
        #expect(loop["endComposite"] as? Double == 9)
        #expect(loop["tokens"] as? Int == 40)
        #expect(loop["stopReason"] as? String == "shipped")
        let report = try String(contentsOf: folder.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(report.contains("## Revision loop"))
        #expect(report.contains("[report](iterations/0/report.md)"))
    }

    @Test func aFirstCritiqueThatShipsRunsNoRevision() async throws {
        try write("plan.md", "# Plan\n\n## Risks\n- None known.\n")
        let reviser = Reviser()
        let result = try await critic.critique(try request(reviser: reviser))
        #expect(result.passed)
        #expect(result.iterations == 0)
        #expect(reviser.calls.isEmpty)
        #expect(
            !FileManager.default.fileExists(
                atPath: root.appendingPathComponent("critique/phase-1/rev-1/iterations").path
            )
        )
    }

    @Test func aLoopCutShortResumesWithoutRerunningWhatFinished() async throws {
        try write("plan.md", "# Plan\n\n## Steps\n1. Build it.\n")
        let reviser = Reviser()
        reviser.answer = { _, _ in throw Failure() }  // the process dies during the revision
        await #expect(throws: Failure.self) { try await critic.critique(try request(reviser: reviser)) }
        #expect(criticRuns() == 1)

        reviser.answer = { _, _ in
            try self.write("plan.md", try self.file("plan.md") + "\n## Risks\n- It may take longer than planned.\n")
            return AgentReport()
        }
        let result = try await critic.critique(try request(reviser: reviser))
        #expect(result.passed)
        #expect(criticRuns() == 2, "the first critique ran again")
        #expect(reviser.calls.map(\.iteration) == [1, 1])

        // Started again after the loop finished (the commit did not happen): nothing runs, the same result.
        let again = try await critic.critique(try request(reviser: reviser))
        #expect(again == result)
        #expect(criticRuns() == 2)
        #expect(reviser.calls.count == 2)
    }

    /// Milliseconds the finished critiques of `plan.md`'s loop took, as their persisted steps say.
    func stepLatencies() throws -> Int {
        let loop = directory.path("state/plan.md")
        return try (0...3).reduce(0) { total, index in
            let file = loop.appendingPathComponent("critique-\(index)/step.json")
            guard let data = try? Data(contentsOf: file) else { return total }
            return total + (try JSONDecoder().decode(CritiqueStep.self, from: data)).latencyMs
        }
    }

    @Test func aLoopKilledBeforeItsSummaryKeepsTheIterationThatShippedWithoutRunningItAgain() async throws {
        let original = "# Plan\n\n## Steps\n1. Build it.\n"
        try write("plan.md", original)
        let reviser = Reviser()
        reviser.answer = { _, _ in
            try self.write("plan.md", try self.file("plan.md") + "\n## Risks\n- It may take longer than planned.\n")
            return AgentReport(outcome: AgentOutcome(usage: AgentOutcome.Usage(outputTokens: 40)))
        }
        let finished = try await critic.critique(try request(reviser: reviser))
        #expect(finished.passed)
        // As if the process died once iteration 1 was recorded: no loop summary, the first plan in the tree.
        try FileManager.default.removeItem(at: directory.path("state/plan.md/loop.json"))
        try FileManager.default.removeItem(at: root.appendingPathComponent("critique"))
        try write("plan.md", original)
        reviser.answer = { _, _ in throw Failure() }

        let resumed = try await critic.critique(try request(reviser: reviser))
        #expect(criticRuns() == 2, "a finished critique ran again")
        #expect(reviser.calls.count == 1, "the finished revision ran again")
        #expect(resumed.passed)
        #expect(resumed.composite == 9)
        #expect(resumed.startComposite == 6)
        #expect(resumed.tokens == 40)
        #expect(resumed.latencyMs >= (try stepLatencies()), "the earlier run's steps count in the loop's time")
        #expect(try file("plan.md").contains("## Risks"), "the iteration that shipped is kept")
        let summary = try String(
            contentsOf: root.appendingPathComponent("critique/phase-1/rev-1/summary.json"),
            encoding: .utf8
        )
        #expect(summary.contains("\"keptIteration\" : 1"))
    }

    @Test func keepsTheBestIterationWhenNoneShips() async throws {
        let original = "# Plan\n\nThe first attempt at a plan, with one step.\n"
        try write("plan.md", original)
        let reviser = Reviser()
        let versions = [
            "# Plan, version two\n\nA second take: different words, a different order, more detail.\n",
            "# Another plan\n\nA third take that starts over from nothing at all and says other things.\n",
            "# Plan four\n\nYet another rewrite, unlike the others, with its own sentences in it.\n",
        ]
        reviser.answer = { iteration, _ in
            try self.write("plan.md", versions[iteration - 1])
            return AgentReport()
        }
        let result = try await critic.critique(try request(reviser: reviser))
        #expect(result.status == .belowThreshold)
        #expect(!result.passed)
        #expect(result.iterations == 3)
        #expect(result.stopReason == .exhausted)
        #expect(result.composite == 7)
        #expect(criticRuns() == 4)
        #expect(try file("plan.md") == versions[0], "the best iteration's artifact is kept")
        // Each revision starts from the best artifact so far.
        #expect(reviser.calls.map(\.iteration) == [1, 2, 3])
    }

    @Test func aRevisionWithNoChangeStopsTheLoop() async throws {
        try write("plan.md", "# Plan\n\n## Steps\n1. Build it.\n")
        let reviser = Reviser()
        let result = try await critic.critique(try request(reviser: reviser))
        #expect(result.stopReason == .noChange)
        #expect(result.iterations == 1)
        #expect(criticRuns() == 1)
    }

    @Test func aFailedRevisionStopsTheLoopWithAnError() async throws {
        try write("plan.md", "# Plan\n\n## Steps\n1. Build it.\n")
        let reviser = Reviser()
        reviser.answer = { _, _ in AgentReport(failure: "the agent exited with status 2") }
        let result = try await critic.critique(try request(reviser: reviser))
        #expect(result.stopReason == .error)
        #expect(!result.passed)
        let document = try String(
            contentsOf: root.appendingPathComponent("critique/phase-1/rev-1/result.json"),
            encoding: .utf8
        )
        #expect(document.contains("the agent exited with status 2"))
    }

    @Test func lintFindingsAreMustFixItemsForTheAgent() async throws {
        try write("plan.md", "# Plan\n\n## Risks\n- TODO: name them.\n")
        let reviser = Reviser()
        reviser.answer = { _, _ in
            try self.write("plan.md", "# Plan\n\n## Risks\n- The schedule slips: we check progress every day.\n")
            return AgentReport()
        }
        let result = try await critic.critique(try request(reviser: reviser))
        #expect(result.passed)
        #expect(result.iterations == 1)
        let items = try #require(reviser.calls.first?.items)
        #expect(items.map(\.reviewer) == ["lint"])
        #expect(items.first?.line == 4)
        let first = try String(
            contentsOf: root.appendingPathComponent("critique/phase-1/rev-1/iterations/0/report.md"),
            encoding: .utf8
        )
        #expect(first.contains("line 4, todo"))

        // The finding is a lint warning of the first critique, in its summary and its transcript alike.
        let folder = root.appendingPathComponent("critique/phase-1/rev-1/iterations/0")
        let summary = try JSONDecoder().decode(
            CritiqueSummary.self,
            from: Data(contentsOf: folder.appendingPathComponent("summary.json"))
        )
        let lint = summary.warnings.filter { $0.kind == .lint }
        #expect(lint.count == 1)
        #expect(lint.first?.detail.hasPrefix("line 4: todo:") == true, "\(lint)")
        #expect(summary.status == .shipped, "the scoreboard's status stays as the critic's rounds made it")
        let transcript = try String(contentsOf: folder.appendingPathComponent("transcript.ndjson"), encoding: .utf8)
        var config = CritiqueConfig.default
        config.command = try criticScript()
        #expect(try CritiqueReplay.summary(transcript: transcript, config: config) == summary)
        // The revision has no finding, so no lint warning.
        let kept = try JSONDecoder().decode(
            CritiqueSummary.self,
            from: Data(contentsOf: root.appendingPathComponent("critique/phase-1/rev-1/summary.json"))
        )
        #expect(!kept.warnings.contains { $0.kind == .lint })
    }

    @Test func lintFindingsOnTheKeptArtifactFailThePhase() async throws {
        try write("plan.md", "# Plan\n\n## Risks\n- Lorem ipsum.\n")
        let result = try await critic.critique(try request(reviser: Reviser()) { $0.maxIterations = 0 })
        #expect(result.status == .belowThreshold)
        #expect(result.openMustFix == 1)
        #expect(!result.passed)
        #expect(result.stopReason == .exhausted)
    }

    @Test func withNoArtifactInTheWorkspaceTheCritiqueFails() async throws {
        let result = try await critic.critique(try request(reviser: Reviser()))
        #expect(result.status == .failed)
        #expect(!result.passed)
        #expect(criticRuns() == 0)
        let report = try String(contentsOf: root.appendingPathComponent(result.report), encoding: .utf8)
        #expect(report.contains("`plan.md`"))
    }

    @Test func severalArtifactsEachGetAFolderAndThePhaseTakesTheWorst() async throws {
        try write("plan.md", "# Plan\n\n## Risks\n- None known.\n")
        try write("notes.md", "# Notes\n\nNothing yet.\n")
        try write("ignored.md", "# Not configured\n")
        let result = try await critic.critique(
            try request(artifacts: ["plan.md", "notes.md", "absent.md"], reviser: Reviser()) { $0.maxIterations = 0 }
        )
        #expect(result.status == .belowThreshold)
        #expect(result.composite == 6)
        #expect(result.openMustFix == 1)
        #expect(result.report == "critique/phase-1/rev-1/report.md")
        #expect(criticRuns() == 2)
        let folder = root.appendingPathComponent("critique/phase-1/rev-1")
        for name in ["plan.md/summary.json", "notes.md/transcript.ndjson", "report.md", "result.json"] {
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path), "\(name)")
        }
        let index = try String(contentsOf: folder.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(index.contains("[report](notes.md/report.md)"))
        #expect(index.contains("| `plan.md` | shipped |"))
        #expect(index.contains("| Tokens | Time |"))
        #expect(index.contains("In all: 0 token(s), \(String(format: "%.1f", Double(result.latencyMs) / 1000)) s."))
    }
}
