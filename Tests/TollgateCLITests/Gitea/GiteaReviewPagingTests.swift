import Foundation
import GiteaKit
import HTTPKit
import Testing
import TollgateTestSupport

/// A pull request with more reviews than one page holds (Gitea pages reviews 50 at a time): the verdict that decides
/// is on the last page, and resume reads it there.
extension GiteaEndToEndTests {
    @Test func aVerdictPastTheFiftiethReviewIsTheOneThatCounts() async throws {
        defer { server.stop() }
        #expect(try await initialize().status == 0)
        #expect(try await tollgate("run", job.path).status == 3)
        let alice = client(server.alice)
        // Bob is no reviewer of the job; the owner let him read the repository to comment.
        try server.setCollaborator("bob", permission: "read", owner: repo.owner, name: repo.name)
        let bob = client(server.bob)
        let pull = try #require(try await alice.pullRequest(base: "main", head: "phase-1-strategic", in: repo))

        // Alice approves early, so page 1 holds an approval of the current head ...
        _ = try await alice.createReview(
            CreatePullReviewOptions(event: .approved, commitID: pull.head.sha),
            on: pull.number,
            in: repo
        )
        for index in 1...55 {
            _ = try await bob.createReview(
                CreatePullReviewOptions(event: .comment, body: "Remark \(index)"),
                on: pull.number,
                in: repo
            )
        }
        // ... and changes her mind after the fiftieth review: her latest verdict is on page 2.
        try await requestChanges(pull)
        let all = try await alice.reviews(on: pull.number, in: repo)
        #expect(all.count > 50)
        #expect(all.firstIndex { $0.state == .requestChanges }.map { $0 >= 50 } == true)

        let revised = try await tollgate("resume", job.path)
        #expect(revised.status == 3, "\(revised)")
        #expect(try await !alice.isMerged(pull.number, in: repo), "the stale page-1 approval must not merge")
        #expect(try await job.status()["revision"] as? Int == 2)
        #expect(try await job.git("show", "phase-1-strategic:plan.md").contains("Name the audience"))
    }
}
