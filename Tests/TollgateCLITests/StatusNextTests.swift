import Foundation
import Testing
import TollgateTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// `status` says what to type next, and tells a job a process works on from one whose process died.
@Suite(.runsProcesses)
struct StatusNextTests {
    @Test func eachStateNamesItsNextCommand() async throws {
        let job = try CLIJob("status-next")
        try await job.initialize(["--agent", "tollgate example-agent", "--autonomy", "guided"])
        await #expect((try job.status()["nextCommand"] as? String) == "tollgate run \(job.path)")
        #expect(try await job.tollgate("run", job.path).status == 3)
        let frozen = try await job.tollgate("status", job.path)
        #expect(frozen.stdout.contains("next: give a verdict (`tollgate review \(job.path) approve`"), "\(frozen)")
        #expect(try await job.status()["process"] is NSNull)
    }

    @Test func aPathIsQuotedForTheShell() async throws {
        let job = try CLIJob("status-quoted")
        let spaced = job.directory.path("my job")
        #expect(try await job.tollgate("init", spaced.path, "--agent", "tollgate example-agent").status == 0)
        let status = try await job.tollgate("status", spaced.path)
        #expect(status.stdout.contains("next: tollgate run '\(spaced.path)'"), "\(status)")
    }

    @Test func aRunningJobShowsItsProcessAndADeadOneSaysSo() async throws {
        let job = try CLIJob("status-process")
        let pids = job.directory.path("pids")
        let agent = try job.script("agent.sh", AgentScript.custom("echo $$ > \"\(pids.path)\"\nsleep 30"))
        try await job.initialize(["--agent", agent])
        let running = try job.binary.start(["run", job.path], directory: job.directory.url)
        _ = try ProcessHygieneTests.agentPIDs(pids)
        let during = try await job.status()
        let process = try #require(during["process"] as? [String: Any], "\(during)")
        #expect(process["pid"] as? Int == Int(running.pid))
        #expect((process["log"] as? String)?.hasSuffix("run-1.log") == true)
        #expect((during["nextCommand"] as? String)?.hasPrefix("wait for it") == true)
        kill(running.pid, SIGKILL)
        _ = await running.wait(timeout: 10)
        let after = try await job.tollgate("status", job.path)
        #expect(after.stdout.contains("no tollgate process works on it"), "\(after)")
        #expect(after.stdout.contains("next: tollgate run \(job.path)"))
        // The survivor is ended by the next command that takes the job.
        #expect(try await job.tollgate("config", job.path, "--set", "agent.command=tollgate example-agent").status == 0)
    }
}

/// `tollgate cancel DIR`: the job ends, its open review is closed, every branch is kept (DESIGN §2).
@Suite(.runsProcesses)
struct CancelTests {
    @Test func aFrozenJobIsCancelledWithItsReviewClosedAndItsBranchKept() async throws {
        let job = try CLIJob("cancel-local")
        try await job.initialize(["--agent", "tollgate example-agent", "--autonomy", "guided"])
        #expect(try await job.tollgate("run", job.path).status == 3)
        let head = try await job.git("rev-parse", "phase-1-strategic")
        let result = try await job.tollgate("cancel", job.path, "--message", "not needed any more")
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("closed local review #1 of phase-1-strategic"))
        let status = try await job.status()
        #expect(status["status"] as? String == "cancelled")
        #expect(status["nextCommand"] is NSNull)
        #expect(try await job.git("rev-parse", "phase-1-strategic") == head)
        #expect(try await job.git("show", "tollgate/state:reviews.json").contains("\"closed\""))
        let events = try await job.events().compactMap { $0["type"] as? String }
        #expect(events.suffix(2) == ["review.closed", "job.cancelled"])
        // Over is over: run, resume and cancel say so, and change nothing.
        let state = try await job.git("rev-parse", "tollgate/state")
        #expect(try await job.tollgate("run", job.path).status == 1)
        #expect(try await job.tollgate("resume", job.path).status == 1)
        let again = try await job.tollgate("cancel", job.path)
        #expect(again.status == 1)
        #expect(again.stderr.contains("cancelled already"))
        #expect(try await job.git("rev-parse", "tollgate/state") == state)
    }
}

/// `tollgate status ROOT` over a folder of jobs marks the ones awaiting a person (DESIGN §10, jobs root).
@Suite(.runsProcesses)
struct JobsRootStatusTests {
    @Test func aFolderOfJobsIsListedWithTheOnesAwaitingAPersonMarked() async throws {
        let job = try CLIJob("jobs-root")
        let root = job.directory.path("jobs")
        for name in ["alpha", "beta"] {
            let created = try await job.tollgate(
                "init",
                root.appendingPathComponent(name).path,
                "--agent",
                "tollgate example-agent",
                "--autonomy",
                "guided"
            )
            #expect(created.status == 0, "\(created)")
        }
        try FileManager.default.createDirectory(
            at: root.appendingPathComponent("notes"),
            withIntermediateDirectories: true
        )
        #expect(try await job.tollgate("run", root.appendingPathComponent("alpha").path).status == 3)
        let table = try await job.tollgate("status", root.path)
        #expect(table.status == 0, "\(table)")
        let lines = table.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3, "\(table.stdout)")
        #expect(lines.first { $0.hasPrefix("alpha") }?.hasSuffix("NEEDS RESPONSE") == true)
        #expect(lines.first { $0.hasPrefix("beta") }?.contains("created") == true)
        #expect(lines.first { $0.hasPrefix("beta") }?.contains("NEEDS RESPONSE") == false)
        let json = try await job.tollgate("status", root.path, "--json")
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let jobs = try #require(object?["jobs"] as? [[String: Any]])
        #expect(jobs.map { $0["dir"] as? String } == ["alpha", "beta"])
        #expect(jobs.map { $0["needsResponse"] as? Bool } == [true, false])
        // A folder holding no job is still not a job.
        let empty = try await job.tollgate("status", root.appendingPathComponent("notes").path)
        #expect(empty.status == 1)
        #expect(empty.stderr.contains("is not a Tollgate job"))
    }
}
