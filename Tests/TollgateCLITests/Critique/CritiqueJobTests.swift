import Foundation
import Testing
import TollgateTestSupport

/// Critique inside a job, through the built executable: the revision loop with the example agent and critic,
/// escalation at full autonomy, and a loop killed mid-way and resumed.
@Suite(.runsProcesses)
struct CritiqueJobTests {
    static let exampleCritic = "critique.command=tollgate example-critic"

    @Test func theFirstPlanFailsTheAgentRevisesAndTheCritiqueShipsOnMain() async throws {
        let job = try CLIJob("critique-loop")
        try await job.initialize(["--autonomy", "full", "--set", "critique.enabled=true", "--set", Self.exampleCritic])
        let run = try await job.tollgate("run", job.path)
        #expect(run.status == 0, "\(run)")
        #expect(run.stdout.contains("agent (revise, iteration 1)"))

        let folder = "critique/phase-1/rev-1"
        let files = try await job.git("ls-tree", "-r", "--name-only", "main", folder).split(separator: "\n").map(
            String.init
        )
        for name in ["transcript.ndjson", "summary.json", "report.md", "result.json"] {
            #expect(files.contains("\(folder)/\(name)"), "\(name) is not on main: \(files)")
        }
        let first = try await summary(job, "main:\(folder)/iterations/0/summary.json")
        #expect(first["status"] as? String == "below_threshold")
        #expect((first["rounds"] as? [[String: Any]])?.first?["decision"] as? String == "continue")
        let kept = try await summary(job, "main:\(folder)/summary.json")
        #expect(kept["status"] as? String == "shipped")
        let loop = try #require(kept["loop"] as? [String: Any])
        #expect(loop["iterations"] as? Int == 1)
        #expect(loop["stopReason"] as? String == "shipped")
        #expect((loop["tokens"] as? Int ?? 0) > 0)
        #expect(try await job.git("show", "main:plan.md").contains("## Risks"))
        #expect(
            try await job.git("show", "main:\(folder)/transcript.ndjson").hasPrefix(
                "{\"format\":\"tollgate-critique-transcript\""
            )
        )
        #expect(try await job.git("show", "main:\(folder)/report.md").contains("## Round 1: composite"))

