import Foundation
import Testing
import TollgateTestSupport

/// DESIGN §5: the agent's git is checked after each run.
///
/// Only the phase branch may move; HEAD must end on it; what the agent did elsewhere is put back, its commits
/// quarantined, and the run fails naming it. Engine files are committed whatever the agent's `.gitignore` says.
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

    @Test func aCommitOnMainIsPutBackQuarantinedAndNamed() throws {
        let job = try CLIJob("agent-git-main")
        let agent = try job.script(
            "agent.sh",
            Self.agent(
                "\(Self.git) checkout -q main; echo sneaky > sneaky.txt; \(Self.git) add -A; \(Self.git) commit -qm sneak"
            )
        )
        try job.initialize(["--agent", agent])
        let mainBefore = try job.git("rev-parse", "main")
        let result = try job.tollgate("run", job.path)
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("moved main from"), "\(result.stderr)")
        #expect(result.stderr.contains("left HEAD on main instead of phase-1-strategic"))
        #expect(try job.git("rev-parse", "main") == mainBefore)
        let kept = try job.git("log", "-1", "--format=%s", "refs/tollgate/quarantine/run-1/heads/main")
        #expect(kept == "sneak")
        #expect(try job.git("symbolic-ref", "HEAD") == "refs/heads/phase-1-strategic")
        // The work is not lost: it is committed on the phase branch with the failed run.
        #expect(try job.git("show", "phase-1-strategic:sneaky.txt") == "sneaky")
        #expect(try job.status()["status"] as? String == "failed")
    }

    @Test func aStrayBranchAndARewrittenStateArePutBackAndTheJobStaysReadable() throws {
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
        try job.initialize(["--agent", agent])
        let stateBefore = try job.git("rev-parse", "tollgate/state")
        let result = try job.tollgate("run", job.path)
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("moved tollgate/state"), "\(result.stderr)")
        #expect(result.stderr.contains("created stray"))
        #expect(try job.git("branch", "--list", "stray").isEmpty)
        #expect(try !job.git("rev-parse", "refs/tollgate/quarantine/run-1/heads/stray").isEmpty)
        // The state moved on from where it was (the failure is recorded), not from the agent's commit.
        #expect(try job.git("merge-base", "--is-ancestor", stateBefore, "tollgate/state").isEmpty)
        #expect(try job.status()["status"] as? String == "failed")
        #expect(try job.tollgate("log", job.path).status == 0)
        // Fixed, the next run goes on.
        #expect(try job.tollgate("config", job.path, "--set", "agent.command=tollgate example-agent").status == 0)
        #expect(try job.tollgate("run", job.path).status == 3)
    }

    @Test func engineFilesAreCommittedWhateverTheAgentsGitignoreSays() throws {
        let job = try CLIJob("agent-git-ignore")
        let agent = try job.script("agent.sh", Self.agent("printf '*\\n' > .gitignore; echo plan > plan.md"))
        try job.initialize(["--agent", agent, "--autonomy", "guided"])
        let result = try job.tollgate("run", job.path)
        #expect(result.status == 3, "\(result)")
        let files = try job.git("ls-tree", "-r", "--name-only", "phase-1-strategic")
        #expect(files.contains("archive/phase-1-strategic.md"), "\(files)")
        #expect(try job.git("show", "phase-1-strategic:archive/phase-1-strategic.md").contains("What the agent did."))
    }

    @Test func aStateBranchMovedByHandSaysHowToPutItBack() throws {
        let job = try CLIJob("state-moved")
        try job.initialize(["--agent", "tollgate example-agent", "--autonomy", "guided"])
        #expect(try job.tollgate("run", job.path).status == 3)
        let good = try job.git("rev-parse", "tollgate/state")
        try job.git("update-ref", "refs/heads/tollgate/state", "main")
        for command in [["status", job.path], ["run", job.path], ["log", job.path]] {
            let result = try job.tollgate(command)
            #expect(result.status == 1, "\(command): \(result)")
            #expect(result.stderr.contains("not a job state"), "\(result.stderr)")
            #expect(result.stderr.contains("update-ref refs/heads/tollgate/state \(good)"), "\(result.stderr)")
        }
        // The command it names is the way back.
        try job.git("update-ref", "refs/heads/tollgate/state", good)
        #expect(try job.status()["status"] as? String == "pending_review")
    }

    @Test func anAgentThatRemovesTheRepositoryIsToldAsSuch() throws {
        let job = try CLIJob("agent-rm-git")
        let agent = try job.script("agent.sh", Self.agent("echo kept > kept.txt; rm -rf .git"))
        try job.initialize(["--agent", agent])
        let result = try job.tollgate("run", job.path)
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("the agent removed the repository"), "\(result.stderr)")
        #expect(!result.stderr.contains("NSCocoaErrorDomain"))
        #expect(FileManager.default.fileExists(atPath: job.root.appendingPathComponent("kept.txt").path))
    }

    @Test func aDeletedPhaseBranchIsPutBackAndTheWorkLandsOnIt() throws {
        let job = try CLIJob("agent-git-delete-phase")
        let agent = try job.script(
            "agent.sh",
            Self.agent("\(Self.git) checkout -q main; \(Self.git) branch -D \"$TOLLGATE_BRANCH\"; echo w > w.txt")
        )
        try job.initialize(["--agent", agent])
        let result = try job.tollgate("run", job.path)
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("deleted phase-1-strategic"), "\(result.stderr)")
        // The run's commit sits on the branch as it was, not on a new root.
        #expect(try job.git("rev-list", "--count", "phase-1-strategic") == "2")
        #expect(try job.git("show", "phase-1-strategic:w.txt") == "w")
    }
}
