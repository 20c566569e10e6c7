import Foundation
import Testing
import TollgateEngine
import TollgateTestSupport

/// DESIGN §10 through the built binary on the local review host: a plan's todos run as parallel `/bin/sh` agent
/// processes, each in its worktree, landing one commit each; the gates run after them; `status` and `log` show it.
@Suite(.runsProcesses)
struct DispatchBinaryTests {
    /// The agent: phase 1 plans a diamond (`a`; `b`, `c` after `a`; `d` after both), each task writes its file
    /// (`b` and `c` take a second) and logs when it started and ended, phase 3 closes the job.
    static func agent(capture: URL) -> String {
        AgentScript.custom(
            """
            set -e
            log="\(capture.path)/tasks.log"
            if [ "$TOLLGATE_MODE" = task ]; then
              echo "start $TOLLGATE_TASK $(date +%s%N)" >> "$log"
              case "$TOLLGATE_TASK" in
                b|c) sleep 1 ;;
                d) test -f tasks/b.txt && test -f tasks/c.txt ;;
              esac
              mkdir -p tasks
              echo "$TOLLGATE_TASK: $TOLLGATE_TASK_TITLE" > "tasks/$TOLLGATE_TASK.txt"
              echo "end $TOLLGATE_TASK $(date +%s%N)" >> "$log"
              printf '{"summary": "Write %s"}\\n' "$TOLLGATE_TASK" > "$TOLLGATE_OUTCOME"
              exit 0
            fi
            if [ "$TOLLGATE_PHASE" = 1 ]; then
              printf '# Plan\\n' > plan.md
              cat > todos.yaml <<'YAML'
            todos:
              - id: a
                title: Lay the ground
              - id: b
                title: Build the left side
                dependsOn: [a]
              - id: c
                title: Build the right side
                dependsOn: [a]
              - id: d
                title: Join both sides
                dependsOn: [b, c]
            YAML
              printf '{"summary": "Plan a diamond"}\\n' > "$TOLLGATE_OUTCOME"
            else
              printf 'todos: []\\n' > todos.yaml
              printf '{"summary": "Close the job", "jobComplete": true}\\n' > "$TOLLGATE_OUTCOME"
            fi
            """
        )
    }

