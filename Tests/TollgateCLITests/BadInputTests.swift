import Foundation
import Testing
import TollgateTestSupport

/// What a user sees when something is wrong: the message names the problem and the exit status says what kind.
@Suite(.runsProcesses)
struct BadInputTests {
    // MARK: - Configuration

    @Test func anUnknownKeyNamesItAndSuggestsTheRightOne() async throws {
        let job = try CLIJob("bad-key")
        let result = try await job.tollgate("init", job.path, "--set", "agent.comand=x")
        #expect(result.status == 64, "\(result)")
        #expect(result.stderr.contains("agent.comand"))
        #expect(result.stderr.contains("agent.command"))
        // Checked before anything is written.
        #expect(!FileManager.default.fileExists(atPath: job.path))
    }

    @Test func aBadAutonomyListsTheLevels() async throws {
        let job = try CLIJob("bad-autonomy")
        let result = try await job.tollgate("init", job.path, "--autonomy", "sometimes")
        #expect(result.status == 64, "\(result)")
        #expect(result.stderr.contains("sometimes"))
        for level in ["full", "review", "partial", "guided", "dependent"] { #expect(result.stderr.contains(level)) }
        #expect(!FileManager.default.fileExists(atPath: job.path))
    }

    @Test func anUnknownExpertIsAUsageErrorListingTheExperts() async throws {
        let job = try CLIJob("bad-expert")
        let result = try await job.tollgate("init", job.path, "--expert", "astronaut")
        #expect(result.stderr.contains("astronaut"))
        for expert in ["coder", "debugger", "researcher", "validator", "writer"] {
            #expect(result.stderr.contains(expert))
        }
        #expect(!FileManager.default.fileExists(atPath: job.path))
        // A wrong value given on the command line is a usage error, like --autonomy sometimes.
        #expect(result.status == 64, "\(result)")
    }

    @Test func aBadReviewHostIsAUsageError() async throws {
        let job = try CLIJob("bad-host")
        let result = try await job.tollgate("init", job.path, "--review", "gitlab")
        #expect(result.status == 64, "\(result)")
        #expect(result.stderr.contains("local"))
        #expect(result.stderr.contains("gitea"))
    }

    @Test func aBadValueInAConfigFileNamesTheFile() async throws {
        let job = try CLIJob("bad-file")
        let home = job.directory.path("home")
        let source = Self.packageRoot()
        try FileManager.default.copyItem(
            at: source.appendingPathComponent("config"),
            to: home.appendingPathComponent("config")
        )
        try FileManager.default.copyItem(
            at: source.appendingPathComponent("Templates"),
            to: home.appendingPathComponent("Templates")
        )
        let defaults = home.appendingPathComponent("config/defaults.json")
        let text = try String(contentsOf: defaults, encoding: .utf8)
            .replacingOccurrences(of: "\"maxPhases\": 20", with: "\"maxPhases\": \"many\"")
        #expect(text.contains("\"many\""))
        try Data(text.utf8).write(to: defaults)

        let result = try await job.tollgate("init", job.path, "--home", home.path)
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("defaults.json"))
        #expect(result.stderr.contains("maxPhases"))
        #expect(!FileManager.default.fileExists(atPath: job.path))
    }

    // MARK: - Jobs

