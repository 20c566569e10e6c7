import Foundation
import Testing
import TollgateTestSupport

/// DESIGN §5: the agent's git is checked after each run.
///
/// Only the phase branch may move; HEAD must end on it; what the agent did elsewhere is put back, its commits
/// quarantined, and the run fails naming it. Engine files are committed whatever the agent's `.gitignore` says.
@Suite(.runsProcesses)
struct AgentGitTests {
    static let git = "git -c user.name=agent -c user.email=agent@example.invalid"

    /// An agent that does `body` in the workspace, then reports a finished phase.
    static func agent(_ body: String) -> String {
        AgentScript.custom(
            """
            set -e
            \(body)
            echo '{"summary": "did it", "details": "What the agent did."}' > "$TOLLGATE_OUTCOME"
            """
        )
    }

    @Test func aCommitOnMainIsPutBackQuarantinedAndNamed() async throws {
        let job = try CLIJob("agent-git-main")
        let agent = try job.script(
            "agent.sh",
            Self.agent(
                "\(Self.git) checkout -q main; echo sneaky > sneaky.txt; \(Self.git) add -A; \(Self.git) commit -qm sneak"
            )
        )
        try await job.initialize(["--agent", agent])
        let mainBefore = try await job.git("rev-parse", "main")
        let result = try await job.tollgate("run", job.path)
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("moved main from"), "\(result.stderr)")
        #expect(result.stderr.contains("left HEAD on main instead of phase-1-strategic"))
        #expect(try await job.git("rev-parse", "main") == mainBefore)
        let kept = try await job.git("log", "-1", "--format=%s", "refs/tollgate/quarantine/run-1/heads/main")
        #expect(kept == "sneak")
        #expect(try await job.git("symbolic-ref", "HEAD") == "refs/heads/phase-1-strategic")
        // The work is not lost: it is committed on the phase branch with the failed run.
        #expect(try await job.git("show", "phase-1-strategic:sneaky.txt") == "sneaky")
        #expect(try await job.status()["status"] as? String == "failed")
    }

    @Test func aStrayBranchAndARewrittenStateArePutBackAndTheJobStaysReadable() async throws {
        let job = try CLIJob("agent-git-state")
        let agent = try job.script(
            "agent.sh",
            Self.agent(
                """
                echo work > work.txt
                \(Self.git) branch stray
                \(Self.git) update-ref refs/heads/tollgate/state HEAD
                """
            )
        )
        try await job.initialize(["--agent", agent])
        let stateBefore = try await job.git("rev-parse", "tollgate/state")
        let result = try await job.tollgate("run", job.path)
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("moved tollgate/state"), "\(result.stderr)")
        #expect(result.stderr.contains("created stray"))
        #expect(try await job.git("branch", "--list", "stray").isEmpty)
        #expect(try await !job.git("rev-parse", "refs/tollgate/quarantine/run-1/heads/stray").isEmpty)
        // The state moved on from where it was (the failure is recorded), not from the agent's commit.
        #expect(try await job.git("merge-base", "--is-ancestor", stateBefore, "tollgate/state").isEmpty)
        #expect(try await job.status()["status"] as? String == "failed")
        #expect(try await job.tollgate("log", job.path).status == 0)
        // Fixed, the next run goes on.
        #expect(try await job.tollgate("config", job.path, "--set", "agent.command=tollgate example-agent").status == 0)
        #expect(try await job.tollgate("run", job.path).status == 3)
    }

    @Test func engineFilesAreCommittedWhateverTheAgentsGitignoreSays() async throws {
        let job = try CLIJob("agent-git-ignore")
        let agent = try job.script("agent.sh", Self.agent("printf '*\\n' > .gitignore; echo plan > plan.md"))
        try await job.initialize(["--agent", agent, "--autonomy", "guided"])
        let result = try await job.tollgate("run", job.path)
        #expect(result.status == 3, "\(result)")
        let files = try await job.git("ls-tree", "-r", "--name-only", "phase-1-strategic")
        #expect(files.contains("archive/phase-1-strategic.md"), "\(files)")
        #expect(
            try await job.git("show", "phase-1-strategic:archive/phase-1-strategic.md").contains("What the agent did.")
        )
    }

    /// git refusing the run's commit (here: a repository of its own inside the work) fails the job with git's
    /// reason, which `status` shows, instead of leaving it "stopped mid-step"; once fixed, the next run commits.
    @Test func aRepositoryInsideTheWorkFailsTheJobNamingItAndTheNextRunCommitsOnceItIsGone() async throws {
        let job = try CLIJob("agent-git-nested")
        let agent = try job.script("agent.sh", Self.agent("\(Self.git) init -q sub; echo inner > sub/inner.txt"))
        try await job.initialize(["--agent", agent, "--autonomy", "guided"])
        let result = try await job.tollgate("run", job.path)
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("'sub/' is a git repository of its own"), "\(result.stderr)")
        #expect(try await job.status()["status"] as? String == "failed")
        let status = try await job.tollgate("status", job.path)
        #expect(status.stdout.contains("failure: git stage the working tree failed: 'sub/'"), "\(status.stdout)")
        #expect(!status.stdout.contains("stopped mid-step"), "\(status.stdout)")

        try FileManager.default.removeItem(at: job.root.appendingPathComponent("sub/.git"))
        let again = try await job.tollgate("run", job.path)
        #expect(again.status == 3, "\(again)")
        #expect(try await job.git("show", "phase-1-strategic:sub/inner.txt") == "inner")
    }

    @Test func aStateBranchMovedByHandSaysHowToPutItBack() async throws {
        let job = try CLIJob("state-moved")
        try await job.initialize(["--agent", "tollgate example-agent", "--autonomy", "guided"])
        #expect(try await job.tollgate("run", job.path).status == 3)
        let good = try await job.git("rev-parse", "tollgate/state")
        try await job.git("update-ref", "refs/heads/tollgate/state", "main")
        for command in [["status", job.path], ["run", job.path], ["log", job.path]] {
            let result = try await job.tollgate(command)
            #expect(result.status == 1, "\(command): \(result)")
            #expect(result.stderr.contains("not a job state"), "\(result.stderr)")
            #expect(result.stderr.contains("update-ref refs/heads/tollgate/state \(good)"), "\(result.stderr)")
        }
        // The command it names is the way back.
        try await job.git("update-ref", "refs/heads/tollgate/state", good)
        #expect(try await job.status()["status"] as? String == "pending_review")
    }

    @Test func anAgentThatRemovesTheRepositoryIsToldAsSuch() async throws {
        let job = try CLIJob("agent-rm-git")
        let agent = try job.script("agent.sh", Self.agent("echo kept > kept.txt; rm -rf .git"))
        try await job.initialize(["--agent", agent])
        let result = try await job.tollgate("run", job.path)
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("the agent removed the repository"), "\(result.stderr)")
        #expect(!result.stderr.contains("NSCocoaErrorDomain"))
        #expect(FileManager.default.fileExists(atPath: job.root.appendingPathComponent("kept.txt").path))
    }

    @Test func aDeletedPhaseBranchIsPutBackAndTheWorkLandsOnIt() async throws {
        let job = try CLIJob("agent-git-delete-phase")
        let agent = try job.script(
            "agent.sh",
            Self.agent("\(Self.git) checkout -q main; \(Self.git) branch -D \"$TOLLGATE_BRANCH\"; echo w > w.txt")
        )
        try await job.initialize(["--agent", agent])
        let result = try await job.tollgate("run", job.path)
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("deleted phase-1-strategic"), "\(result.stderr)")
        // The run's commit sits on the branch as it was, not on a new root.
        #expect(try await job.git("rev-list", "--count", "phase-1-strategic") == "2")
        #expect(try await job.git("show", "phase-1-strategic:w.txt") == "w")
    }
}