    /// `start`/`end` times of each task, in nanoseconds, from the agent's log.
    static func spans(_ capture: URL) throws -> [String: (start: UInt64, end: UInt64)] {
        let text = try String(contentsOf: capture.appendingPathComponent("tasks.log"), encoding: .utf8)
        var spans: [String: (start: UInt64, end: UInt64)] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard parts.count == 3, let time = UInt64(parts[2]) else { continue }
            let id = String(parts[1])
            var span = spans[id] ?? (0, 0)
            if parts[0] == "start" { span.start = time } else { span.end = time }
            spans[id] = span
        }
        return spans
    }

    @Test func aDispatchedPhaseRunsParallelAgentProcessesAndStatusAndLogShowIt() async throws {
        let job = try CLIJob("dispatch-binary")
        let capture = job.directory.path("capture")
        try FileManager.default.createDirectory(at: capture, withIntermediateDirectories: true)
        let agent = try job.script("agent.sh", Self.agent(capture: capture))
        try await job.initialize([
            "--autonomy", "full", "--agent", agent, "--set", "dispatch.maxParallel=2", "--set",
            #"verify.gates=[{"name":"joined","command":"test -f tasks/d.txt"},{"name":"diff-check","command":"git diff --check HEAD~1"}]"#,
        ])
        let run = try await job.tollgate("run", job.path, timeout: 120)
        #expect(run.status == 0, "\(run)")
        #expect(run.stdout.contains("task b started on phase-2-tactical-task-b"), "\(run.stdout)")

        let spans = try Self.spans(capture)
        let b = try #require(spans["b"])
        let c = try #require(spans["c"])
        let d = try #require(spans["d"])
        #expect(b.start < c.end && c.start < b.end, "b and c did not overlap: \(spans)")
        #expect(d.start > b.end && d.start > c.end)
        #expect(spans.count == 4)

        // status --json: the plan object of DESIGN §10.
        let status = try await job.status()
        let plan = try #require(status["plan"] as? [String: Any])
        #expect(plan["status"] as? String == "verified")
        let tasks = try #require(plan["tasks"] as? [[String: Any]])
        #expect(tasks.map { $0["id"] as? String } == ["a", "b", "c", "d"])
        #expect(tasks.allSatisfy { $0["status"] as? String == "done" })
        #expect(tasks.last?["dependsOn"] as? [String] == ["b", "c"])
        #expect(tasks.first?["branch"] as? String == "phase-2-tactical-task-a")
        #expect(tasks.allSatisfy { ($0["commit"] as? String)?.count == 40 && $0["durationMs"] is Int })
        let gates = try #require(plan["gates"] as? [[String: Any]])
        #expect(gates.map { $0["name"] as? String } == ["joined", "diff-check"])
        #expect(gates.allSatisfy { $0["passed"] as? Bool == true && $0["exitCode"] as? Int == 0 })

        // status: the table.
        let text = try await job.tollgate("status", job.path)
        #expect(text.stdout.contains("plan of phase 2 (tactical): verified, 4/4 tasks landed on phase-2-tactical"))
        #expect(text.stdout.contains("TASK  STATE  TIME"), "\(text.stdout)")
        #expect(text.stdout.contains("phase-2-tactical-task-d"))
        #expect(text.stdout.contains("gates: 2/2 passed (verify/phase-2/rev-1/report.md)"))

        // log: the events.
        let log = try await job.tollgate("log", job.path)
        for type in [
            "plan.created", "plan.dispatched", "task.started", "task.finished", "task.merged", "plan.completed",
            "gate.finished", "plan.verified",
        ] {
            #expect(log.stdout.contains(type), "tollgate log shows no \(type)")
        }
        #expect(log.stdout.contains("task.merged  phase 2 rev 1  commit="))

        // main: the phase's squash holds every task's file and the gates' report.
        #expect(try await job.git("show", "main:tasks/d.txt") == "d: Join both sides")
        #expect(try await job.git("show", "main:verify/phase-2/rev-1/report.md").contains("all 2 passed"))
    }

    @Test func aTollgateKilledAfterATaskFinishedRunsNoTaskTwice() async throws {
        let job = try CLIJob("dispatch-binary-crash")
        let capture = job.directory.path("capture")
        try FileManager.default.createDirectory(at: capture, withIntermediateDirectories: true)
        let agent = try job.script("agent.sh", Self.agent(capture: capture))
        try await job.initialize(["--autonomy", "full", "--agent", agent, "--set", "dispatch.maxParallel=2"])
        let killed = try await job.tollgate(
            "run",
            job.path,
            environment: ["TOLLGATE_FAULT": "after-task-finish"],
            timeout: 120
        )
        #expect(killed.status == FaultPoint.exitStatus, "\(killed)")
        let rerun = try await job.tollgate("run", job.path, timeout: 120)
        #expect(rerun.status == 0, "\(rerun)")
        let starts = try String(contentsOf: capture.appendingPathComponent("tasks.log"), encoding: .utf8)
            .split(separator: "\n").filter { $0.hasPrefix("end ") }.map { $0.split(separator: " ")[1] }
        #expect(starts.sorted() == ["a", "b", "c", "d"], "a finished task ran again: \(starts)")
        let subjects = try await job.git("log", "--format=%s", "main")
        #expect(subjects.contains("Phase 2 (tactical): Carry out the plan: 4 of 4 tasks landed"))
        #expect(try await job.git("show", "main:tasks/d.txt") == "d: Join both sides")
    }

    /// The example agent plans a diamond and carries out each todo as a task: the last one builds on both middle
    /// ones, which ran from the same start.
    @Test func theExampleAgentPlansADiamondAndCarriesOutItsTasks() async throws {
        let job = try CLIJob("dispatch-example-agent")
        try await job.initialize([
            "--autonomy", "full", "--agent", "tollgate example-agent", "--set",
            #"verify.gates=[{"name":"diff-check","command":"git diff --check main HEAD"}]"#,
        ])
        let run = try await job.tollgate("run", job.path, timeout: 120)
        #expect(run.status == 0, "\(run)")
        let events = try await job.events()
        let starts = events.filter { $0["type"] as? String == "task.started" }.compactMap {
            $0["data"] as? [String: String]
        }
        #expect(starts.map { $0["task"] } == ["gather", "outline", "examples", "draft"])
        #expect(starts[1]["startPoint"] == starts[2]["startPoint"], "outline and examples start from the same point")
        let draft = try await job.git("show", "main:outputs/draft.md")
        #expect(draft.contains("## From outline") && draft.contains("## From examples"))
        #expect(try await job.git("show", "main:verify/phase-2/rev-1/report.md").contains("all 1 passed"))
    }

    /// A hostile task agent: `b` commits a file of its own on the phase branch, in the job's main working tree.
    @Test func aTaskAgentThatCommitsOnThePhaseBranchFailsItsTaskAndTheBranchIsPutBack() async throws {
        let job = try CLIJob("dispatch-binary-hostile")
        let capture = job.directory.path("capture")
        try FileManager.default.createDirectory(at: capture, withIntermediateDirectories: true)
        let hostile = Self.agent(capture: capture).replacingOccurrences(
            of: "if [ \"$TOLLGATE_MODE\" = task ]; then\n",
            with: """
                if [ "$TOLLGATE_MODE" = task ] && [ "$TOLLGATE_TASK" = b ]; then
                  root=$(dirname "$(git rev-parse --path-format=absolute --git-common-dir)")
                  echo "not reviewed" > "$root/hostile.txt"
                  git -C "$root" add hostile.txt
                  git -C "$root" -c user.name=Hostile -c user.email=h@example.com commit -q -m hostile
                fi
                if [ "$TOLLGATE_MODE" = task ]; then

                """
        )
        #expect(hostile.contains("hostile.txt"))
        let agent = try job.script("agent.sh", hostile)
        try await job.initialize(["--autonomy", "full", "--agent", agent, "--set", "dispatch.maxParallel=1"])
        let run = try await job.tollgate("run", job.path, timeout: 120)
        #expect(run.status == 3, "a failed plan freezes at full autonomy: \(run)")
        #expect(
            run.stdout.contains(
                "the plan's branches were changed while the agent of task b ran: moved "
                    + "phase-2-tactical from"
            ),
            "\(run.stdout)"
        )
        let tasks = try await #require((try job.status()["plan"] as? [String: Any])?["tasks"] as? [[String: Any]])
        #expect(tasks.map { $0["status"] as? String } == ["done", "error", "done", "blocked"])
        #expect(!FileManager.default.fileExists(atPath: job.root.appendingPathComponent("hostile.txt").path))
        #expect(try await job.git("status", "--porcelain").isEmpty)
        #expect(
            try await job.git("show", "refs/tollgate/quarantine/task-b/heads/phase-2-tactical:hostile.txt")
                == "not reviewed"
        )
        #expect(
            try await GitCLI.runAllowingFailure(["show", "phase-2-tactical:hostile.txt"], in: job.root).status != 0
        )
        #expect(try await job.git("show", "phase-2-tactical:tasks/c.txt") == "c: Build the right side")
    }
}
