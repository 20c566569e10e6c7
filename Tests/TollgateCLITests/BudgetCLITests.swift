import Foundation
import Testing
import TollgateTestSupport

/// Budgets through the built binary (DESIGN §11): a hard cap blocks the run that would cross it (exit 4) and raising
/// it goes on with the spend kept; a soft cap freezes a `full` job; two jobs of one project share its daily cap;
/// a crash between a reservation and its charge loses no spend.
@Suite(.runsProcesses, .serialized)
struct BudgetCLITests {
    /// An agent that reports 100 tokens a run and the job complete from phase `completeAt`.
    static func agent(completeAt: Int, pause: String = "0") -> String {
        AgentScript.custom(
            """
            set -e
            sleep \(pause)
            echo "phase $TOLLGATE_PHASE" >> work.txt
            complete=false
            if [ "$TOLLGATE_PHASE" -ge \(completeAt) ]; then complete=true; fi
            printf '{"summary": "Phase %s", "jobComplete": %s, "usage": {"inputTokens": 60, "outputTokens": 40}}\\n' \\
              "$TOLLGATE_PHASE" "$complete" > "$TOLLGATE_OUTCOME"
            """
        )
    }

    /// A job whose ledger folder is the test's own (never the user's `~/.local/state`).
    func job(_ label: String, completeAt: Int = 3, _ settings: [String], autonomy: String = "full") async throws
        -> CLIJob
    {
        let job = try CLIJob(label)
        let agent = try job.script("agent.sh", Self.agent(completeAt: completeAt))
        try await job.initialize(["--autonomy", autonomy, "--agent", agent] + settings.flatMap { ["--set", $0] })
        return job
    }

    func state(_ job: CLIJob) -> [String: String] { ["XDG_STATE_HOME": job.directory.path("state").path] }

    func spentTokens(_ job: CLIJob) async throws -> Double {
        let budget = try #require(try await job.status()["budget"] as? [String: Any])
        return ((budget["spent"] as? [String: Any])?["tokens"] as? NSNumber)?.doubleValue ?? 0
    }

    @Test func aHardCapBlocksTheRunThatWouldCrossItAndRaisingItGoesOnWithTheSpendKept() async throws {
        let job = try await job("budget-cli-hard", ["budget.tokens.hard=250", "agent.reserve.tokens=100"])
        let blocked = try await job.tollgate("run", job.path, environment: state(job))
        #expect(blocked.status == 4, "\(blocked)")
        for words in [
            "budget.tokens.hard is 250 tokens", "spent 200 tokens", "the next run reserves 100 tokens",
            "`tollgate config \(job.path) --set budget.tokens.hard=300`",
        ] {
            #expect(blocked.stderr.contains(words), "'\(words)' missing from: \(blocked.stderr)")
        }
        let status = try await job.status()
        #expect(status["status"] as? String == "blocked")
        #expect(try await spentTokens(job) == 200)
        let text = try await job.tollgate("status", job.path)
        #expect(text.stdout.contains("budget (job): tokens ["), "\(text.stdout)")
        #expect(text.stdout.contains("blocked: budget.tokens.hard"), "\(text.stdout)")
        let log = try await job.tollgate("log", job.path)
        #expect(log.stdout.contains("budget.blocked"), "\(log.stdout)")
        #expect(try await job.events().filter { $0["type"] as? String == "budget.charged" }.count == 2)
        let work = try String(contentsOf: job.root.appendingPathComponent("work.txt"), encoding: .utf8)
        #expect(work == "phase 1\nphase 2\n")

        let raised = try await job.tollgate("config", job.path, "--set", "budget.tokens.hard=300")
        #expect(raised.status == 0, "\(raised)")
        let done = try await job.tollgate("run", job.path, environment: state(job))
        #expect(done.status == 0, "\(done)")
        #expect(try await job.status()["status"] as? String == "completed")
        #expect(try await spentTokens(job) == 300, "raising the cap reset or lost the spend")
    }

    @Test func aSoftCapFreezesAFullJob() async throws {
        let job = try await job("budget-cli-soft", ["budget.tokens.soft=150"])
        let run = try await job.tollgate("run", job.path, environment: state(job))
        #expect(run.status == 3, "\(run)")
        #expect(run.stdout.contains("budget.tokens.soft crossed"), "\(run.stdout)")
        let status = try await job.status()
        #expect(status["phase"] as? Int == 2)
        #expect((status["freezeReason"] as? String)?.contains("budget.tokens.soft is 150 tokens") == true, "\(status)")
        #expect(try await job.events().filter { $0["type"] as? String == "budget.soft_cap" }.count == 1)
    }