        let finished = try await job.events().filter { $0["type"] as? String == "critique.finished" }
        let data = try #require(finished.first?["data"] as? [String: Any])
        #expect(data["status"] as? String == "shipped")
        #expect(data["iterations"] as? String == "1")
        #expect(data["stopReason"] as? String == "shipped")
    }

    @Test func aMisspeltCritiqueOverrideStopsTheRunBeforeAnythingRunsAndARerunFinishesIt() async throws {
        let job = try CLIJob("critique-bad-override")
        try await job.initialize(["--autonomy", "full", "--set", "critique.enabled=true", "--set", Self.exampleCritic])
        let before = try await job.git("rev-parse", "tollgate/state")
        let bad = try await job.tollgate("run", job.path, environment: ["TOLLGATE_CRITIQUE_TRESHOLD": "9"])
        #expect(bad.status == 64, "a usage error: \(bad)")
        #expect(bad.stderr.contains("TOLLGATE_CRITIQUE_TRESHOLD"), "\(bad.stderr)")
        #expect(bad.stderr.contains("TOLLGATE_CRITIQUE_THRESHOLD"), "the likely intended name: \(bad.stderr)")
        // The settings are read before anything runs: no agent ran, nothing was recorded, and a rerun without the
        // typo runs the job.
        #expect(try await job.git("rev-parse", "tollgate/state") == before)
        let rerun = try await job.tollgate("run", job.path)
        #expect(rerun.status == 0, "\(rerun)")
        #expect(try await job.status()["status"] as? String == "completed")
    }

    /// A critic whose every round scores 5 with a must-fix item.
    ///
    /// Scripts are run as `/bin/sh <path>`, never executed
    /// themselves: one written while another test spawns a process could be held open by it ("text file busy").
    func failingCritic(_ job: CLIJob) throws -> String {
        "/bin/sh "
            + (try job.script(
                "failing-critic.sh",
                """
                #!/bin/sh
                printf '<CRITIQUE_RUN version="1"><ROUND n="1"><PANELIST role="designer"><ARTIFACT><![CDATA['
                cat
                printf ']]></ARTIFACT></PANELIST><PANELIST role="critic" score="5"><MUST_FIX>Start over.</MUST_FIX></PANELIST>'
                printf '<PANELIST role="brand" score="5"></PANELIST><PANELIST role="a11y" score="5"></PANELIST><PANELIST role="copy" score="5"></PANELIST>'
                printf '<ROUND_END n="1"></ROUND_END></ROUND></CRITIQUE_RUN>\\n'

                """
            ))
    }

    @Test func aCritiqueThatNeverPassesFreezesEvenAFullAutonomyJob() async throws {
        let job = try CLIJob("critique-escalate")
        try await job.initialize([
            "--autonomy", "full", "--set", "critique.enabled=true", "--set",
            "critique.command=\(try failingCritic(job))",
        ])
        let run = try await job.tollgate("run", job.path)
        #expect(run.status == 3, "\(run)")
        let status = try await job.status()
        #expect(status["status"] as? String == "pending_review")
        let reason = try #require(status["freezeReason"] as? String)
        #expect(reason.contains("critique"), "\(reason)")
        let text = try await job.tollgate("status", job.path)
        #expect(text.stdout.contains("frozen:"))
        // The score and the open must-fix count, in status and in the local review's body.
        let line = "critique below_threshold: composite 5.0 / threshold 8.0, 1 open must-fix item(s)"
        #expect(text.stdout.contains(line), "\(text.stdout)")
        let book = try await JSONSerialization.jsonObject(
            with: Data(job.git("show", "tollgate/state:reviews.json").utf8)
        )
        let bodies = Self.strings(named: "body", in: book)
        let body = try #require(bodies.first { $0.contains("critique score") }, "\(bodies)")
        #expect(body.contains(line), "\(body)")
        #expect(body.contains(reason), "the escalation reason: \(body)")
        #expect(try await job.git("log", "--format=%B", "-1", "phase-1-strategic").contains("Tollgate-Critique: 1"))

        // The loop ran every iteration (each revision answers the critic, none ships) and says what it cost.
        let critique = try #require(status["critique"] as? [String: Any])
        #expect(critique["iterations"] as? Int == 3)
        #expect(critique["stopReason"] as? String == "exhausted")
        #expect(critique["startComposite"] as? Double == 5)
        #expect(critique["composite"] as? Double == 5)
        let tokens = try #require(critique["tokens"] as? Int)
        #expect(tokens > 0)
        let latency = try #require(critique["latencyMs"] as? Int)
        #expect(latency > 0)
        #expect(text.stdout.contains("revision loop: 3 iteration(s), composite 5.0 → 5.0, \(tokens) token(s)"))
        #expect(text.stdout.contains("stopped: exhausted"))
        let finished = try await job.events().filter { $0["type"] as? String == "critique.finished" }
        #expect(finished.count == 1)
        let data = try #require(finished.first?["data"] as? [String: String])
        #expect(data["tokens"] == "\(tokens)")
        #expect(data["latencyMs"] == "\(latency)")
        #expect(data["startComposite"] == "5.00")
        let report = try await job.git("show", "phase-1-strategic:critique/phase-1/rev-1/report.md")
        #expect(report.contains("| Tokens | \(tokens) |"))
        #expect(report.contains("| Time | \(String(format: "%.1f", Double(latency) / 1000)) s |"))
    }

    @Test func withEscalationOffAFailingCritiqueStillMerges() async throws {
        let job = try CLIJob("critique-no-escalate")
        try await job.initialize([
            "--autonomy", "full", "--set", "critique.enabled=true", "--set",
            "critique.command=\(try failingCritic(job))",
            "--set", "critique.escalate=false",
        ])
        let run = try await job.tollgate("run", job.path)
        #expect(run.status == 0, "\(run)")
        let result = try await summary(job, "main:critique/phase-1/rev-1/result.json")
        #expect(result["status"] as? String == "below_threshold")
    }

    @Test func aLoopKilledDuringACritiqueResumesWithoutRerunningWhatFinished() async throws {
        let job = try CLIJob("critique-kill")
        let runs = job.directory.path("critic-runs.txt")
        let hanging = job.directory.path("critic-hanging.pid")
        let modes = job.directory.path("agent-modes.txt")
        let critic =
            "/bin/sh "
            + (try job.script(
                "critic.sh",
                """
                #!/bin/sh
                n=0
                if [ -f "\(runs.path)" ]; then n=$(wc -l < "\(runs.path)" | tr -d ' '); fi
                echo run >> "\(runs.path)"
                if [ "$n" = 1 ]; then
                  echo $$ > "\(hanging.path)"
                  sleep 60
                fi
                exec tollgate example-critic

                """
            ))
        let agent =
            "/bin/sh "
            + (try job.script(
                "agent.sh",
                """
                #!/bin/sh
                echo "$TOLLGATE_PHASE $TOLLGATE_MODE" >> "\(modes.path)"
                exec tollgate example-agent

                """
            ))
        try await job.initialize([
            "--autonomy", "full", "--agent", agent, "--set", "critique.enabled=true", "--set",
            "critique.command=\(critic)",
            "--set", "critique.roundTimeoutSeconds=120", "--set", "critique.totalTimeoutSeconds=240",
        ])
        let process = try job.binary.start(["run", job.path], directory: job.directory.url)
        // The shell's id in full: the file exists (empty) a moment before `echo` fills it.
        let readPID = { () -> Int32? in
            (try? String(contentsOf: hanging, encoding: .utf8)).flatMap {
                Int32($0.trimmingCharacters(in: .whitespacesAndNewlines))
            }
        }
        let deadline = Date().addingTimeInterval(30)
        while readPID() == nil && Date() < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        let criticPID = try #require(readPID())
        // The machine dies: tollgate and the critic it was waiting for. (The critic inherited descriptors by which
        // the test learns that tollgate ended, so the wait returns only once both are gone.)
        let group = getpgid(criticPID)
        kill(process.pid, SIGKILL)
        kill(group > 0 ? -group : criticPID, SIGKILL)
        let killed = await process.wait(timeout: 10)
        #expect(killed.status == 128 + SIGKILL)
        #expect(!killed.timedOut)

        let resumed = try await job.tollgate("run", job.path)
        #expect(resumed.status == 0, "\(resumed)")
        let critiques = try String(contentsOf: runs, encoding: .utf8).split(separator: "\n").count
        let agentRuns = try String(contentsOf: modes, encoding: .utf8).split(separator: "\n").map(String.init)
        // Phase 1: the first critique, the killed one and its rerun; phase 3: a first critique and one after the
        // revision. Rerunning the finished first critique would make 6; rerunning the revision, a third revise.
        #expect(critiques == 5)
        #expect(agentRuns == ["1 work", "1 revise", "2 task", "2 task", "2 task", "2 task", "3 work", "3 revise"])
        #expect(try await summary(job, "main:critique/phase-1/rev-1/summary.json")["status"] as? String == "shipped")
    }

    /// Every string value under a key `name`, at any depth.
    static func strings(named name: String, in value: Any) -> [String] {
        if let object = value as? [String: Any] {
            return object.flatMap { key, child in
                key == name ? [child as? String].compactMap { $0 } : strings(named: name, in: child)
            }
        }
        if let array = value as? [Any] { return array.flatMap { strings(named: name, in: $0) } }
        return []
    }

    private func summary(_ job: CLIJob, _ object: String) async throws -> [String: Any] {
        let text = try await job.git("show", object)
        guard let value = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw GitCLI.Failure(description: "\(object) is not a JSON object")
        }
        return value
    }
}
