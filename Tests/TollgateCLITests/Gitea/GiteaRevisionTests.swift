import Foundation
import GiteaKit
import HTTPKit
import Testing
import TollgateTestSupport

/// What a reviewer sees after a revision (one marked comment), a push that lands between the verdict and the merge,
/// a pull request merged by hand, the state branch on Gitea while frozen, and a critique escalating a `full` job.
extension GiteaEndToEndTests {
    /// Alice asks for changes on the review with one inline comment on `plan.md`.
    func requestChanges(_ pull: PullRequest) async throws {
        _ = try await client(server.alice).createReview(
            CreatePullReviewOptions(
                event: .requestChanges,
                body: "Tighten the plan",
                comments: [.init(path: "plan.md", body: "Name the audience", newLine: 1)]
            ),
            on: pull.number,
            in: repo
        )
    }

    /// The comments the engine posted on the pull request, found by their hidden idempotency marker.
    func engineNotes(on number: Int64) async throws -> [GiteaKit.Comment] {
        try await client(server.alice).issueComments(on: number, in: repo).filter { $0.body.contains("<!-- tollgate:") }
    }

    /// The state branch on Gitea is exactly the local one.
    func expectStatePublished(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let remote = try await remoteGit("rev-parse", "tollgate/state")
        await #expect(remote == (try job.git("rev-parse", "tollgate/state")), sourceLocation: sourceLocation)
    }

    @Test func aRevisionIsAnnouncedByOneCommentAndTheStateOnGiteaMatchesWhileFrozen() async throws {
        defer { server.stop() }
        let pull = try await frozenAtFirstReview()
        try await expectStatePublished()
        #expect(try await engineNotes(on: pull.number).isEmpty, "no note before any revision")

        try await requestChanges(pull)
        let revised = try await tollgate("resume", job.path)
        #expect(revised.status == 3, "\(revised)")
        try await expectStatePublished()
        let notes = try await engineNotes(on: pull.number)
        #expect(notes.count == 1)
        let note = try #require(notes.first)
        #expect(note.user?.login == server.bot.login)
        #expect(note.body.contains("<!-- tollgate:job/1-strategic/revision-2 -->"))
        #expect(note.body.contains("**Revision 2**"))
        let head = try await job.git("rev-parse", "phase-1-strategic")
        #expect(note.body.contains(String(head.prefix(10))), "the note names the new head: \(note.body)")
        #expect(note.body.contains("Addressed (2 of 2)"), "\(note.body)")
        #expect(note.body.contains("Name the audience") && note.body.contains("Tighten the plan"))

        // Nothing new: resume stays frozen, says so, and neither comments again nor moves the state on Gitea.
        let waiting = try await tollgate("resume", job.path)
        #expect(waiting.status == 3, "\(waiting)")
        #expect(try await engineNotes(on: pull.number).count == 1)
        try await expectStatePublished()
        // The engine's own note is not handed to the agent as feedback in a later revision.
        try await requestChanges(pull)
        #expect(try await tollgate("resume", job.path).status == 3)
        await #expect((try? job.git("grep", "-l", "answers the review", "phase-1-strategic")) == nil)
        #expect(try await engineNotes(on: pull.number).count == 2)
    }

    @Test(arguments: ["after-push", "after-push@2", "after-comment", "after-review-open"])
    func aCrashAroundARevisionLeavesOnePullRequestAndOneComment(fault: String) async throws {
        defer { server.stop() }
        let pull = try await frozenAtFirstReview()
        try await requestChanges(pull)
        try await crashThenRerun("resume", at: fault)
        #expect(try count("POST", "/pulls", status: 201) == 1)
        #expect(try count("POST", "/issues/\(pull.number)/comments", status: 201) == 1)
        #expect(try await engineNotes(on: pull.number).count == 1)
        let status = try await job.status()
        #expect(status["status"] as? String == "pending_review")
        #expect(status["revision"] as? Int == 2)
        let same = try await client(server.alice).pullRequest(pull.number, in: repo)
        await #expect(same.head.sha == (try job.git("rev-parse", "phase-1-strategic")))
        let reviews = try await client(server.alice).reviews(on: pull.number, in: repo)
        #expect(reviews.last?.state == .requestReview && reviews.last?.user?.login == "alice")
        try await expectStatePublished()
    }

    @Test func aPushBetweenTheVerdictAndTheMergeAsksForAReviewOfTheNewHead() async throws {
        defer { server.stop() }
        let pull = try await frozenAtFirstReview()
        try await approve(pull)
        // Bob, whom the owner let in to push, pushes before the merge.
        try server.setCollaborator("bob", permission: "write", owner: repo.owner, name: repo.name)
        try server.pushBeforeNextMerge(["late.md": "late\n"], author: "bob", message: "A late change")

        let refused = try await tollgate("resume", job.path)
        #expect(refused.status == 3, "\(refused)")
        #expect(refused.stdout.contains("not merged: the branch moved"), "\(refused)")
        #expect(refused.stdout.contains("does not cover"), "\(refused)")
        #expect(refused.stdout.components(separatedBy: "not merged:").count == 2, "said once: \(refused)")
        #expect(try count("POST", "/pulls/\(pull.number)/merge", status: 409) == 1)
        let alice = client(server.alice)
        #expect(try await alice.isMerged(pull.number, in: repo) == false)
        let moved = try await alice.pullRequest(pull.number, in: repo)
        #expect(try await job.git("rev-parse", "phase-1-strategic") == moved.head.sha, "the new head is fetched")
        let reviews = try await alice.reviews(on: pull.number, in: repo)
        #expect(reviews.last?.state == .requestReview && reviews.last?.user?.login == "alice")
        let status = try await job.status()
        #expect(status["status"] as? String == "pending_review")
        #expect(status["phase"] as? Int == 1)
        try await expectStatePublished()

        // Approving the new head lands it, the late commit included and its author credited.
        try await approve(pull)
        let merged = try await tollgate("resume", job.path)
        #expect(merged.status == 3, "\(merged)")
        #expect(try await alice.isMerged(pull.number, in: repo))
        #expect(try await remoteGit("show", "main:late.md") == "late")
        let squash = try await remoteGit("log", "--format=%B", "--grep=Tollgate-Phase: 1-strategic", "main")
        #expect(squash.contains("Co-authored-by: bob"), "\(squash)")
        #expect(try count("POST", "/pulls/\(pull.number)/merge", status: 200) == 1)
    }

