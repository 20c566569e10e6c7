import Foundation
import Testing
import TollgateTestSupport

/// Local telemetry through the built binary (DESIGN §11): what a run records, that it holds no content or paths,
/// `tollgate stats` over a job and a folder of jobs, `telemetry.enabled=false`, and that nothing of it is ever
/// committed or pushed.
@Suite(.runsProcesses, .serialized)
struct TelemetryCLITests {
    static let metrics: Set<String> = [
        "agent.duration_ms", "agent.queue_time_ms", "critique.queue_time_ms", "critique.duration_ms",
        "critique.notes_per_kword", "critique.accept_rate", "gate.duration_ms", "review.wait_ms", "merge.latency_ms",
        "rewrite.apply_latency_ms",
    ]

    func completedJob(_ label: String, extra: [String] = [], in job: CLIJob? = nil) async throws -> CLIJob {
        let job = try job ?? CLIJob(label)
        try await job.initialize(["--autonomy", "full", "--agent", "tollgate example-agent"] + extra)
        let run = try await job.tollgate("run", job.path)
        #expect(run.status == 0, "\(run)")
        return job
    }

    func telemetryLines(_ job: CLIJob) -> [String] {
        let file = job.root.appendingPathComponent(".git/tollgate/telemetry.ndjson")
        let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init)
    }

    @Test func aRunRecordsOneAgentDurationARunWithNoContentAndNoPaths() async throws {
        let job = try await completedJob("telemetry-run")
        let lines = telemetryLines(job)
        // The phases' agents and, in the dispatched tactical phase, one a task.
        let agentRuns = try await job.events().filter {
            ["agent.finished", "task.finished"].contains($0["type"] as? String ?? "")
        }.count
        #expect(agentRuns > 0)
        var agentLines = 0
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(Set(object.keys) == ["at", "job", "metric", "phase", "unit", "value"], "\(line)")
            let metric = try #require(object["metric"] as? String)
            #expect(Self.metrics.contains(metric))
            #expect(object["job"] as? String == "job")
            #expect(object["value"] is NSNumber)
            #expect(!line.contains("/"), "a path or a command in: \(line)")
            if metric == "agent.duration_ms" { agentLines += 1 }
        }
        #expect(agentLines == agentRuns)
        // Each task of the dispatched phase waited for a slot, from when it was ready to when its agent started.
        let taskStarts = try await job.events().filter { $0["type"] as? String == "task.started" }.count
        #expect(taskStarts == 4)
        let waits = lines.filter { $0.contains(#""metric":"agent.queue_time_ms""#) }
        #expect(waits.count == taskStarts, "\(lines)")

        let stats = try await job.tollgate("stats", job.path)
        #expect(stats.status == 0, "\(stats)")
        #expect(stats.stdout.contains("agent.duration_ms (ms): count \(agentRuns), p50 "), "\(stats.stdout)")
        let json = try await job.tollgate("stats", job.path, "--json")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let metrics = try #require(report["metrics"] as? [[String: Any]])
        let agent = try #require(metrics.first { $0["metric"] as? String == "agent.duration_ms" })
        #expect(agent["count"] as? Int == agentRuns)
        #expect((agent["histogram"] as? [[String: Any]])?.map { $0["count"] as? Int ?? 0 }.reduce(0, +) == agentRuns)
        #expect(report["jobs"] as? Int == 1)
    }

    /// The drive's own figures: one `merge.latency_ms` a merged phase, one `review.wait_ms` a verdict read (none
    /// while the review waits, none at `full`, where nothing is reviewed).
    @Test func aReviewedPhaseRecordsItsWaitAndEveryMergeItsLatency() async throws {
        func count(_ metric: String, _ job: CLIJob) -> Int {
            telemetryLines(job).filter { $0.contains("\"metric\":\"\(metric)\"") }.count
        }
        let full = try await completedJob("telemetry-merge")
        let merged = try await full.events().filter { $0["type"] as? String == "phase.merged" }.count
        #expect(merged >= 3)
        #expect(count("merge.latency_ms", full) == merged)
        #expect(count("review.wait_ms", full) == 0)

        let job = try CLIJob("telemetry-review")
        try await job.initialize(["--autonomy", "dependent", "--agent", "tollgate example-agent"])
        #expect(try await job.tollgate("run", job.path).status == 3)
        #expect(try await job.tollgate("resume", job.path).status == 3)  // no verdict yet: still waiting
        #expect(count("review.wait_ms", job) == 0)
        #expect(try await job.tollgate("review", job.path, "approve", "--as", "ann").status == 0)
        let resumed = try await job.tollgate("resume", job.path)
        #expect(resumed.status == 3, "\(resumed)")
        #expect(count("review.wait_ms", job) == 1)
        #expect(count("merge.latency_ms", job) == 1)
        let line = try #require(telemetryLines(job).first { $0.contains("review.wait_ms") })
        #expect(line.contains("\"phase\":1") && line.contains("\"unit\":\"ms\""), "\(line)")
    }

    @Test func telemetryDisabledRecordsNothing() async throws {
        let job = try await completedJob("telemetry-off", extra: ["--set", "telemetry.enabled=false"])
        #expect(telemetryLines(job).isEmpty)
        #expect(try await job.tollgate("stats", job.path).stdout == "no telemetry recorded yet\n")
    }

    @Test func statsOverAFolderOfJobsCountsThemAll() async throws {
        let root = try TemporaryDirectory("telemetry-root")
        var counts = 0
        for name in ["one", "two"] {
            let job = try CLIJob("telemetry-root-\(name)")
            _ = try await completedJob(name, in: job)
            let target = root.path(name)
            try FileManager.default.moveItem(at: job.root, to: target)
            let file = target.appendingPathComponent(".git/tollgate/telemetry.ndjson")
            counts += try String(contentsOf: file, encoding: .utf8).split(separator: "\n").count
        }
        let binary = try TollgateBinary()
        let json = try await binary.run(["stats", root.url.path, "--json"])
        #expect(json.status == 0, "\(json)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(report["jobs"] as? Int == 2)
        let total = (report["metrics"] as? [[String: Any]])?.map { $0["count"] as? Int ?? 0 }.reduce(0, +)
        #expect(total == counts)
    }

    @Test func statsOnAFolderWithoutJobsSaysSo() async throws {
        let empty = try TemporaryDirectory("telemetry-none")
        let result = try await TollgateBinary().run(["stats", empty.url.path])
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("is not a Tollgate job"), "\(result.stderr)")
    }

    @Test func nothingOfTheTelemetryIsCommittedOrPushed() async throws {
        let server = try GiteaTestServer()
        defer { server.stop() }
        let job = try CLIJob("telemetry-pushed")
        let token = ["TOLLGATE_GITEA_TOKEN": server.bot.token]
        let created = try await job.tollgate(
            [
                "init", job.path, "--review", "gitea", "--autonomy", "full", "--agent", "tollgate example-agent",
                "--set", "gitea.url=\(server.baseURL.absoluteString)",
            ],
            environment: token
        )
        #expect(created.status == 0, "\(created)")
        let run = try await job.tollgate(["run", job.path], environment: token)
        #expect(run.status == 0, "\(run)")
        #expect(!telemetryLines(job).isEmpty)
        let bare = server.bareRepositoryPath(owner: server.bot.login, name: "job")
        for repository in [job.root, bare] {
            // Every path, file and message reachable from any ref: none holds a metric or the telemetry file.
            let name = repository.lastPathComponent
            let objects = try await GitCLI.lines(["rev-list", "--all", "--objects"], in: repository)
            #expect(objects.count > 3)
            #expect(!objects.contains { $0.contains("telemetry") }, "the telemetry file is in \(name)")
            let commits = try await GitCLI.lines(["rev-list", "--all"], in: repository)
            let grep = try await GitCLI.runAllowingFailure(
                ["grep", "-F", "-l", "duration_ms"] + commits,
                in: repository
            )
            #expect(grep.status == 1 && grep.stdout.isEmpty, "a metric was committed in \(name): \(grep)")
            await #expect(!(try GitCLI.run(["log", "--all", "--format=%B"], in: repository)).contains("duration_ms"))
        }
    }
}
