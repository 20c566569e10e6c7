import Foundation
import GiteaKit
import HTTPKit
import Testing
import TollgateTestSupport

/// Review rules of Gitea's that the test server follows, so that a client relying on a lenient server fails here
/// as it would on Gitea.
///
/// Each test names the Gitea source or test it pins (paths in go-gitea/gitea).
@Suite(.runsProcesses, .timeLimit(.minutes(10)))
struct GiteaReviewFidelityTests {
    /// routers/api/v1/repo/pull.go EditPullRequest: `if form.State != nil { if pr.HasMerged { 412 } }`, so any
    /// `state`, even the "closed" a merged pull request already has, is refused; the title sent with it stays.
    @Test func anyStateEditOfAMergedPullRequestIs412() async throws {
        let fixture = try GiteaFixture()
        let repo = try await fixture.makeRepository()
        let pull = try await fixture.openPullRequest(in: repo)
        let squash = MergeOptions(style: .squash, headCommitID: pull.head.sha)
        _ = try await fixture.bot.merge(pull.number, in: repo, squash)
        for state in [PullRequest.State.closed, .open] {
            let refused = await expectGiteaError(.preconditionFailed) {
                try await fixture.bot.editPullRequest(pull.number, in: repo, EditPullRequestOptions(state: state))
            }
            #expect(refused?.message == "cannot change state of this pull request, it was already merged")
        }
        let after = try await fixture.bot.pullRequest(pull.number, in: repo)
        #expect(after.merged && after.state == .closed)
        // Without a state the edit goes through.
        _ = try await fixture.bot.editPullRequest(pull.number, in: repo, EditPullRequestOptions(title: "Renamed"))
        #expect(try await fixture.bot.pullRequest(pull.number, in: repo).title == "Renamed")
    }

    /// tests/integration/api_pull_review_test.go (testAPIPullReviewGeneral): a review created without an event is
    /// PENDING, and submitting it (`POST …/reviews/{id}`) turns that review into the verdict, keeping its id,
    /// with its inline comments; models/issues/review.go SubmitReview: so does a later `POST …/reviews` by the
    /// same user, which adopts the pending review instead of creating one.
    @Test func aPendingReviewBecomesTheSubmittedOneWithItsID() async throws {
        let fixture = try GiteaFixture()
        let repo = try await fixture.makeRepository()
        let pull = try await fixture.openPullRequest(in: repo)
        let noBody = await expectGiteaError(.validation) {
            try await fixture.alice.createReview(CreatePullReviewOptions(event: .pending), on: pull.number, in: repo)
        }
        #expect(noBody?.message == "review event PENDING requires a body")
        let pending = try await fixture.alice.createReview(
            CreatePullReviewOptions(
                event: .pending,
                body: "draft",
                comments: [.init(path: "plan.md", body: "first line", newLine: 1)]
            ),
            on: pull.number,
            in: repo
        )
        #expect(pending.state == .pending)
        // Nobody else sees it.
        #expect(try await fixture.bob.reviews(on: pull.number, in: repo).allSatisfy { $0.id != pending.id })
        let later = try await fixture.bob.createReview(
            CreatePullReviewOptions(event: .comment, body: "meanwhile"),
            on: pull.number,
            in: repo
        )

        let (status, submitted) = try await Self.submit(
            pending.id,
            event: "APPROVED",
            body: "lgtm",
            fixture,
            pull,
            repo
        )
        #expect(status == 200)
        #expect((submitted["id"] as? NSNumber)?.int64Value == pending.id)
        #expect(submitted["state"] as? String == "APPROVED" && submitted["body"] as? String == "lgtm")
        #expect(pending.id < later.id)
        let listed = try await fixture.alice.reviews(on: pull.number, in: repo)
        #expect(listed.map(\.id) == [pending.id, later.id])
        let comments = try await fixture.alice.reviewComments(review: pending.id, on: pull.number, in: repo)
        #expect(comments.map(\.body) == ["first line"])
        let (again, refusal) = try await Self.submit(pending.id, event: "APPROVED", body: "", fixture, pull, repo)
        #expect(again == 422)
        #expect(refusal["message"] as? String == "only a pending review can be submitted")

        // POST …/reviews by a user with a pending review submits that one.
        let draft = try await fixture.bob.createReview(
            CreatePullReviewOptions(event: .pending, body: "thinking"),
            on: pull.number,
            in: repo
        )
        let verdict = try await fixture.bob.createReview(
            CreatePullReviewOptions(event: .requestChanges, body: "fix it"),
            on: pull.number,
            in: repo
        )
        #expect(verdict.id == draft.id && verdict.state == .requestChanges)
    }

