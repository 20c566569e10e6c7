import Foundation

/// Times a dispatched tactical phase (DESIGN §10): a plan of 8 independent tasks whose agent sleeps a second each,
/// run by the `tollgate` binary with `dispatch.maxParallel` 4, against the same job with `dispatch.maxParallel` 1
/// (one task after another), in one run.
///
/// The phase's time is read from the job's own trail: from its `plan.dispatched` event to its `plan.completed`
/// (every task started, ended, committed on its branch and landed on the phase branch).
enum DispatchBench {
    /// Tasks in the plan, and what each one's agent sleeps.
    static let tasks = 8
    static let sleepSeconds = 1
    /// The issue's bound: the parallel phase within 1.2 × (tasks / parallel) seconds.
    static let parallel = 4

    static func run() throws {
        let binary = try JobBench.tollgateBinary()
        let home = JobBench.repositoryRoot()
        print("## dispatch: a plan of \(tasks) independent tasks, each agent sleeping \(sleepSeconds) s")
        print("")
        print("workspaces under \(FileManager.default.temporaryDirectory.path) (TMPDIR)")
        print("")
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("tollgate-bench-dispatch-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let agent = root.appendingPathComponent("agent.sh")
        try Data(agentScript().utf8).write(to: agent)
        guard chmod(agent.path, 0o755) == 0 else { throw BenchError("cannot make \(agent.path) executable") }

        print("| maxParallel | dispatched phase | whole job | bound |")
        print("|---|---|---|---|")
        var phases: [Int: Double] = [:]
        for maxParallel in [parallel, 1] {
            let job = root.appendingPathComponent("job-\(maxParallel)")
            try FileManager.default.createDirectory(at: job, withIntermediateDirectories: true)
            try GitBench.writeWorkspace(at: job, files: 100)
            let environment = JobBench.hermeticEnvironment()
            let initRun = try Spawn.run(
                [
                    binary.path, "init", job.path, "--home", home.path, "--autonomy", "full", "--agent", agent.path,
                    "--description", "dispatch bench", "--set", "dispatch.mode=tasks", "--set",
                    "dispatch.maxParallel=\(maxParallel)",
                ],
                environment: environment
            )
            guard initRun.status == 0 else { throw BenchError("tollgate init exited with \(initRun.status)") }
            let jobRun = try Spawn.run([binary.path, "run", job.path, "--home", home.path], environment: environment)
            guard jobRun.status == 0 else { throw BenchError("tollgate run exited with \(jobRun.status)") }
            let logFile = root.appendingPathComponent("log-\(maxParallel).ndjson")
            let log = try Spawn.run(
                [binary.path, "log", job.path, "--json", "--home", home.path],
                environment: environment,
                output: logFile
            )
            guard log.status == 0 else { throw BenchError("tollgate log exited with \(log.status)") }
            let phase = try dispatchedPhaseSeconds(in: Data(contentsOf: logFile))
            phases[maxParallel] = phase
            let bound =
                maxParallel == 1
                ? String(format: "≥ %d s", tasks * sleepSeconds)
                : String(format: "≤ %.1f s", 1.2 * Double(tasks * sleepSeconds) / Double(maxParallel))
            print(
                "| \(maxParallel) | \(String(format: "%.2f s", phase)) | \(String(format: "%.2f s", jobRun.seconds)) "
                    + "| \(bound) |"
            )
        }
        if let fast = phases[parallel], let slow = phases[1] {
            let bound = 1.2 * Double(tasks * sleepSeconds) / Double(parallel)
            print("")
            print(
                String(
                    format: "one after another / maxParallel %d: %.2f×; %.2f s against the bound of %.1f s: %@",
                    parallel,
                    slow / fast,
                    fast,
                    bound,
                    fast <= bound ? "met" : "MISSED"
                )
            )
        }
        print("")
    }

    /// The agent: phase 1 plans the tasks, each task sleeps and writes its own file, phase 3 closes the job.
    static func agentScript() -> String {
        let todos = (1...tasks).map { "  - id: t\($0)\n    title: Write file \($0)" }.joined(separator: "\n")
        return """
            #!/bin/sh
            set -e
            if [ "$TOLLGATE_MODE" = task ]; then
              sleep \(sleepSeconds)
              mkdir -p tasks
              echo "$TOLLGATE_TASK" > "tasks/$TOLLGATE_TASK.txt"
              printf '{"summary": "Write %s"}\\n' "$TOLLGATE_TASK" > "$TOLLGATE_OUTCOME"
              exit 0
            fi
            if [ "$TOLLGATE_PHASE" = 1 ]; then
              printf '# Plan\\n' > plan.md
              cat > todos.yaml <<'YAML'
            todos:
            \(todos)
            YAML
              printf '{"summary": "Plan the tasks"}\\n' > "$TOLLGATE_OUTCOME"
            else
              printf 'todos: []\\n' > todos.yaml
              printf '{"summary": "Close the job", "jobComplete": true}\\n' > "$TOLLGATE_OUTCOME"
            fi

            """
    }

    /// Seconds from the `plan.dispatched` event to the `plan.completed` one.
    static func dispatchedPhaseSeconds(in log: Data) throws -> Double {
        struct Line: Decodable {
            var type: String
            var at: String
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var times: [String: Date] = [:]
        for line in log.split(separator: 0x0A) where !line.isEmpty {
            let event = try JSONDecoder().decode(Line.self, from: Data(line))
            guard event.type == "plan.dispatched" || event.type == "plan.completed", times[event.type] == nil,
                let date = formatter.date(from: event.at)
            else { continue }
            times[event.type] = date
        }
        guard let start = times["plan.dispatched"], let end = times["plan.completed"] else {
            throw BenchError("the job's trail has no plan.dispatched and plan.completed: the plan did not run")
        }
        return end.timeIntervalSince(start)
    }
}
