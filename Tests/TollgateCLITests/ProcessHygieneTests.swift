import Foundation
import Testing
import TollgateTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// DESIGN §5, process hygiene: an agent's whole process group ends with its run, with a timeout, with an
/// interrupted tollgate, and (through the runtime record) after a tollgate killed outright; never two agents on
/// one job, and never a signal to a recycled id.
@Suite(.runsProcesses)
struct ProcessHygieneTests {
    /// An agent that ignores SIGTERM, starts a background child that writes `late.txt` after `lateAfter` seconds,
    /// records both process ids in `pids` (outside the workspace), then sleeps `sleep` seconds or writes its
    /// outcome at once.
    static func stubbornAgent(pids: URL, lateAfter: Int, sleep: Int?) -> String {
        let tail =
            sleep.map { "sleep \($0)" } ?? #"echo '{"summary": "done early"}' > "$TOLLGATE_OUTCOME""#
        return AgentScript.custom(
            """
            trap '' TERM
            (trap '' TERM; sleep \(lateAfter); echo late > late.txt) &
            echo "$$ $!" > "\(pids.path)"
            \(tail)
            """
        )
    }

    /// Whether process `pid` exists and is not a zombie.
    static func isAlive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let end = stat.lastIndex(of: ")")
        else { return false }
        return !stat[stat.index(after: end)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
    }

