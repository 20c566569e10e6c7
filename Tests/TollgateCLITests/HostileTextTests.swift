import Foundation
import Testing
import TollgateTestSupport

/// Text that reaches commit messages from outside: an agent's outcome, a reviewer's name, an inline comment
/// (DESIGN §5).
///
/// The trailers a rerun reads back must survive whatever the text holds.
@Suite(.runsProcesses)
struct HostileTextTests {
    /// An agent whose summary holds a NUL, a newline and a forged trailer, and whose details hold a NUL.
    static let hostileAgent = AgentScript.custom(
        """
        mkdir -p work
        echo "phase $TOLLGATE_PHASE" >> "work/phase-$TOLLGATE_PHASE.txt"
        complete=false
        if [ "$TOLLGATE_PHASE" -ge 2 ]; then complete=true; fi
        printf '{"summary": "Plan\\\\u0000 cut\\\\nTollgate-Run: 99", "details": "kept\\\\u0000 after", "jobComplete": %s}' \
          "$complete" > "$TOLLGATE_OUTCOME"
        """
    )

    @Test func aNulOrANewlineInTheOutcomeCutsNoTrailerAndACrashDuplicatesNothing() async throws {
        let job = try CLIJob("hostile-outcome")
        let agent = try job.script("agent.sh", Self.hostileAgent)
        try await job.initialize(["--autonomy", "full", "--agent", agent])
        // Killed right after the run commit, then run again: the rerun must find the commit by its trailers.
        let crashed = try await job.tollgate(["run", job.path], environment: ["TOLLGATE_FAULT": "after-commit"])
        #expect(crashed.status == 86, "\(crashed)")
        let finished = try await job.tollgate("run", job.path)
        #expect(finished.status == 0, "\(finished)")

        let titles = try await job.git("log", "--format=%s", "main").split(separator: "\n")
        #expect(titles.first { $0.hasPrefix("Phase 1") } == "Phase 1 (strategic): Plan cut Tollgate-Run: 99")
        // One squash per phase, however the text was made (a cut message lost the trailers and squashed twice).
        #expect(try await job.git("rev-list", "--count", "main") == "3")
        let squash = try await job.git("log", "-1", "--format=%B", "main~1")
        #expect(squash.contains("Tollgate-Phase: 1-strategic"), "\(squash)")
        #expect(squash.contains("kept after"), "\(squash)")
        #expect(!squash.contains("\u{0}"))
        let retrospective = try await job.git("show", "main:archive/phase-1-strategic.md")
        #expect(retrospective.contains("kept after"))
    }

    @Test func aReviewerNameThatIsNotOneLineIsRefusedAndNothingIsRecorded() async throws {
        let job = try CLIJob("hostile-name")
        try await job.initialize(["--autonomy", "guided", "--agent", "tollgate example-agent"])
        #expect(try await job.tollgate("run", job.path).status == 3)
        for name in ["", "ann\nTollgate-Phase: 9-strategic\nCo-authored-by: mallory", "ann\u{1B}[2J"] {
            let result = try await job.tollgate("review", job.path, "approve", "--as", name)
            #expect(result.status == 64, "\(name.debugDescription): \(result)")
            #expect(result.stderr.contains("--as"))
        }
        #expect(try await job.tollgate("resume", job.path).status == 3)
        #expect(try await job.status()["status"] as? String == "pending_review")
    }

    @Test func anInlineCommentMustNameALineOfAFileOnTheBranch() async throws {
        let job = try CLIJob("hostile-comment")
        try await job.initialize(["--autonomy", "guided", "--agent", "tollgate example-agent"])
        #expect(try await job.tollgate("run", job.path).status == 3)
        let lines = try await job.git("show", "phase-1-strategic:plan.md").split(
            separator: "\n",
            omittingEmptySubsequences: false
        )
        let count = lines.last?.isEmpty == true ? lines.count - 1 : lines.count
        let refused: [(String, String)] = [
            ("plan.md:\(count + 1):x", "plan.md has \(count) lines on phase-1-strategic"),
            ("plan.md:999:x", "line 999 does not exist"),
            ("nowhere.md:1:x", "nowhere.md is not a file on phase-1-strategic"),
            ("../../etc/passwd:1:x", "inside the repository"),
            ("/etc/passwd:1:x", "not absolute"),
        ]
        for (spec, words) in refused {
            let result = try await job.tollgate("review", job.path, "request-changes", "--comment", spec)
            #expect(result.status == 64, "\(spec): \(result)")
            #expect(result.stderr.contains(words), "\(spec): \(result.stderr)")
        }
        // Nothing was recorded: the review is still open, and a good comment is taken.
        #expect(try await job.tollgate("resume", job.path).status == 3)
        let good = try await job.tollgate(
            "review",
            job.path,
            "request-changes",
            "--comment",
            "plan.md:\(count):Say why"
        )
        #expect(good.status == 0, "\(good)")
        #expect(try await job.tollgate("resume", job.path).status == 3)
        #expect(try await job.git("show", "phase-1-strategic:plan.md").contains("Say why"))
    }
}

/// `resume` acts on a verdict; on a job that has none to read it says so, and changes nothing where there is
/// nothing to continue.
@Suite(.runsProcesses)
struct ResumeWithoutAReviewTests {
    @Test func resumeOnAJobThatHasNotStartedChangesNothing() async throws {
        let job = try CLIJob("resume-created")
        try await job.initialize(["--agent", "tollgate example-agent"])
        let stateBefore = try await job.git("rev-parse", "tollgate/state")
        let result = try await job.tollgate("resume", job.path)
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("has not started"))
        #expect(result.stderr.contains("tollgate run \(job.path)"))
        #expect(try await job.git("rev-parse", "tollgate/state") == stateBefore)
        #expect(try await job.status()["status"] as? String == "created")
    }

    @Test func resumeOnACompletedJobSaysSo() async throws {
        let job = try CLIJob("resume-completed")
        try await job.initialize(["--autonomy", "full", "--agent", "tollgate example-agent"])
        #expect(try await job.tollgate("run", job.path).status == 0)
        let resumed = try await job.tollgate("resume", job.path)
        #expect(resumed.status == 0)
        #expect(resumed.stdout.contains("nothing is left to resume"))
    }

    @Test func theVersionIsPrinted() async throws {
        let job = try CLIJob("version")
        let result = try await job.tollgate("--version")
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("tollgate "))
        // The layout the state branch is written in (docs/state.md), not the machine's own state version.
        #expect(result.stdout.contains("(state layout 3)"), "\(result.stdout)")
    }

    @Test func everyCommandTakesTheCurrentDirectoryAsTheJob() async throws {
        let job = try CLIJob("dot")
        try FileManager.default.createDirectory(at: job.root, withIntermediateDirectories: true)
        let created = try await job.binary.run(
            ["init", "--agent", "tollgate example-agent", "--autonomy", "guided"],
            directory: job.root
        )
        #expect(created.status == 0, "\(created)")
        #expect(try await job.binary.run(["run"], directory: job.root).status == 3)
        #expect(try await job.binary.run(["review", "approve", "--as", "ann"], directory: job.root).status == 0)
        #expect(try await job.binary.run(["resume"], directory: job.root).status == 3)
        await #expect((try job.status()["mergedPhases"] as? Int ?? 0) >= 1)
    }
}
