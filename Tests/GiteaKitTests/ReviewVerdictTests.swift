import GiteaKit
import Testing
import TollgateTestSupport

/// The verdict rule over lists of reviews, as a table.
@Suite(.runsProcesses)
struct ReviewVerdictTests {
    private static let head = "h2"

    private static func review(
        _ id: Int64,
        _ login: String,
        _ state: PullReview.State,
        commit: String = head,
        dismissed: Bool = false
    ) -> PullReview {
        PullReview(id: id, user: User(id: id, login: login), state: state, commitID: commit, dismissed: dismissed)
    }

    @Test func noReviewsIsUndecided() async {
        #expect(ReviewVerdict.evaluate([], headSHA: Self.head, ignoring: "bot") == .undecided)
    }

    @Test func commentsAndPendingReviewsDecideNothing() async {
        let reviews = [Self.review(1, "alice", .comment), Self.review(2, "bob", .pending)]
        #expect(ReviewVerdict.evaluate(reviews, headSHA: Self.head, ignoring: "bot") == .undecided)
    }

    @Test func approvalOfTheHeadApproves() async {
        let approval = Self.review(2, "alice", .approved)
        let reviews = [Self.review(1, "alice", .requestReview, commit: ""), approval]
        #expect(ReviewVerdict.evaluate(reviews, headSHA: Self.head, ignoring: "bot") == .approved([approval]))
    }

    @Test func approvalOfAnOlderCommitIsStale() async {
        let approval = Self.review(2, "alice", .approved, commit: "h1")
        #expect(ReviewVerdict.evaluate([approval], headSHA: Self.head, ignoring: "bot") == .staleApproval([approval]))
    }

    @Test func latestReviewPerReviewerWins() async {
        let reviews = [
            Self.review(1, "alice", .requestChanges), Self.review(3, "alice", .approved),
            Self.review(2, "alice", .comment),
        ]
        #expect(ReviewVerdict.evaluate(reviews, headSHA: Self.head, ignoring: "bot") == .approved([reviews[1]]))
    }

    @Test func anyChangeRequestBeatsAnApproval() async {
        let changes = Self.review(2, "bob", .requestChanges)
        let reviews = [Self.review(1, "alice", .approved), changes]
        #expect(ReviewVerdict.evaluate(reviews, headSHA: Self.head, ignoring: "bot") == .changesRequested([changes]))
    }

    @Test func reRequestAfterAnApprovalWaits() async {
        let reviews = [
            Self.review(1, "alice", .approved, commit: "h1"), Self.review(2, "alice", .requestReview, commit: ""),
        ]
        #expect(ReviewVerdict.evaluate(reviews, headSHA: Self.head, ignoring: "bot") == .waiting(for: ["alice"]))
    }

    @Test func dismissedReviewsAreIgnored() async {
        let approval = Self.review(1, "alice", .approved)
        let reviews = [approval, Self.review(2, "alice", .requestChanges, dismissed: true)]
        #expect(ReviewVerdict.evaluate(reviews, headSHA: Self.head, ignoring: "bot") == .approved([approval]))
    }

    @Test func theBotsOwnReviewsAreIgnored() async {
        let reviews = [Self.review(1, "Bot", .approved), Self.review(2, "bot", .requestChanges)]
        #expect(ReviewVerdict.evaluate(reviews, headSHA: Self.head, ignoring: "bot") == .undecided)
    }
}
