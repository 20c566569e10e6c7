import Foundation
import Testing
import TollgateTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Ctrl-C during a dispatched phase, through the binary: the message names the task agents it stopped, `status` (text
/// and `--json`) shows their tasks `interrupted`, not `running`, and the next run starts them again and finishes.
@Suite(.runsProcesses)
struct DispatchInterruptTests {
    /// Phase 1 plans `b` and `c` (independent); each task writes its pid to `pids/<task>` and, unless `fast` exists
    /// beside the pids, sleeps a minute; phase 3 closes the job.
    static func agent(capture: URL) -> String {
        AgentScript.custom(
            """
            set -e
            if [ "$TOLLGATE_MODE" = task ]; then
              echo "$TOLLGATE_TASK" >> "\(capture.path)/starts.log"
              if [ "$TOLLGATE_TASK" = b ] && [ -f "\(capture.path)/hostile" ]; then
                stray=$(git -c user.name=Hostile -c user.email=h@example.com commit-tree -p main -m stray "main^{tree}")
                git update-ref "refs/heads/$TOLLGATE_PHASE_BRANCH" "$stray"
              fi
              echo "$$" > "\(capture.path)/pids/$TOLLGATE_TASK.tmp"
              mv "\(capture.path)/pids/$TOLLGATE_TASK.tmp" "\(capture.path)/pids/$TOLLGATE_TASK"
              [ -f "\(capture.path)/fast" ] || sleep 60
              mkdir -p tasks
              echo "$TOLLGATE_TASK" > "tasks/$TOLLGATE_TASK.txt"
              printf '{"summary": "Write %s"}\\n' "$TOLLGATE_TASK" > "$TOLLGATE_OUTCOME"
              exit 0
            fi
            if [ "$TOLLGATE_PHASE" = 1 ]; then
              printf 'todos:\\n  - id: b\\n    title: B\\n  - id: c\\n    title: C\\n' > todos.yaml
              printf '{"summary": "Plan two tasks"}\\n' > "$TOLLGATE_OUTCOME"
            else
              printf 'todos: []\\n' > todos.yaml
              printf '{"summary": "Close the job", "jobComplete": true}\\n' > "$TOLLGATE_OUTCOME"
            fi
            """
        )
    }

    /// The pid a task's agent wrote, waiting for it to start (up to a minute on a loaded machine).
    static func pid(of task: String, in capture: URL) throws -> Int32 {
        let file = capture.appendingPathComponent("pids/\(task)")
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if let text = try? String(contentsOf: file, encoding: .utf8),
                let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
            {
                return pid
            }
            usleep(20_000)
        }
        throw Subprocess.Failure(description: "task \(task)'s agent never started")
    }

    /// A job with the agent above, two tasks at once; with `hostile`, `b`'s agent moves the phase branch first.
    static func job(_ label: String, hostile: Bool) async throws -> (CLIJob, URL) {
        let job = try CLIJob(label)
        let capture = job.directory.path("capture")
        try FileManager.default.createDirectory(
            at: capture.appendingPathComponent("pids"),
            withIntermediateDirectories: true
        )
        if hostile { try Data().write(to: capture.appendingPathComponent("hostile")) }
        let agent = try job.script("agent.sh", Self.agent(capture: capture))
        try await job.initialize(["--autonomy", "full", "--agent", agent, "--set", "dispatch.maxParallel=2"])
        return (job, capture)
    }

    @Test func ctrlCMidDispatchNamesTheStoppedAgentsAndStatusShowsTheirTasksInterrupted() async throws {
        let (job, capture) = try await Self.job("dispatch-interrupt", hostile: false)
        let running = try job.binary.start(["run", job.path], directory: job.directory.url)
        let pids = try ["b", "c"].map { try Self.pid(of: $0, in: capture) }
        kill(running.pid, SIGINT)
        let result = await running.wait(timeout: 60)
        #expect(result.status == 130, "\(result)")
        #expect(result.stderr.contains("interrupted (SIGINT): the agents of tasks b, c were stopped"), "\(result)")
        for pid in pids { #expect(kill(pid, 0) != 0, "task agent \(pid) outlived the interrupted tollgate") }

        let json = try await job.status()
        let tasks = try #require((json["plan"] as? [String: Any])?["tasks"] as? [[String: Any]])
        #expect(tasks.map { $0["status"] as? String } == ["interrupted", "interrupted"], "\(json)")
        #expect(json["process"] is NSNull)
        let text = try await job.tollgate("status", job.path)
        #expect(text.stdout.contains("b     interrupted"), "\(text.stdout)")
        #expect(text.stdout.contains("interrupted: b, c (recorded running, their agents are gone"), "\(text.stdout)")
        #expect(!text.stdout.contains(" running "), "\(text.stdout)")

        // The next run starts both again and finishes the job.
        try Data().write(to: capture.appendingPathComponent("fast"))
        let rerun = try await job.tollgate("run", job.path, timeout: 120)
        #expect(rerun.status == 0, "\(rerun)")
        let done = try await #require((try job.status()["plan"] as? [String: Any])?["tasks"] as? [[String: Any]])
        #expect(done.map { $0["status"] as? String } == ["done", "done"])
        #expect(try await job.git("show", "main:tasks/c.txt") == "c")
    }

    /// `b`'s agent moves the phase branch, then tollgate is interrupted: the check at the interrupted dispatch's end
    /// blames both agents that ran, and the next run fails their tasks without running those agents again.
    @Test func tasksBlamedBeforeAnInterruptFailWithoutTheirAgentsRunningAgain() async throws {
        let (job, capture) = try await Self.job("dispatch-interrupt-hostile", hostile: true)
        let running = try job.binary.start(["run", job.path], directory: job.directory.url)
        // b's pid is written after its move.
        _ = try ["b", "c"].map { try Self.pid(of: $0, in: capture) }
        kill(running.pid, SIGINT)
        let result = await running.wait(timeout: 60)
        #expect(result.status == 130, "\(result)")
        #expect(
            result.stdout.contains("the plan's branches were changed while the agents of tasks b, c ran"),
            "\(result)"
        )
        let stray = try await job.git("rev-parse", "refs/tollgate/quarantine/task-b/heads/phase-2-tactical")
        #expect(try await job.git("log", "-1", "--format=%s", stray) == "stray")
        #expect(try await job.git("rev-parse", "phase-2-tactical") == job.git("rev-parse", "main"), "not put back")

        try Data().write(to: capture.appendingPathComponent("fast"))
        let rerun = try await job.tollgate("run", job.path, timeout: 120)
        #expect(rerun.status == 3, "the failed plan freezes: \(rerun)")
        #expect(rerun.stdout.contains("task b is not run again"), "\(rerun.stdout)")
        let tasks = try await #require((try job.status()["plan"] as? [String: Any])?["tasks"] as? [[String: Any]])
        #expect(tasks.map { $0["status"] as? String } == ["error", "error"])
        let starts = try String(contentsOf: capture.appendingPathComponent("starts.log"), encoding: .utf8)
        #expect(starts.split(separator: "\n").sorted() == ["b", "c"], "an agent ran again: \(starts)")
    }

    /// The same with tollgate killed outright (SIGKILL), so nothing checked before it went: the next command ends the
    /// agents it left, and the dispatch that goes on holds them the suspects, not whoever came between.
    @Test func aTollgateKilledOutrightLeavesItsRunningAgentsTheSuspects() async throws {
        let (job, capture) = try await Self.job("dispatch-kill-hostile", hostile: true)
        let running = try job.binary.start(["run", job.path], directory: job.directory.url)
        _ = try ["b", "c"].map { try Self.pid(of: $0, in: capture) }
        kill(running.pid, SIGKILL)
        _ = await running.wait(timeout: 30)
        try Data().write(to: capture.appendingPathComponent("fast"))
        let rerun = try await job.tollgate("run", job.path, timeout: 120)
        #expect(rerun.status == 3, "the failed plan freezes: \(rerun)")
        #expect(rerun.stderr.contains("left running by a tollgate that was killed"), "\(rerun)")
        // The killed tollgate may or may not have checked the branches before the kill reached it; either way both
        // running agents are blamed, by this run or by the killed one's record.
        #expect(rerun.stdout.contains("the agents of tasks b, c"), "\(rerun.stdout)")
        #expect(rerun.stdout.contains("moved phase-2-tactical"), "\(rerun.stdout)")
        #expect(rerun.stdout.contains("task b is not run again"), "\(rerun.stdout)")
        let tasks = try await #require((try job.status()["plan"] as? [String: Any])?["tasks"] as? [[String: Any]])
        #expect(tasks.map { $0["status"] as? String } == ["error", "error"])
        let starts = try String(contentsOf: capture.appendingPathComponent("starts.log"), encoding: .utf8)
        #expect(starts.split(separator: "\n").sorted() == ["b", "c"], "an agent ran again: \(starts)")
        #expect(
            try await job.git("rev-parse", "phase-2-tactical")
                != job.git("rev-parse", "refs/tollgate/quarantine/task-b/heads/phase-2-tactical")
        )
    }
}
