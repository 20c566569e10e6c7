import Foundation
import GiteaKit
import HTTPKit
import Testing
import TollgateTestSupport

/// Merging as Gitea answers it: the already-merged answer across versions, a merge whose answer was lost, and the
/// asynchronous mergeability check.
@Suite(.runsProcesses, .timeLimit(.minutes(10)))
struct GiteaMergeTests {
    /// routers/api/v1/repo/pull.go MergePullRequest, ErrHasMerged: 1.24 sends `ctx.Error(405, "PR already merged",
    /// "")`, an empty message; 1.25 and later "The PR is already merged".
    @Test(arguments: [("1.24.6", ""), ("1.25.0", "The PR is already merged")])
    func mergingAMergedPullRequestIsRefusedWithTheVersionsMessage(version: String, message: String) async throws {
        let fixture = try GiteaFixture(version: version)
        let repo = try await fixture.makeRepository()
        let pull = try await fixture.openPullRequest(in: repo)
        let options = MergeOptions(headCommitID: pull.head.sha)
        #expect(try await fixture.bot.merge(pull.number, in: repo, options) == .merged)

        let url = fixture.server.baseURL.appendingPathComponent(
            "api/v1/repos/\(repo.owner)/\(repo.name)/pulls/\(pull.number)/merge"
        )
        let again = try await fixture.transport().send(
            HTTPRequest(
                method: .post,
                url: url,
                headers: ["Authorization": "token \(fixture.server.bot.token)", "Content-Type": "application/json"],
                body: Data(#"{"Do": "squash"}"#.utf8)
            )
        )
        #expect(again.status == 405)
        let body = try JSONSerialization.jsonObject(with: again.body) as? [String: Any]
        #expect(body?["message"] as? String == message)
        // The client tells "already merged" apart either way (with an empty message, by asking GET …/merge).
        #expect(try await fixture.bot.merge(pull.number, in: repo, options) == .alreadyMerged)
    }

    /// A merge carried out whose answer is lost is retried (it names `head_commit_id`, so nothing unseen can land);
    /// Gitea 1.24 answers the retry 405 with no message, and the client asks whether the merge happened.
    @Test func aMergeWhoseAnswerWasLostIsFoundMergedOnGitea124() async throws {
        let fixture = try GiteaFixture(version: "1.24.6")
        let repo = try await fixture.makeRepository()
        let pull = try await fixture.openPullRequest(in: repo)
        try fixture.server.loseNextAnswers(1, pathContains: "/merge", method: "POST")
        try fixture.server.resetRequestLog()
        let outcome = try await fixture.bot.merge(pull.number, in: repo, MergeOptions(headCommitID: pull.head.sha))
        #expect(outcome == .alreadyMerged)
        let merges = try fixture.server.requests().filter { $0.path.hasSuffix("/merge") }
        #expect(merges.map { "\($0.method) \($0.status)" } == ["POST 200", "POST 405", "GET 204"], "\(merges)")
        #expect(merges.first?.fault == "lose")
    }

    /// services/pull/check.go and models/issues/pull.go Mergeable: after a pull request is opened, and after a push
    /// to its head or to its base, Gitea checks it in a queue; meanwhile `mergeable` is false and a merge answers
    /// 405 "Please try again later" (CheckPullMergeable, ErrIsChecking).
    @Test func aPullRequestIsCheckingAfterItOpensAndAfterEveryPushToItsHeadOrBase() async throws {
        let fixture = try GiteaFixture(mergeCheckDelay: 30)
        let repo = try await fixture.makeRepository()
        let pull = try await fixture.openPullRequest(in: repo)
        let once = fixture.client(fixture.server.bot, retry: .never)
        #expect(try await once.pullRequest(pull.number, in: repo).mergeable == false)
        let busy = await expectGiteaError(.notAllowed) {
            try await once.merge(pull.number, in: repo, MergeOptions(headCommitID: pull.head.sha))
        }
        #expect(busy?.message == "Please try again later")

        try fixture.server.setMergeCheckDelay(0)  // the check ends
        #expect(try await once.pullRequest(pull.number, in: repo).mergeable == true)
        try fixture.server.setMergeCheckDelay(30)
        _ = try fixture.server.commit(["base.md": "on main\n"], to: "main", owner: repo.owner, name: repo.name)
        #expect(try await once.pullRequest(pull.number, in: repo).mergeable == false, "a push to the base")
        try fixture.server.setMergeCheckDelay(0)
        #expect(try await once.pullRequest(pull.number, in: repo).mergeable == true)
        try fixture.server.setMergeCheckDelay(30)
        let head = try await fixture.push(["plan.md": "# Plan\n\nagain\n"], to: "phase-1-strategic", in: repo)
        #expect(try await once.pullRequest(pull.number, in: repo).mergeable == false, "a push to the head")
        try fixture.server.setMergeCheckDelay(0)
        #expect(try await once.merge(pull.number, in: repo, MergeOptions(headCommitID: head)) == .merged)
    }

    /// The stand-in's check that ends after reads (not a Gitea setting: a test's way to see the checking state at any
    /// load): the pull request is checking, and merges answer 405, until it was read that many times after the push.
    @Test func aCheckThatEndsAfterTwoReadsRefusesMergesUntilTheSecondRead() async throws {
        let fixture = try GiteaFixture()
        let repo = try await fixture.makeRepository()
        let pull = try await fixture.openPullRequest(in: repo)
        try fixture.server.setMergeCheckReads(2)
        _ = try fixture.server.commit(["base.md": "on main\n"], to: "main", owner: repo.owner, name: repo.name)
        let once = fixture.client(fixture.server.bot, retry: .never)
        let busy = await expectGiteaError(.notAllowed) {
            try await once.merge(pull.number, in: repo, MergeOptions(headCommitID: pull.head.sha))
        }
        #expect(busy?.message == "Please try again later")
        #expect(try await once.pullRequest(pull.number, in: repo).mergeable == false, "the first read")
        #expect(try await once.pullRequest(pull.number, in: repo).mergeable == true, "the second read ends it")
        #expect(try await once.merge(pull.number, in: repo, MergeOptions(headCommitID: pull.head.sha)) == .merged)
    }
}
