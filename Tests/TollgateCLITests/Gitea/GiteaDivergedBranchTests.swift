import Foundation
import GiteaKit
import HTTPKit
import Testing
import TollgateTestSupport

/// A review branch that diverged while the job was frozen: the reviewer rewrote it, or the workspace holds a commit
/// Gitea never got. Resume takes the reviewer's branch, as the design says, and keeps what it replaces.
extension GiteaEndToEndTests {
    /// A clone of the job's repository with alice's token, in a fresh folder under the job's temporary directory.
    func aliceClone() async throws -> URL {
        let folder = job.root.deletingLastPathComponent().appendingPathComponent("alice-\(UUID().uuidString)")
        let url = server.authenticatedRepositoryURL(owner: repo.owner, name: repo.name, account: server.alice)
        try await GitCLI.run(
            ["clone", "-q", url.absoluteString, folder.path],
            in: job.root.deletingLastPathComponent()
        )
        return folder
    }

    @Test func aBranchTheReviewerRewroteIsTakenAndTheRevisionBuildsOnIt() async throws {
        defer { server.stop() }
        #expect(try await initialize().status == 0)
        #expect(try await tollgate("run", job.path).status == 3)
        let alice = client(server.alice)
        let pull = try #require(try await alice.pullRequest(base: "main", head: "phase-1-strategic", in: repo))
        let engineHead = try await job.git("rev-parse", "phase-1-strategic")

        // Alice replaces the engine's commit with her own version of the plan and force-pushes it.
        let clone = try await aliceClone()
        try await GitCLI.run(["checkout", "-q", "phase-1-strategic"], in: clone)
        try "# Plan by alice\n\nShorter.\n".write(
            to: clone.appendingPathComponent("plan.md"),
            atomically: true,
            encoding: .utf8
        )
        try await GitCLI.run(
            ["commit", "-q", "-a", "--amend", "--author=alice <alice@example.com>", "-m", "Rewrite the plan"],
            in: clone
        )
        try await GitCLI.run(["push", "-q", "--force", "origin", "phase-1-strategic"], in: clone)
        let rewritten = try await GitCLI.run(["rev-parse", "HEAD"], in: clone)
        await #expect(
            (try? remoteGit("merge-base", "--is-ancestor", engineHead, rewritten)) == nil,
            "the branches diverged"
        )
        try await requestChanges(pull)

        let revised = try await tollgate("resume", job.path)
        #expect(revised.status == 3, "\(revised)")
        #expect(try await job.status()["revision"] as? Int == 2)
        // The revision sits on alice's rewrite, and Gitea has exactly the workspace's branch.
        let head = try await job.git("rev-parse", "phase-1-strategic")
        await #expect((try? job.git("merge-base", "--is-ancestor", rewritten, head)) != nil, "alice's commit is kept")
        #expect(try await remoteGit("rev-parse", "phase-1-strategic") == head)
        let plan = try await job.git("show", "phase-1-strategic:plan.md")
        #expect(plan.contains("Plan by alice"))
        #expect(plan.contains("Name the audience"), "the agent's revision answers the feedback")
        // The engine's replaced commit is not lost: the workspace keeps it reachable.
        await #expect((try? job.git("merge-base", "--is-ancestor", engineHead, head)) == nil)
        let keeping = try await job.git("for-each-ref", "--contains", engineHead, "--format=%(refname)")
        #expect(!keeping.isEmpty, "the engine's replaced commit \(engineHead) is kept under a reference")

        // Approved and merged: alice is credited for her commit, and nobody else is.
        try await approve(pull)
        let merged = try await tollgate("resume", job.path)
        #expect([0, 3].contains(merged.status), "\(merged)")
        #expect(try await alice.isMerged(pull.number, in: repo))
        let squash = try await remoteGit("log", "--format=%H", "--grep=^Phase 1 (strategic)", "main")
        let landed = try await remoteGit("log", "-1", "--format=%B", squash)
        let credits = landed.split(separator: "\n").filter { $0.hasPrefix("Co-authored-by:") }
        #expect(credits == ["Co-authored-by: alice <alice@example.com>"], "\(landed)")
        #expect(try await remoteGit("show", "\(squash):plan.md").contains("Plan by alice"))
    }

    @Test func aWorkspaceCommitGiteaLacksIsKeptWhenTheReviewerBranchWins() async throws {
        defer { server.stop() }
        #expect(try await initialize().status == 0)
        #expect(try await tollgate("run", job.path).status == 3)
        let alice = client(server.alice)
        let pull = try #require(try await alice.pullRequest(base: "main", head: "phase-1-strategic", in: repo))

        // While frozen, the workspace's branch gets a commit that never reached Gitea (a push that was lost) ...
        try await job.git("checkout", "-q", "phase-1-strategic")
        try "local only\n".write(to: job.root.appendingPathComponent("local.md"), atomically: true, encoding: .utf8)
        try await job.git("add", "local.md")
        try await job.git("commit", "-q", "-m", "A commit Gitea never got")
        let localOnly = try await job.git("rev-parse", "HEAD")
        // ... and alice pushes her own commit onto Gitea's branch.
        let pushed = try server.commit(
            ["notes.md": "from alice\n"],
            to: "phase-1-strategic",
            owner: repo.owner,
            name: repo.name,
            author: "alice",
            message: "Add notes"
        )
        try await requestChanges(pull)

        let revised = try await tollgate("resume", job.path)
        #expect(revised.status == 3, "\(revised)")
        let head = try await job.git("rev-parse", "phase-1-strategic")
        await #expect((try? job.git("merge-base", "--is-ancestor", pushed, head)) != nil, "alice's commit is taken")
        #expect(try await remoteGit("rev-parse", "phase-1-strategic") == head)
        #expect(try await job.git("show", "phase-1-strategic:notes.md").contains("from alice"))
        let keeping = try await job.git("for-each-ref", "--contains", localOnly, "--format=%(refname)")
        #expect(!keeping.isEmpty, "the workspace's own commit \(localOnly) is kept under a reference")
    }
}
