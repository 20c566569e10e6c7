import Foundation
import GiteaKit
import HTTPKit
import Testing
import TollgateTestSupport

/// Gitea checks mergeability asynchronously after every push to a pull request's head or base; until it is done it
/// answers a merge 405 "Please try again later". `resume` waits for the check, bounded by `gitea.mergeWaitSeconds`.
extension GiteaEndToEndTests {
    /// Alice pushes a commit to `main` on Gitea, which then checks the pull requests into it for `seconds`, or until
    /// each was read `reads` times.
    func pushToMain(checkingFor seconds: Double, orUntilRead reads: Int = 0) throws {
        try server.setMergeCheckDelay(seconds)
        try server.setMergeCheckReads(reads)
        _ = try server.commit(
            ["notes.md": "on main\n"],
            to: "main",
            owner: repo.owner,
            name: repo.name,
            author: "alice"
        )
    }

    @Test func aMergeRightAfterAPushToMainWaitsForGiteasCheck() async throws {
        defer { server.stop() }
        let pull = try await frozenAtFirstReview()
        try await approve(pull)
        // The check ends only after tollgate read `mergeable` twice, however long it took to get there: only waiting
        // for the check (not the client's own retries of a 405) gets the merge through.
        try pushToMain(checkingFor: 0, orUntilRead: 2)
        let resumed = try await tollgate("resume", job.path)
        #expect(resumed.status == 3, "\(resumed)")
        #expect(try count("POST", "/pulls/\(pull.number)/merge", status: 405) >= 1)
        #expect(try count("POST", "/pulls/\(pull.number)/merge", status: 200) == 1)
        #expect(try count("GET", "/pulls/\(pull.number)") >= 2, "mergeable was read while Gitea checked")
        #expect(try await client(server.alice).isMerged(pull.number, in: repo))
        #expect(try await remoteGit("rev-parse", "main") == (try job.git("rev-parse", "main")))
        #expect(try await job.git("show", "main:notes.md") == "on main")
    }

    @Test func aCheckLongerThanMergeWaitSecondsFailsNamingTheKeyAndResumeMergesLater() async throws {
        defer { server.stop() }
        let pull = try await frozenAtFirstReview()
        try await approve(pull)
        #expect(try await tollgate("config", job.path, "--set", "gitea.mergeWaitSeconds=2").status == 0)
        try pushToMain(checkingFor: 600)
        let waited = try await tollgate("resume", job.path)
        #expect(waited.status == 1, "\(waited)")
        #expect(waited.stderr.contains("Please try again later"), "\(waited)")
        #expect(waited.stderr.contains("2 s (gitea.mergeWaitSeconds)"), "\(waited)")
        #expect(try await !client(server.alice).isMerged(pull.number, in: repo))

        try server.setMergeCheckDelay(0)
        let later = try await tollgate("resume", job.path)
        #expect(later.status == 3, "\(later)")
        #expect(try await client(server.alice).isMerged(pull.number, in: repo))
    }

    /// When the head moved after the approval, Gitea may answer 405 while it checks the new head, and only then 409
    /// "head out of date": the late 409 still asks for a review of the new head.
    @Test func aPushBeforeTheMergeAnswered405ThenHeadOutOfDateAsksForANewReview() async throws {
        defer { server.stop() }
        let pull = try await frozenAtFirstReview()
        try await approve(pull)
        try server.setMergeCheckDelay(3)
        try server.setCollaborator("bob", permission: "write", owner: repo.owner, name: repo.name)
        try server.pushBeforeNextMerge(["late.md": "late\n"], author: "bob", message: "A late change")
        let refused = try await tollgate("resume", job.path)
        #expect(refused.status == 3, "\(refused)")
        #expect(refused.stdout.contains("not merged: the branch moved"), "\(refused)")
        #expect(try count("POST", "/pulls/\(pull.number)/merge", status: 405) >= 1)
        #expect(try count("POST", "/pulls/\(pull.number)/merge", status: 409) == 1)
        #expect(try await !client(server.alice).isMerged(pull.number, in: repo))
        let moved = try await client(server.alice).pullRequest(pull.number, in: repo)
        #expect(try await job.git("rev-parse", "phase-1-strategic") == moved.head.sha, "the new head is fetched")
    }
}