    /// A comment review is allowed on a closed pull request; a verdict is not.
    ///
    /// services/pull/review.go SubmitReview: ErrSubmitReviewOnClosedPR (422) is for approvals and change requests
    /// only. The inline comments of a refused verdict were already made, in the user's pending review
    /// (routers/api/v1/repo/pull_review.go).
    @Test func aCommentReviewIsAllowedOnAClosedPullRequest() async throws {
        let fixture = try GiteaFixture()
        let repo = try await fixture.makeRepository()
        let pull = try await fixture.openPullRequest(in: repo)
        _ = try await fixture.bot.editPullRequest(pull.number, in: repo, EditPullRequestOptions(state: .closed))
        let comment = try await fixture.alice.createReview(
            CreatePullReviewOptions(event: .comment, body: "after the fact"),
            on: pull.number,
            in: repo
        )
        #expect(comment.state == .comment)
        for event in [PullReview.State.approved, .requestChanges] {
            let refused = await expectGiteaError(.validation) {
                try await fixture.alice.createReview(
                    CreatePullReviewOptions(
                        event: event,
                        body: "too late",
                        comments: [.init(path: "plan.md", body: "kept", newLine: 1)]
                    ),
                    on: pull.number,
                    in: repo
                )
            }
            #expect(refused?.message == "can't submit review for a closed or merged PR")
        }
        let own = try await fixture.alice.reviews(on: pull.number, in: repo)
        #expect(own.map(\.state) == [.comment, .pending])
        let kept = try await fixture.alice.reviewComments(review: own[1].id, on: pull.number, in: repo)
        #expect(kept.map(\.body) == ["kept", "kept"])
    }

    /// services/pull/review.go createCodeComment: a path the head lacks or a line past the file's end is no
    /// error (blame's "no such path" and "has only N lines" are let pass; the diff hunk is empty); an old line
    /// wins over a new one given with it (`if c.OldLineNum > 0 { line = -OldLineNum }`).
    @Test func reviewCommentsOnMissingPathsAndLinesAreTolerated() async throws {
        let fixture = try GiteaFixture()
        let repo = try await fixture.makeRepository()
        let pull = try await fixture.openPullRequest(in: repo)
        let review = try await fixture.bot.createReview(
            CreatePullReviewOptions(
                event: .comment,
                comments: [
                    .init(path: "absent.md", body: "no such file", newLine: 3),
                    .init(path: "plan.md", body: "past the end", newLine: 99),
                    .init(path: "plan.md", body: "both sides", newLine: 2, oldLine: 1),
                    .init(path: "plan.md", body: "in range", newLine: 2),
                ]
            ),
            on: pull.number,
            in: repo
        )
        #expect(review.state == .comment && review.body.isEmpty)
        let comments = try await fixture.bot.reviewComments(review: review.id, on: pull.number, in: repo)
        let byBody = Dictionary(uniqueKeysWithValues: comments.map { ($0.body, $0) })
        #expect(byBody["no such file"]?.diffHunk == "" && byBody["no such file"]?.position == 3)
        #expect(byBody["past the end"]?.diffHunk == "" && byBody["past the end"]?.position == 99)
        #expect(byBody["both sides"]?.position == 0 && byBody["both sides"]?.originalPosition == 1)
        #expect(byBody["in range"]?.diffHunk.isEmpty == false)
        #expect(comments.allSatisfy { $0.commitID == pull.head.sha })
    }

    /// A submitted review ends the reviewer's review request.
    ///
    /// models/issues/review.go CreateReview ("make sure user review requests are cleared"): a submitted review,
    /// a comment included, deletes the reviewer's REQUEST_REVIEW row, so the pull request no longer lists them as
    /// requested; a pending one does not. Submitting a pending review (as every review with inline comments is)
    /// left the row in place until go-gitea/gitea#37809 (issue #37808), emulated from 1.27.
    @Test(arguments: ["1.26.3", "1.27.0"])
    func aSubmittedReviewClearsTheReviewersRequest(version: String) async throws {
        let fixture = try GiteaFixture(version: version)
        let repo = try await fixture.makeRepository()
        let pull = try await fixture.openPullRequest(in: repo)
        _ = try await fixture.bot.requestReviewers(["alice", "bob"], on: pull.number, in: repo)
        _ = try await fixture.alice.createReview(
            CreatePullReviewOptions(event: .pending, body: "draft"),
            on: pull.number,
            in: repo
        )
        #expect(try await Self.requested(pull, repo, fixture) == ["alice", "bob"])
        _ = try await fixture.bob.createReview(
            CreatePullReviewOptions(event: .comment, body: "a remark"),
            on: pull.number,
            in: repo
        )
        #expect(try await Self.requested(pull, repo, fixture) == ["alice"])
        // Alice's pending review, submitted with inline comments, goes through the pending path.
        _ = try await fixture.alice.createReview(
            CreatePullReviewOptions(
                event: .approved,
                comments: [.init(path: "plan.md", body: "nit", newLine: 1)]
            ),
            on: pull.number,
            in: repo
        )
        #expect(try await Self.requested(pull, repo, fixture) == [])
        // The row is still listed before the fix; Tollgate reads the newer verdict by its higher id.
        let leftover = version.hasPrefix("1.26") ? ["alice"] : []
        let rows = try await fixture.bot.reviews(on: pull.number, in: repo)
        #expect(rows.filter { $0.state == .requestReview }.compactMap { $0.user?.login } == leftover)
    }