    @Test func aPullRequestMergedByHandIsAdoptedAndTheJobGoesOn() async throws {
        defer { server.stop() }
        let pull = try await frozenAtFirstReview()
        try await approve(pull)
        let alice = client(server.alice)
        _ = try await alice.merge(
            pull.number,
            in: repo,
            MergeOptions(style: .squash, title: "Merged by hand", deleteBranchAfterMerge: true)
        )
        let handMerge = try #require(try await alice.pullRequest(pull.number, in: repo).mergeCommitSHA)

        let resumed = try await tollgate("resume", job.path)
        #expect(resumed.status == 3, "\(resumed)")
        #expect(resumed.stdout.contains("merged on the host by hand"), "\(resumed)")
        #expect(try count("POST", "/pulls/\(pull.number)/merge", status: 200) == 1, "only the merge by hand")
        // Local main holds Gitea's merge commit, and the next phases built on it.
        await #expect((try? job.git("merge-base", "--is-ancestor", handMerge, "main")) != nil)
        #expect(try await remoteGit("rev-parse", "main") == (try job.git("rev-parse", "main")))
        #expect(try await job.git("show", "main:plan.md") == (try remoteGit("show", "\(handMerge):plan.md")))
        let status = try await job.status()
        #expect(status["phase"] as? Int == 3)
        let merged = try await job.events().filter { $0["type"] as? String == "phase.merged" }
        let first = try #require(merged.first?["data"] as? [String: Any])
        #expect(first["commit"] as? String == handMerge)
        try await expectStatePublished()
    }

    @Test func aFullJobWhoseCritiqueDoesNotShipFreezesWithTheScoreInThePullRequest() async throws {
        defer { server.stop() }
        let critic = try CritiqueJobTests().failingCritic(job)
        let created = try await job.tollgate(
            [
                "init", job.path, "--review", "gitea", "--autonomy", "full", "--agent", "tollgate example-agent",
                "--set", "gitea.url=\(server.baseURL.absoluteString)", "--set", "review.reviewers=alice",
                "--set", "critique.enabled=true", "--set", "critique.command=\(critic)",
            ],
            environment: botEnvironment
        )
        #expect(created.status == 0, "\(created)")
        let run = try await tollgate("run", job.path)
        #expect(run.status == 3, "\(run)")
        let pull = try #require(
            try await client(server.alice).pullRequest(base: "main", head: "phase-1-strategic", in: repo)
        )
        let body = try #require(pull.body)
        #expect(body.contains("critique below_threshold: composite 5.0 / threshold"), "\(body)")
        #expect(body.contains("1 open must-fix item(s)"), "\(body)")
        #expect(body.contains("escalated: the critique did not pass"), "\(body)")
        let reviews = try await client(server.alice).reviews(on: pull.number, in: repo)
        #expect(reviews.contains { $0.state == .requestReview && $0.user?.login == "alice" })
        let reason = try #require(try await job.status()["freezeReason"] as? String)
        #expect(reason.contains("critique did not pass"), "\(reason)")
        #expect(body.contains("**Why this phase waits for you:** \(reason)"), "\(body)")
        try await expectStatePublished()
    }
}

/// A state push lost at the freeze (a crash or a network failure just after the freeze was recorded).
extension GiteaEndToEndTests {
    @Test func runOnAFrozenJobCatchesUpAStatePushThatWasLostAndStatusStaysOffline() async throws {
        defer { server.stop() }
        _ = try await frozenAtFirstReview()
        let frozen = try await job.git("rev-parse", "tollgate/state")
        // As if the last state push never happened: Gitea and the remote-tracking branch one state behind.
        let earlier = try await job.git("rev-parse", "tollgate/state~1")
        _ = try await remoteGit("update-ref", "refs/heads/tollgate/state", earlier)
        _ = try await job.git("update-ref", "refs/remotes/origin/tollgate/state", earlier)

        // status reads the local job only: no request to Gitea, nothing pushed.
        try server.resetRequestLog()
        #expect(try await tollgate("status", job.path).status == 0)
        #expect(try server.requests().isEmpty)
        #expect(try await remoteGit("rev-parse", "tollgate/state") == earlier)

        let run = try await tollgate("run", job.path)
        #expect(run.status == 3, "\(run)")
        #expect(try await job.git("rev-parse", "tollgate/state") == frozen, "run records nothing new on a frozen job")
        try await expectStatePublished()
    }
}