    @Test func aCrashBetweenTheReservationAndTheChargeLeavesTheReservationSpent() async throws {
        let job = try await job(
            "budget-cli-crash",
            completeAt: 1,
            ["budget.tokens.hard=1000", "agent.reserve.tokens=100"]
        )
        var environment = state(job)
        environment["TOLLGATE_FAULT"] = "after-reserve"
        let crashed = try await job.tollgate("run", job.path, environment: environment)
        #expect(crashed.status == 86, "\(crashed)")
        let rerun = try await job.tollgate("run", job.path, environment: state(job))
        #expect(rerun.status == 0, "\(rerun)")
        // The killed run's 100 reserved tokens and the rerun's 100 reported ones.
        #expect(try await spentTokens(job) == 200)
        #expect(try await job.events().filter { $0["type"] as? String == "budget.reserved" }.count == 2)
    }

    @Test func aCriticsReportedUsageIsInTheJobsSpendThatStatusShows() async throws {
        let job = try CLIJob("budget-cli-critic")
        let agent = try job.script("agent.sh", Self.agent(completeAt: 1))
        // Scripts are run as `/bin/sh <path>`, never executed themselves ("text file busy").
        let critic = try job.script(
            "critic.sh",
            """
            #!/bin/sh
            printf '{"inputTokens": 5, "outputTokens": 7}' > "$TOLLGATE_USAGE"
            printf '<CRITIQUE_RUN version="1"><ROUND n="1"><PANELIST role="designer"><ARTIFACT><![CDATA['
            cat
            printf ']]></ARTIFACT></PANELIST><PANELIST role="critic" score="9"></PANELIST>'
            printf '<PANELIST role="brand" score="9"></PANELIST><PANELIST role="a11y" score="9"></PANELIST>'
            printf '<PANELIST role="copy" score="9"></PANELIST><ROUND_END n="1" must_fix="0" decision="continue">'
            printf '</ROUND_END></ROUND><SHIP round="1"></SHIP></CRITIQUE_RUN>\\n'

            """
        )
        try await job.initialize(
            ["--autonomy", "full", "--agent", agent]
                + [
                    "budget.tokens.hard=1000", "agent.reserve.tokens=100", "critique.reserve.tokens=50",
                    "critique.enabled=true", "critique.command=/bin/sh \(critic)", "critique.artifacts=work.txt",
                ].flatMap { ["--set", $0] }
        )
        let run = try await job.tollgate("run", job.path, environment: state(job))
        #expect(run.status == 0, "\(run)")
        // The agent's 100 tokens and the 12 the critic wrote to $TOLLGATE_USAGE.
        #expect(try await spentTokens(job) == 112)
        let charged = try await job.events().filter { $0["type"] as? String == "budget.charged" }
        let runs = charged.compactMap { ($0["data"] as? [String: Any])?["run"] as? String }
        #expect(runs.contains { $0.contains("-critic-") }, "\(runs)")
    }

