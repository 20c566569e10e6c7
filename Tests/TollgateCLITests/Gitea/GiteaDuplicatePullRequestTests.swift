import Foundation
import GiteaKit
import HTTPKit
import Testing
import TollgateTestSupport

/// `GET /pulls/{base}/{head}` has no ORDER BY in Gitea: with a closed and an open pull request for the same branch it
/// may answer the closed one. Creating then answers 409, and the open one is the review to use.
extension GiteaEndToEndTests {
    @Test func aRerunThatFindsAClosedPullRequestAdoptsTheOpenOneGiteaNames() async throws {
        defer { server.stop() }
        #expect(try await initialize().status == 0)
        // The first run opens #1 and dies before the state records it.
        let crashed = try await job.tollgate(
            ["run", job.path],
            environment: botEnvironment.merging(["TOLLGATE_FAULT": "after-review-open"]) { $1 }
        )
        #expect(crashed.status == 86, "\(crashed)")
        // Meanwhile #1 is closed and #2 opened for the same branch; the lookup by branch still answers #1.
        let bot = client(server.bot)
        _ = try await bot.editPullRequest(1, in: repo, EditPullRequestOptions(state: .closed))
        let second = try await bot.createPullRequest(
            CreatePullRequestOptions(head: "phase-1-strategic", base: "main", title: "Phase 1 (strategic)"),
            in: repo
        )
        #expect(try await bot.pullRequest(base: "main", head: "phase-1-strategic", in: repo)?.number == 1)

        let rerun = try await tollgate("run", job.path)
        #expect(rerun.status == 3, "\(rerun)")
        #expect(try count("POST", "/pulls", status: 409) == 1)
        let review = try #require(try await job.status()["review"] as? [String: Any])
        #expect((review["url"] as? String)?.hasSuffix("/pulls/\(second.number)") == true, "\(review)")
        #expect(try await bot.pullRequests(in: repo, state: .open).map(\.number) == [second.number])
        let requested = try await bot.reviews(on: second.number, in: repo).filter { $0.state == .requestReview }
        #expect(requested.compactMap { $0.user?.login } == ["alice"])
    }
}