    /// tests/integration/api_pull_review_test.go TestAPIPullReviewStayDismissed (gitea issue #28542) and
    /// models/issues/review.go CreateReview: a reviewer's new REQUEST_CHANGES dismisses their earlier approval
    /// (and a new approval their earlier change request), so no older verdict surfaces if the new one is
    /// dismissed; the new one is the only official one.
    @Test func aNewChangeRequestDismissesTheReviewersEarlierApproval() async throws {
        let fixture = try GiteaFixture()
        let repo = try await fixture.makeRepository()
        let pull = try await fixture.openPullRequest(in: repo)
        _ = try await fixture.bot.requestReviewers(["alice"], on: pull.number, in: repo)
        let approval = try await fixture.alice.createReview(
            CreatePullReviewOptions(event: .approved, body: "lgtm"),
            on: pull.number,
            in: repo
        )
        #expect(approval.official && !approval.dismissed)
        let rows = try await fixture.bot.reviews(on: pull.number, in: repo)
        #expect(!rows.contains { $0.state == .requestReview }, "the approval ended the request")

        let change = try await fixture.alice.createReview(
            CreatePullReviewOptions(event: .requestChanges, body: "please change XYZ"),
            on: pull.number,
            in: repo
        )
        let after = try await fixture.bot.reviews(on: pull.number, in: repo)
        let old = try #require(after.first { $0.id == approval.id })
        #expect(old.dismissed && !old.official)
        #expect(change.official && !change.dismissed)
        // Dismissing the change request brings no approval back.
        _ = try await fixture.bot.dismissReview(change.id, on: pull.number, in: repo, message: "moot")
        let verdict = ReviewVerdict.evaluate(
            try await fixture.bot.reviews(on: pull.number, in: repo),
            headSHA: pull.head.sha,
            ignoring: "tollgate-bot"
        )
        #expect(verdict == .undecided)
    }

    /// models/issues/review.go IsOfficialReviewer (>= 1.21, no branch protection): `official` only for a user with
    /// code write, for verdicts and review requests alike; a comment is never official.
    @Test func onlyWritersAreOfficial() async throws {
        let fixture = try GiteaFixture()
        let repo = try await fixture.makeRepository(collaborators: ["alice"])
        try await fixture.bot.addCollaborator("bob", level: .read, in: repo)
        let pull = try await fixture.openPullRequest(in: repo)
        let requests = try await fixture.bot.requestReviewers(["alice", "bob"], on: pull.number, in: repo)
        #expect(requests.map { $0.user?.login ?? "" }.sorted() == ["alice", "bob"])
        #expect(requests.first { $0.user?.login == "alice" }?.official == true)
        #expect(requests.first { $0.user?.login == "bob" }?.official == false)
        let writer = try await fixture.alice.createReview(
            CreatePullReviewOptions(event: .requestChanges, body: "no"),
            on: pull.number,
            in: repo
        )
        let reader = try await fixture.bob.createReview(
            CreatePullReviewOptions(event: .approved),
            on: pull.number,
            in: repo
        )
        let comment = try await fixture.alice.createReview(
            CreatePullReviewOptions(event: .comment, body: "fyi"),
            on: pull.number,
            in: repo
        )
        #expect(writer.official && !reader.official && !comment.official)
    }

    // MARK: helpers

    /// The logins the pull request lists as requested reviewers, sorted.
    static func requested(_ pull: PullRequest, _ repo: RepoRef, _ fixture: GiteaFixture) async throws -> [String] {
        let current = try await fixture.bot.pullRequest(pull.number, in: repo)
        return (current.requestedReviewers ?? []).map(\.login).sorted()
    }

    /// `POST …/reviews/{id}` (SubmitPullReview), which Tollgate never calls, sent by alice: the status and the
    /// JSON object answered.
    static func submit(
        _ reviewID: Int64,
        event: String,
        body: String,
        _ fixture: GiteaFixture,
        _ pull: PullRequest,
        _ repo: RepoRef
    ) async throws -> (Int, [String: Any]) {
        let url = fixture.server.baseURL.appendingPathComponent(
            "api/v1/repos/\(repo.owner)/\(repo.name)/pulls/\(pull.number)/reviews/\(reviewID)"
        )
        let payload = try JSONSerialization.data(withJSONObject: ["event": event, "body": body])
        let request = HTTPRequest(
            method: .post,
            url: url,
            headers: ["Authorization": "token \(fixture.server.alice.token)", "Content-Type": "application/json"],
            body: payload
        )
        let response = try await fixture.transport().send(request)
        let object = try JSONSerialization.jsonObject(with: response.body) as? [String: Any]
        return (response.status, object ?? [:])
    }
}