    @Test(arguments: ["run", "resume", "status", "log", "config"])
    func aDirectoryThatIsNotAJobIsAFailure(_ command: String) async throws {
        let job = try CLIJob("not-a-job")
        try FileManager.default.createDirectory(at: job.root, withIntermediateDirectories: true)
        let result = try await job.tollgate(command, job.path)
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("is not a Tollgate job"))
        #expect(result.stderr.contains("tollgate init"))
    }

    @Test func initTwiceIsRefused() async throws {
        let job = try CLIJob("init-twice")
        try await job.initialize([])
        let again = try await job.tollgate("init", job.path)
        #expect(again.status == 1)
        #expect(again.stderr.contains("already holds a Tollgate job"))
    }

    @Test func aSecondRunWhileAnotherHoldsTheJobIsRefused() async throws {
        let job = try CLIJob("lock")
        let started = job.directory.path("started")
        let release = job.directory.path("release")
        // The agent runs until the test lets it go, so the second run always meets the first one running.
        let agent = try job.script(
            "slow.sh",
            AgentScript.custom(
                """
                touch "\(started.path)"
                while [ ! -e "\(release.path)" ]; do sleep 0.05; done
                echo '{"summary": "slow"}' > "$TOLLGATE_OUTCOME"
                """
            )
        )
        try await job.initialize(["--autonomy", "guided", "--agent", agent])
        let first = try job.binary.start(["run", job.path], directory: job.directory.url)
        var waited = 0
        while !FileManager.default.fileExists(atPath: started.path) && waited < 1200 {
            usleep(50_000)
            waited += 1
        }
        #expect(FileManager.default.fileExists(atPath: started.path), "the first run never started its agent")

        let second = try await job.tollgate("run", job.path)
        #expect(second.status == 1, "\(second)")
        #expect(second.stderr.contains("another tollgate process"))
        #expect(second.stderr.contains("pid \(first.pid)"))
        #expect(first.isRunning)
        // A reader is not kept out.
        #expect(try await job.tollgate("status", job.path).status == 0)

        _ = FileManager.default.createFile(atPath: release.path, contents: nil)
        let firstResult = await first.wait(timeout: 60)
        #expect(firstResult.status == 3, "\(firstResult)")
    }

    @Test func reviewWhenNothingIsOpenSaysSo() async throws {
        let job = try CLIJob("review-nothing")
        try await job.initialize([])
        let result = try await job.tollgate("review", job.path, "approve")
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("nothing is open for review"))
        #expect(result.stderr.contains("created"))
    }

    @Test func aMalformedInlineCommentIsAUsageError() async throws {
        let job = try CLIJob("review-comment")
        let result = try await job.tollgate("review", job.path, "request-changes", "--comment", "plan.md-line-3")
        #expect(result.status == 64)
        #expect(result.stderr.contains("PATH:LINE:TEXT"))
    }

    @Test func requestChangesWithoutAnyWordsIsAUsageError() async throws {
        let job = try CLIJob("review-empty")
        let agent = try job.script(
            "agent.sh",
            AgentScript.phases(completeAt: 3, capture: job.directory.path("capture"))
        )
        try await job.initialize(["--autonomy", "guided", "--agent", agent])
        #expect(try await job.tollgate("run", job.path).status == 3)
        let result = try await job.tollgate("review", job.path, "request-changes")
        #expect(result.status == 64, "\(result)")
        #expect(result.stderr.contains("--comment"))
    }

    // MARK: - The agent

    @Test func anAgentCommandThatDoesNotExistFailsTheJobWithTheCause() async throws {
        let job = try CLIJob("agent-missing")
        try await job.initialize(["--agent", job.directory.path("no-such-agent").path])
        let result = try await job.tollgate("run", job.path)
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("not found"))
        #expect(result.stderr.contains("no-such-agent"))
        let status = try await job.status()
        #expect(status["status"] as? String == "failed")
        #expect((status["failure"] as? String)?.contains("not found") == true)
        // The failed run is on the phase branch, as a commit of its own.
        #expect(try await job.git("log", "-1", "--format=%s", "phase-1-strategic").contains("failed"))
    }

    @Test func aFixedAgentContinuesWithoutRedoingEarlierPhases() async throws {
        let job = try CLIJob("agent-fixed")
        let capture = job.directory.path("capture")
        let later = job.directory.path("later.sh")
        // Phase 1 works; from phase 2 the agent hands over to a script that does not exist yet.
        let agent = try job.script(
            "agent.sh",
            """
            #!/bin/sh
            if [ "$TOLLGATE_PHASE" -ge 2 ]; then exec "\(later.path)"; fi
            \(AgentScript.phases(completeAt: 3, capture: capture).replacingOccurrences(of: "#!/bin/sh\n", with: ""))
            """
        )
        try await job.initialize(["--autonomy", "full", "--agent", agent])
        let failed = try await job.tollgate("run", job.path)
        #expect(failed.status == 1, "\(failed)")
        #expect(failed.stderr.contains("not found"))
        let status = try await job.status()
        #expect(status["status"] as? String == "failed")
        #expect(status["phase"] as? Int == 2)
        #expect(status["mergedPhases"] as? Int == 1)

        _ = try job.script("later.sh", AgentScript.phases(completeAt: 3, capture: capture))
        let fixed = try await job.tollgate("run", job.path)
        #expect(fixed.status == 0, "\(fixed)")
        #expect(fixed.stdout.contains("retrying"))
        #expect(try await job.status()["status"] as? String == "completed")
        // Phase 1 ran once: one line in its file, one squash on main.
        #expect(try await job.git("show", "main:work/phase-1.txt").split(separator: "\n").count == 1)
        #expect(
            try await job.git("log", "--format=%H", "--grep=Tollgate-Phase: 1-strategic", "main").split(separator: "\n")
                .count
                == 1
        )
        #expect(
            try await job.git("log", "--format=%H", "--grep=Tollgate-Phase: 2-tactical", "main").split(separator: "\n")
                .count
                == 1
        )
    }

    @Test func anAgentExitingNonZeroFailsButItsFilesAreCommitted() async throws {
        let job = try CLIJob("agent-exit")
        let agent = try job.script(
            "agent.sh",
            AgentScript.custom(
                """
                echo "half done" > partial.txt
                exit 2
                """
            )
        )
        try await job.initialize(["--agent", agent])
        let result = try await job.tollgate("run", job.path)
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("exited with status 2"))
        #expect(try await job.git("show", "phase-1-strategic:partial.txt") == "half done")
        #expect(try await job.git("status", "--porcelain").isEmpty)
        #expect(try await job.status()["status"] as? String == "failed")
    }

    @Test func anAgentPastItsTimeoutIsStopped() async throws {
        let job = try CLIJob("agent-timeout")
        let agent = try job.script(
            "agent.sh",
            AgentScript.custom(
                """
                echo "started" > started.txt
                sleep 600
                """
            )
        )
        try await job.initialize([
            "--agent", agent, "--set", "agent.timeoutSeconds=1", "--set", "agent.graceSeconds=1",
        ])
        // Stopped by its 1 s timeout, not by this test's (the agent would sleep 10 minutes): no bound on the wall
        // clock, which a loaded machine stretches.
        let result = try await job.tollgate("run", job.path, timeout: 300)
        #expect(!result.timedOut, "\(result)")
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("agent.timeoutSeconds"))
        #expect(result.stderr.contains("1 s"))
        #expect(try await job.git("show", "phase-1-strategic:started.txt") == "started")
        #expect(try await job.status()["status"] as? String == "failed")
    }

    @Test func anAgentThatLeavesNoOutcomeFails() async throws {
        let job = try CLIJob("agent-no-outcome")
        let agent = try job.script("agent.sh", AgentScript.custom("echo work > work.txt"))
        try await job.initialize(["--agent", agent])
        let result = try await job.tollgate("run", job.path)
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("no outcome"))
        #expect(result.stderr.contains("TOLLGATE_OUTCOME"))
        #expect(try await job.git("show", "phase-1-strategic:work.txt") == "work")
    }

    /// Every run shares one outcome file, emptied before each agent starts: the previous run's outcome is never
    /// taken for the next one's, and the brief is the current run's.
    @Test func anAgentThatWritesNoOutcomeAfterOneThatDidFails() async throws {
        let job = try CLIJob("agent-stale-outcome")
        let agent = try job.script(
            "agent.sh",
            AgentScript.custom(
                """
                echo "$TOLLGATE_PHASE" > "work-$TOLLGATE_PHASE.txt"
                if [ "$TOLLGATE_PHASE" = 1 ]; then
                  echo '{"summary": "phase one", "details": "Wrote work-1.txt."}' > "$TOLLGATE_OUTCOME"
                fi
                cp "$TOLLGATE_BRIEF" "brief-$TOLLGATE_PHASE.md"
                """
            )
        )
        try await job.initialize(["--agent", agent, "--autonomy", "full"])
        let result = try await job.tollgate("run", job.path)
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("no outcome"), "\(result.stderr)")
        #expect(try await job.status()["phase"] as? Int == 2)
        #expect(try await job.git("show", "main:work-1.txt") == "1")
        #expect(try await job.git("show", "phase-2-tactical:work-2.txt") == "2")
        let brief = try await job.git("show", "phase-2-tactical:brief-2.md")
        #expect(brief.hasPrefix("# Brief: phase 2 (tactical) of job job"), "\(brief.prefix(400))")
    }

    /// A link at the job's lock file is refused with what to do, and neither followed nor replaced (a tollgate may
    /// still hold the file it took the place of); once removed, the job runs.
    @Test func aLinkAtTheJobsLockFileIsRefusedNamingIt() async throws {
        let job = try CLIJob("lock-link")
        let other = try job.directory.write("other.txt", "precious\n")
        try await job.initialize(["--autonomy", "full", "--agent", "tollgate example-agent"])
        let lock = job.root.appendingPathComponent(".git/tollgate.lock").path
        unlink(lock)
        #expect(symlink(other.path, lock) == 0)
        let refused = try await job.tollgate("run", job.path)
        #expect(refused.status != 0, "\(refused)")
        #expect(refused.stderr.contains("is a symbolic link, not tollgate's own"), "\(refused.stderr)")
        #expect(refused.stderr.contains("rm '\(lock)'"), "\(refused.stderr)")
        #expect(try String(contentsOf: other, encoding: .utf8) == "precious\n")
        #expect(unlink(lock) == 0)
        let run = try await job.tollgate("run", job.path)
        #expect(run.status == 0, "\(run)")
    }

    /// Links an agent leaves where tollgate's own files are (its outcome, the brief, the reference snapshot, the
    /// process-group record, the next run's log, the telemetry) are replaced by files of tollgate's, never written
    /// or appended through: the files they point at stay as they were.
    @Test func linksAnAgentLeavesAtTollgatesFilesAreReplacedNotWrittenThrough() async throws {
        let job = try CLIJob("agent-links")
        let outcome = #"{"summary": "a user's file", "details": "Not tollgate's to empty."}"#
        let victim = try job.directory.write("victim.json", outcome + "\n")
        let other = try job.directory.write("other.txt", "precious\n")
        let agent = try job.script(
            "agent.sh",
            AgentScript.custom(
                """
                private="$(dirname "$TOLLGATE_OUTCOME")"
                if [ "$TOLLGATE_PHASE" = 1 ]; then
                  ln -sf "\(victim.path)" "$TOLLGATE_OUTCOME"
                  ln -sf "\(other.path)" "$TOLLGATE_BRIEF"
                  ln -f "\(other.path)" "$private/refs.json"
                  ln -sf "\(other.path)" "$private/agent-group"
                  ln -sf "\(other.path)" "$private/logs/run-2.log"
                  ln -sf "\(other.path)" "$private/telemetry.ndjson"
                else
                  echo '{"summary": "done", "details": "Done.", "jobComplete": true}' > "$TOLLGATE_OUTCOME"
                fi
                """
            )
        )
        try await job.initialize(["--agent", agent, "--autonomy", "full"])
        let result = try await job.tollgate("run", job.path)
        #expect(result.status == 0, "\(result)")
        #expect(try String(contentsOf: victim, encoding: .utf8) == outcome + "\n")
        #expect(try String(contentsOf: other, encoding: .utf8) == "precious\n")
        let brief = try String(contentsOf: job.root.appendingPathComponent(".git/tollgate/brief.md"), encoding: .utf8)
        #expect(brief.hasPrefix("# Brief: phase 2 (tactical)"), "\(brief.prefix(200))")
    }

    @Test func anAgentThatLeavesAMalformedOutcomeFails() async throws {
        let job = try CLIJob("agent-bad-outcome")
        let agent = try job.script("agent.sh", AgentScript.custom("echo '{\"summary\": ' > \"$TOLLGATE_OUTCOME\""))
        try await job.initialize(["--agent", agent])
        let result = try await job.tollgate("run", job.path)
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("not valid JSON"))
        let status = try await job.status()
        #expect((status["failure"] as? String)?.contains("not valid JSON") == true)
    }

    @Test func anOutcomeOfTheWrongShapeIsToldAsASentenceNamingTheField() async throws {
        let job = try CLIJob("agent-wrong-shape")
        let agent = try job.script(
            "agent.sh",
            AgentScript.custom("echo '{\"summary\": 3, \"usage\": {\"costUSD\": \"cheap\"}}' > \"$TOLLGATE_OUTCOME\"")
        )
        try await job.initialize(["--agent", agent])
        let result = try await job.tollgate("run", job.path)
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("`summary` must be a string"), "\(result.stderr)")
        #expect(!result.stderr.contains("DecodingError"))
        #expect(!result.stderr.contains("codingPath"))
    }

    // MARK: - Helpers

    static func packageRoot(filePath: String = #filePath) -> URL {
        URL(fileURLWithPath: filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }
}