    @Test func twoJobsOfOneProjectRunAtTheSameTimeShareItsDailyCap() async throws {
        let shared = try TemporaryDirectory("budget-cli-project-state")
        let settings = ["budget.project=shared", "budget.daily.tokens.hard=500", "agent.reserve.tokens=100"]
        var jobs: [CLIJob] = []
        for name in ["one", "two"] {
            let job = try CLIJob("budget-cli-project-\(name)")
            let agent = try job.script("agent.sh", Self.agent(completeAt: 3, pause: "0.3"))
            try await job.initialize(["--autonomy", "full", "--agent", agent] + settings.flatMap { ["--set", $0] })
            jobs.append(job)
        }
        let environment = ["XDG_STATE_HOME": shared.url.path]
        let runs = jobs.map { ($0.binary, $0.path, $0.directory.url) }
        let statuses = await withTaskGroup(of: Int32.self) { group in
            for (binary, path, directory) in runs {
                group.addTask {
                    await
                        (try? binary.run(["run", path], environment: environment, directory: directory, timeout: 120))?
                        .status ?? -1
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        // Six runs of 100 tokens were asked for under a cap of 500: five ran, the sixth was refused.
        #expect(statuses.sorted() == [0, 4], "\(statuses)")
        var total = 0.0
        for job in jobs { await total += try spentTokens(job) }
        #expect(total == 500)
        // The ledger is a log of books, one JSON line each: the last is the day's.
        let ledger = shared.url.appendingPathComponent("tollgate/projects/shared.ndjson")
        let last = try #require(String(contentsOf: ledger, encoding: .utf8).split(separator: "\n").last)
        let book = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        let days = try #require(book["days"] as? [String: [String: Any]])
        #expect(days.count == 1)
        let spent = days.values.first?["spent"] as? [String: Any]
        #expect((spent?["tokens"] as? NSNumber)?.doubleValue == 500, "\(book)")
        var blockedJobs: [CLIJob] = []
        for job in jobs where (try? await job.status()["status"] as? String) == "blocked" { blockedJobs.append(job) }
        let blocked = try #require(blockedJobs.first)
        let text = try await blocked.tollgate("status", blocked.path, environment: environment)
        #expect(text.stdout.contains("budget (project shared today): tokens ["), "\(text.stdout)")
    }
}

/// A plan's tasks under a hard cap through the built binary: the tasks that fit run and land, the job exits 4, and
/// after the cap is raised `run` carries out only the tasks not finished, with the spend kept.
@Suite(.runsProcesses)
struct BudgetDispatchCLITests {
    /// Phase 1 plans four independent todos, each task writes its file and logs its start, phase 3 closes the job;
    /// every run reports 100 tokens.
    static func agent(capture: URL) -> String {
        AgentScript.custom(
            """
            set -e
            usage='"usage": {"inputTokens": 60, "outputTokens": 40}'
            if [ "$TOLLGATE_MODE" = task ]; then
              echo "start $TOLLGATE_TASK" >> "\(capture.path)/tasks.log"
              mkdir -p tasks
              echo "$TOLLGATE_TASK" > "tasks/$TOLLGATE_TASK.txt"
              printf '{"summary": "Write %s", %s}\\n' "$TOLLGATE_TASK" "$usage" > "$TOLLGATE_OUTCOME"
              exit 0
            fi
            if [ "$TOLLGATE_PHASE" = 1 ]; then
              printf '# Plan\\n' > plan.md
              cat > todos.yaml <<'YAML'
            todos:
              - id: a
                title: A
              - id: b
                title: B
              - id: c
                title: C
              - id: d
                title: D
            YAML
              printf '{"summary": "Plan four", %s}\\n' "$usage" > "$TOLLGATE_OUTCOME"
            else
              printf 'todos: []\\n' > todos.yaml
              printf '{"summary": "Close the job", "jobComplete": true, %s}\\n' "$usage" > "$TOLLGATE_OUTCOME"
            fi
            """
        )
    }

    @Test func aPlanBlockedByAHardCapGoesOnWithTheTasksNotFinishedOnceTheCapIsRaised() async throws {
        let job = try CLIJob("budget-cli-dispatch")
        let capture = job.directory.path("capture")
        try FileManager.default.createDirectory(at: capture, withIntermediateDirectories: true)
        let agent = try job.script("agent.sh", Self.agent(capture: capture))
        try await job.initialize([
            "--autonomy", "full", "--agent", agent, "--set", "dispatch.maxParallel=4", "--set",
            "budget.tokens.hard=350", "--set", "agent.reserve.tokens=100",
        ])
        let environment = ["XDG_STATE_HOME": job.directory.path("state").path]
        // Phase 1 spends 100; two tasks fit (100 held each), the third would hold 400 of 350.
        let blocked = try await job.tollgate("run", job.path, environment: environment, timeout: 120)
        #expect(blocked.status == 4, "\(blocked)")
        #expect(blocked.stderr.contains("budget.tokens.hard is 350 tokens"), "\(blocked.stderr)")
        #expect(blocked.stderr.contains("--set budget.tokens.hard=400`"), "\(blocked.stderr)")
        func started() throws -> [String] {
            try String(contentsOf: capture.appendingPathComponent("tasks.log"), encoding: .utf8)
                .split(separator: "\n").map { String($0.dropFirst("start ".count)) }.sorted()
        }
        #expect(try started() == ["a", "b"])
        var status = try await job.status()
        #expect(status["status"] as? String == "blocked")
        let tasks = try #require((status["plan"] as? [String: Any])?["tasks"] as? [[String: Any]])
        #expect(tasks.map { $0["status"] as? String } == ["done", "done", "queued", "queued"], "\(tasks)")
        let budget = try #require(status["budget"] as? [String: Any])
        #expect(((budget["spent"] as? [String: Any])?["tokens"] as? NSNumber)?.doubleValue == 300, "\(budget)")

        let raised = try await job.tollgate("config", job.path, "--set", "budget.tokens.hard=1000")
        #expect(raised.status == 0, "\(raised)")
        let done = try await job.tollgate("run", job.path, environment: environment, timeout: 120)
        #expect(done.status == 0, "\(done)")
        #expect(try started() == ["a", "b", "c", "d"], "a finished task ran again")
        status = try await job.status()
        #expect(status["status"] as? String == "completed")
        let spent = try #require((status["budget"] as? [String: Any])?["spent"] as? [String: Any])
        // Phase 1, four tasks, phase 3: 100 each, nothing lost to the block.
        #expect((spent["tokens"] as? NSNumber)?.doubleValue == 600, "\(spent)")
        let types = try await job.events().compactMap { $0["type"] as? String }
        #expect(types.filter { $0 == "budget.blocked" }.count == 1)
        #expect(types.filter { $0 == "job.unblocked" }.count == 1)
    }
}
