import Foundation
import Testing
import TollgateEngine
import TollgateTestSupport

/// The revision loop's gates in a job, through the built executable: the example agent and critic, and a gate
/// script that counts its runs and checks `plan.md`.
@Suite(.runsProcesses)
struct CritiqueGateTests {
    /// A job at full autonomy whose critiqued phases run `gate.sh`: it records `<phase> <iteration>` and fails, saying
    /// why, unless the artifact has a line matching `pattern`.
    static func makeJob(_ label: String, requiring pattern: String) async throws -> CLIJob {
        let job = try CLIJob(label)
        let gate = try job.script(
            "gate.sh",
            """
            #!/bin/sh
            echo "$TOLLGATE_PHASE $TOLLGATE_ITERATION" >> "\(job.directory.path("gate-runs.txt").path)"
            grep -q '\(pattern)' "$TOLLGATE_ARTIFACT" || { echo "plan.md has no line matching \(pattern)"; exit 1; }

            """
        )
        // Run as `/bin/sh <path>`: a script being written while another test spawns a process could be held open by
        // it ("text file busy") if it were executed itself.
        try await job.initialize([
            "--autonomy", "full", "--set", "critique.enabled=true", "--set", CritiqueJobTests.exampleCritic,
            "--set", "critique.revision.gates=/bin/sh \(gate)",
        ])
        return job
    }

    static func gateRuns(_ job: CLIJob) throws -> [String] {
        let file = job.directory.path("gate-runs.txt")
        guard FileManager.default.fileExists(atPath: file.path) else { return [] }
        return try String(contentsOf: file, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    @Test func aFailingGateStopsTheLoopKeepsTheFirstPlanAndFreezesThePhase() async throws {
        let job = try await Self.makeJob("critique-gate-blocks", requiring: "^## Rollback")
        let run = try await job.tollgate("run", job.path)
        #expect(run.status == 3, "frozen for review: \(run)")
        #expect(try Self.gateRuns(job) == ["1 1"], "one revision, one gate run, no second iteration")

        let status = try await job.status()
        #expect(status["status"] as? String == "pending_review")
        let critique = try #require(status["critique"] as? [String: Any])
        #expect(critique["stopReason"] as? String == "gate_blocked")
        #expect(critique["iterations"] as? Int == 1)
        #expect(critique["status"] as? String == "below_threshold")
        let text = try await job.tollgate("status", job.path)
        #expect(text.stdout.contains("stopped: gate_blocked"), "\(text.stdout)")

        let finished = try await job.events().filter { $0["type"] as? String == "critique.finished" }
        #expect(finished.count == 1)
        #expect((finished.first?["data"] as? [String: String])?["stopReason"] == "gate_blocked")

        // The revision (which added risks) never reached the critic: the first plan, the best so far, is kept.
        let plan = try await job.git("show", "phase-1-strategic:plan.md")
        #expect(!plan.contains("## Risks"), "\(plan)")
        let report = try await job.git("show", "phase-1-strategic:critique/phase-1/rev-1/report.md")
        #expect(report.contains("| Stop reason | gate_blocked: the gate `/bin/sh "), "\(report)")
        #expect(report.contains("| 1 | failed (blocking) |"))
        #expect(report.contains("plan.md has no line matching ^## Rollback"))
        let log = try String(
            contentsOf: job.root.appendingPathComponent(
                ".git/tollgate/critique/phase-1-strategic-1/rev-1/plan.md/gates-1.log"
            ),
            encoding: .utf8
        )
        #expect(log.hasPrefix("$ /bin/sh "), "\(log)")
        #expect(log.contains("[the gate exited with status 1]"), "\(log)")
    }

    @Test func aJobKilledOnceItsGatesRanDoesNotRunThemAgain() async throws {
        let job = try await Self.makeJob("critique-gate-kill", requiring: "^## Risks")
        let killed = try await job.tollgate(["run", job.path], environment: ["TOLLGATE_FAULT": "after-gates@1"])
        #expect(killed.status == FaultPoint.exitStatus, "\(killed)")
        #expect(try Self.gateRuns(job) == ["1 1"])
        let record =
            try JSONSerialization.jsonObject(
                with: Data(
                    contentsOf: job.root.appendingPathComponent(
                        ".git/tollgate/critique/phase-1-strategic-1/rev-1/plan.md/iteration-1.json"
                    )
                )
            ) as? [String: Any]
        #expect((record?["gates"] as? [String: Any])?["passed"] as? Bool == true)
        #expect(record?["critique"] == nil)

        let resumed = try await job.tollgate("run", job.path)
        #expect(resumed.status == 0, "\(resumed)")
        #expect(try await job.status()["status"] as? String == "completed")
        // Phases 1 and 3 are critiqued and revised once each: one gate run each.
        #expect(try Self.gateRuns(job) == ["1 1", "3 1"])
        let result = try await job.git("show", "main:critique/phase-1/rev-1/result.json")
        #expect(result.contains("\"stopReason\" : \"shipped\""), "\(result)")
    }
}
