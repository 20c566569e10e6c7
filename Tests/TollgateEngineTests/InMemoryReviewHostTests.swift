import Foundation
import Testing
import TollgateCore
import TollgateEngine
import TollgateTestSupport

/// The engine on a host with Gitea's rules, in memory: the freeze table, verdicts and merges with no server and no
/// process; and the fake refusing what Gitea refuses.
@Suite(.runsProcesses)
struct InMemoryReviewHostTests {
    @Test(arguments: FreezeTableTests.expected)
    func freezesExactlyWhereTheAutonomyTableSaysOnAHostWithGiteasRules(_ level: AutonomyLevel, _ freezes: [Int])
        async throws
    {
        let host = InMemoryReviewHost()
        let job = try await LocalJob("memory-freeze-\(level.rawValue)", autonomy: level, completeAt: 4, host: host)
        var result = try await job.run()
        var frozenAt: [Int] = []
        while let review = result.review, frozenAt.count < 10 {
            frozenAt.append(try job.state.phase.number)
            try host.submit(.approved, by: "ann", on: review.id)
            result = try await job.resume()
        }
        #expect(frozenAt == freezes)
        #expect(result == .completed)
        #expect(try job.state.merged.filter { !$0.approvers.isEmpty }.map(\.phase.number) == freezes)
        // Every review the engine opened was merged and recorded as such on the host.
        #expect(host.pulls.map(\.state) == Array(repeating: .merged, count: freezes.count))
        #expect(host.pulls.allSatisfy { $0.mergeCommit != nil })
    }

    @Test func changesRequestedOnTheHostReachTheAgentAndTheReviewIsAskedAgain() async throws {
        let host = InMemoryReviewHost()
        let job = try await LocalJob("memory-changes", autonomy: .guided, host: host)
        let review = try #require(try await job.run().review)
        try host.submit(
            .changesRequested,
            by: "ann",
            on: review.id,
            body: "Two things",
            inline: [(path: "work/phase-1.txt", line: 1, body: "Say why")]
        )
        let again = try #require(try await job.resume().review)
        #expect(again.id == review.id)
        #expect(again.head != review.head)
        let items = try job.capturedFeedback(branch: "phase-1-strategic", revision: 2)
        #expect(items.map(\.body) == ["Two things", "Say why"])
        // Ann's verdict was about the old head: she is asked again.
        let pull = try #require(host.pull(for: "phase-1-strategic"))
        #expect(
            pull.reviews.last.map { ($0.reviewer, $0.kind, $0.commit) } ?? ("", .comment, "") == (
                "ann", .reviewRequested, again.head
            )
        )
    }

    @Test func theBotMayNotApproveOrRejectItsOwnPullRequest() async throws {
        let host = InMemoryReviewHost()
        let job = try await LocalJob("memory-self", autonomy: .guided, host: host)
        let review = try #require(try await job.run().review)
        #expect(throws: InMemoryReviewHost.Refusal(status: 422, message: "approve your own pull is not allowed")) {
            try host.submit(.approved, by: host.bot, on: review.id)
        }
        #expect(throws: InMemoryReviewHost.Refusal(status: 422, message: "reject your own pull is not allowed")) {
            try host.submit(.changesRequested, by: host.bot, on: review.id, body: "no")
        }
        #expect(throws: InMemoryReviewHost.Refusal.self) {
            try host.submit(.changesRequested, by: "ann", on: review.id)
        }
        // Nothing counted: the job stays frozen.
        #expect(try await job.resume().review?.id == review.id)
    }

    @Test func aClosedPullRequestIsNotMergedAndAMovedHeadIsAVerdictNotAnError() async throws {
        let host = InMemoryReviewHost()
        let request = ReviewRequest(branch: "phase-1-strategic", head: "aaa", title: "t", body: "b", reviewers: ["ann"])
        let handle = try await host.requestReview(request, existing: nil)
        #expect(
            try await host.merge(handle, title: "t", message: "m", head: "bbb")
                == .headMoved(approved: "bbb", head: "aaa")
        )
        #expect(try await host.merge(handle, title: "t", message: "m", head: "aaa") == .squashLocally)
        try host.closeByHand(handle.id, by: "ann")
        await #expect(throws: InMemoryReviewHost.Refusal(status: 404, message: "pull request #1 is closed")) {
            _ = try await host.merge(handle, title: "t", message: "m", head: "aaa")
        }
        // A comment review is still allowed on the closed pull request; a verdict is not.
        try host.submit(.comment, by: "ann", on: handle.id, body: "too late")
        #expect(throws: InMemoryReviewHost.Refusal.self) { try host.submit(.approved, by: "ann", on: handle.id) }
    }

    @Test func askingThePosterForAReviewIsRefused() async throws {
        let host = InMemoryReviewHost()
        let request = ReviewRequest(branch: "b", head: "aaa", title: "t", body: "b", reviewers: [host.bot])
        await #expect(throws: InMemoryReviewHost.Refusal.self) {
            _ = try await host.requestReview(request, existing: nil)
        }
    }
}