    /// The process ids the agent wrote, waiting for them up to 10 s.
    static func agentPIDs(_ file: URL) throws -> [Int32] {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if let text = try? String(contentsOf: file, encoding: .utf8), text.hasSuffix("\n") {
                return text.split(whereSeparator: \.isWhitespace).compactMap { Int32($0) }
            }
            usleep(20_000)
        }
        throw Subprocess.Failure(description: "the agent never wrote \(file.path)")
    }

    @Test func aTimeoutEndsAnAgentThatIgnoresSIGTERMAndItsBackgroundChild() async throws {
        let job = try CLIJob("hygiene-timeout")
        let pids = job.directory.path("pids")
        let agent = try job.script("agent.sh", Self.stubbornAgent(pids: pids, lateAfter: 3, sleep: 600))
        try await job.initialize(["--agent", agent, "--set", "agent.timeoutSeconds=1", "--set", "agent.graceSeconds=1"])
        // The agent would sleep 10 minutes: the run ending before this test's own limit is the timeout's doing.
        let result = try await job.tollgate("run", job.path, timeout: 300)
        #expect(!result.timedOut, "\(result)")
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("did not finish within agent.timeoutSeconds (1 s)"))
        #expect(result.stderr.contains("tollgate config \(job.path) --set agent.timeoutSeconds=N"), "\(result.stderr)")
        let ids = try Self.agentPIDs(pids)
        #expect(ids.count == 2)
        for pid in ids { #expect(!Self.isAlive(pid), "process \(pid) of the agent's group survived the timeout") }
        // Both writers are gone (checked above), so nothing can write the late file from now on: no wait needed.
        #expect(!FileManager.default.fileExists(atPath: job.root.appendingPathComponent("late.txt").path))
    }

    @Test func aBackgroundChildDoesNotOutliveItsAgentNorReachTheNextCommit() async throws {
        let job = try CLIJob("hygiene-background")
        let pids = job.directory.path("pids")
        let agent = try job.script("agent.sh", Self.stubbornAgent(pids: pids, lateAfter: 2, sleep: nil))
        try await job.initialize(["--agent", agent, "--autonomy", "guided", "--set", "agent.graceSeconds=1"])
        let result = try await job.tollgate("run", job.path)
        #expect(result.status == 3, "\(result)")
        for pid in try Self.agentPIDs(pids) { #expect(!Self.isAlive(pid), "process \(pid) outlived its agent") }
        // Both writers are gone (checked above), so nothing can write the late file from now on: no wait needed.
        #expect(!FileManager.default.fileExists(atPath: job.root.appendingPathComponent("late.txt").path))
        #expect(try await !job.git("ls-tree", "-r", "--name-only", "phase-1-strategic").contains("late.txt"))
    }

    @Test(arguments: [(SIGINT, 130), (SIGTERM, 143), (SIGHUP, 129)] as [(Int32, Int32)])
    func anInterruptedTollgateEndsTheAgentsGroupAndRecordsTheRun(_ signal: Int32, _ status: Int32) async throws {
        let job = try CLIJob("hygiene-interrupt")
        let pids = job.directory.path("pids")
        let agent = try job.script("agent.sh", Self.stubbornAgent(pids: pids, lateAfter: 60, sleep: 60))
        try await job.initialize(["--agent", agent, "--autonomy", "guided"])
        let running = try job.binary.start(["run", job.path], directory: job.directory.url)
        let ids = try Self.agentPIDs(pids)
        kill(running.pid, signal)
        let result = await running.wait(timeout: 30)
        #expect(result.status == status, "\(result)")
        #expect(result.stdout.contains("tollgate was interrupted"), "\(result)")
        for pid in ids { #expect(!Self.isAlive(pid), "process \(pid) outlived the interrupted tollgate") }
        let state = try await job.status()
        #expect(state["status"] as? String == "failed")
        #expect((state["failure"] as? String)?.contains("interrupted") == true)
        // The next run runs the phase again, with a second run number.
        #expect(try await job.tollgate("config", job.path, "--set", "agent.command=tollgate example-agent").status == 0)
        let rerun = try await job.tollgate("run", job.path)
        #expect(rerun.status == 3, "\(rerun)")
        #expect(try await job.status()["status"] as? String == "pending_review")
    }

    @Test func theNextCommandEndsTheAgentOfATollgateKilledOutright() async throws {
        let job = try CLIJob("hygiene-kill9")
        let pids = job.directory.path("pids")
        let agent = try job.script("agent.sh", Self.stubbornAgent(pids: pids, lateAfter: 60, sleep: 60))
        try await job.initialize(["--agent", agent, "--set", "agent.graceSeconds=1"])
        let running = try job.binary.start(["run", job.path], directory: job.directory.url)
        let ids = try Self.agentPIDs(pids)
        // The record is written right after the spawn; on a loaded machine the agent can be quicker.
        _ = try Self.agentPIDs(job.root.appendingPathComponent(".git/tollgate/agent-group"))
        kill(running.pid, SIGKILL)
        _ = await running.wait(timeout: 10)
        // Without the next command, the agent would run on: the test's premise.
        for pid in ids { #expect(Self.isAlive(pid)) }
        let next = try await job.tollgate("config", job.path, "--set", "agent.command=tollgate example-agent")
        #expect(next.status == 0, "\(next)")
        #expect(next.stderr.contains("left running by a tollgate that was killed"), "\(next)")
        for pid in ids { #expect(!Self.isAlive(pid), "process \(pid) survived the next command") }
    }

    /// A run that tollgate 0.4 left mid-agent kept its reference snapshot as `runs/run-N.refs.json`; the run done
    /// again after the upgrade compares with that one, so a branch the first agent made is still the agent's doing.
    @Test func aReferenceSnapshotWhereTollgate04KeptItIsTheRunsSnapshotWhenItGoesOn() async throws {
        let job = try CLIJob("hygiene-legacy-refs")
        let pids = job.directory.path("pids")
        let once = job.directory.path("killed-once")
        let agent = try job.script(
            "agent.sh",
            AgentScript.custom(
                """
                if [ ! -e "\(once.path)" ]; then
                  : > "\(once.path)"
                  git -c user.name=agent -c user.email=agent@example.invalid branch stray
                  echo "$$" > "\(pids.path)"
                  sleep 60
                fi
                echo '{"summary": "done", "details": "Did it."}' > "$TOLLGATE_OUTCOME"
                """
            )
        )
        try await job.initialize(["--agent", agent, "--set", "agent.graceSeconds=1"])
        let running = try job.binary.start(["run", job.path], directory: job.directory.url)
        _ = try Self.agentPIDs(pids)
        kill(running.pid, SIGKILL)
        _ = await running.wait(timeout: 10)
        // What tollgate 0.4 left: the snapshot of run 1 in its own file, as a plain map, and no refs.json.
        let current = job.root.appendingPathComponent(".git/tollgate/refs.json")
        let snapshot = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: current)) as? [String: Any]
        )
        #expect(snapshot["run"] as? Int == 1)
        let references = try #require(snapshot["references"] as? [String: String])
        #expect(references["refs/heads/stray"] == nil, "the snapshot was taken before the agent ran")
        try JSONSerialization.data(withJSONObject: references).write(
            to: job.root.appendingPathComponent(".git/tollgate/runs/run-1.refs.json")
        )
        try FileManager.default.removeItem(at: current)

        let again = try await job.tollgate("run", job.path)
        #expect(again.status == 1, "\(again)")
        #expect(again.stderr.contains("created stray"), "\(again.stderr)")
        #expect(try await job.git("branch", "--list", "stray").isEmpty)
    }

    @Test func aRecordedIdNowUsedByAnotherProcessIsLeftAlone() async throws {
        let job = try CLIJob("hygiene-recycled")
        try await job.initialize(["--agent", "tollgate example-agent"])
        // An unrelated process group (its leader made one of its own, without forking): the record names its id
        // with another start time.
        let grouped = job.directory.path("stranger-grouped")
        let stranger = try Subprocess(
            executable: URL(fileURLWithPath: "/usr/bin/python3"),
            arguments: [
                "-c", "import os, sys, time; os.setpgid(0, 0); open(sys.argv[1], 'w').write('\\n'); time.sleep(30)",
                grouped.path,
            ],
            environment: ["PATH": "/usr/bin:/bin"],
            directory: job.directory.url
        )
        defer {
            kill(stranger.pid, SIGKILL)
            _ = stranger.waitBlocking(timeout: 5)
        }
        // Its group exists once it says so (not after a guessed pause).
        _ = try Self.agentPIDs(grouped)
        let record = job.root.appendingPathComponent(".git/tollgate/agent-group")
        try FileManager.default.createDirectory(
            at: record.deletingLastPathComponent(),
            withIntermediateDirectories: true
        )
        try "\(stranger.pid) 1\n".write(to: record, atomically: true, encoding: .utf8)
        let next = try await job.tollgate("config", job.path, "--set", "agent.timeoutSeconds=60")
        #expect(next.status == 0, "\(next)")
        #expect(!next.stderr.contains("ended process group"))
        #expect(Self.isAlive(stranger.pid))
        #expect(!FileManager.default.fileExists(atPath: record.path))
    }

    @Test func aLockHeldByAProcessThatHasNotWrittenItsPidIsToldPlainly() async throws {
        let job = try CLIJob("lock-no-pid")
        try await job.initialize(["--agent", "tollgate example-agent"])
        let lock = job.root.appendingPathComponent(".git/tollgate.lock")
        let ready = job.directory.path("locked")
        let holder = try Subprocess(
            executable: URL(fileURLWithPath: "/usr/bin/python3"),
            arguments: [
                "-c",
                "import fcntl, sys, time; f = open(sys.argv[1], 'w'); fcntl.flock(f, fcntl.LOCK_EX); "
                    + "open(sys.argv[2], 'w').write('\\n'); time.sleep(30)",
                lock.path, ready.path,
            ],
            environment: ["PATH": "/usr/bin:/bin"],
            directory: job.directory.url
        )
        defer {
            kill(holder.pid, SIGKILL)
            _ = holder.waitBlocking(timeout: 5)
        }
        _ = try Self.agentPIDs(ready)
        let result = try await job.tollgate("run", job.path)
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("has not written its pid yet"), "\(result.stderr)")
        #expect(!result.stderr.contains("unknown pid"))
        let status = try await job.status()
        #expect(status["process"] is [String: Any], "\(status)")
    }

    @Test func aCritiqueInterruptedIsDoneAgainByTheNextRunNotRevisedAgainst() async throws {
        let job = try CLIJob("hygiene-critique")
        let pids = job.directory.path("pids")
        let critic = try job.script("critic.sh", AgentScript.custom("echo \"$$\" > \"\(pids.path)\"\nsleep 60"))
        try await job.initialize([
            "--agent", "tollgate example-agent", "--autonomy", "guided", "--set", "critique.enabled=true", "--set",
            "critique.command=\(critic)",
        ])
        let running = try job.binary.start(["run", job.path], directory: job.directory.url)
        let ids = try Self.agentPIDs(pids)
        kill(running.pid, SIGINT)
        let result = await running.wait(timeout: 30)
        #expect(result.status == 130, "\(result)")
        #expect(result.stderr.contains("interrupted (SIGINT)"), "\(result)")
        for pid in ids { #expect(!Self.isAlive(pid), "the critic \(pid) outlived the interrupted tollgate") }
        #expect(try await job.status()["next"] as? String == "critique(1)")
        #expect(
            try await job.tollgate("config", job.path, "--set", "critique.command=tollgate example-critic").status == 0
        )
        let rerun = try await job.tollgate("run", job.path)
        #expect(rerun.status == 3, "\(rerun)")
        #expect(!rerun.stdout.contains("ended interrupted"), "\(rerun.stdout)")
    }
}
