import Testing
import TollgateCore

/// The verdict rule of DESIGN §4 (Gitea's review semantics, which the local host follows too).
struct VerdictTests {
    static let head = "head-2"

    static func snapshot(
        _ reviews: [ReviewEntry],
        comments: [GeneralComment] = [],
        state: ReviewSnapshot.State = .open
    ) -> ReviewSnapshot {
        ReviewSnapshot(state: state, head: head, reviews: reviews, comments: comments)
    }

    static func entry(
        _ id: Int,
        _ reviewer: String,
        _ kind: ReviewEntry.Kind,
        body: String = "",
        commit: String = head,
        dismissed: Bool = false,
        inline: [InlineComment] = []
    ) -> ReviewEntry {
        ReviewEntry(
            id: id,
            reviewer: reviewer,
            kind: kind,
            body: body,
            commit: commit,
            dismissed: dismissed,
            inline: inline
        )
    }

    static func read(_ snapshot: ReviewSnapshot, answered: Set<String> = []) -> Verdict {
        Verdict.read(snapshot, bot: "tollgate", answered: answered)
    }

    @Test func noReviewIsPending() async {
        #expect(Self.read(Self.snapshot([])) == .pending(waitingFor: []))
    }

    @Test func theLatestReviewOfEachReviewerCounts() async {
        let changedMind = Self.snapshot([
            Self.entry(1, "ann", .changesRequested, body: "no"), Self.entry(2, "ann", .approved),
        ])
        #expect(Self.read(changedMind) == .approved(by: ["ann"]))

        let thenObjected = Self.snapshot([
            Self.entry(1, "ann", .approved), Self.entry(2, "ann", .changesRequested, body: "wait"),
        ])
        guard case .changesRequested = Self.read(thenObjected) else {
            Issue.record("expected changes requested, got \(Self.read(thenObjected))")
            return
        }
    }

    @Test func theLatestIsByIdNotByPosition() async {
        // Listed out of order: the review with the higher id is the later one.
        let snapshot = Self.snapshot([
            Self.entry(9, "ann", .approved), Self.entry(4, "ann", .changesRequested, body: "x"),
        ])
        #expect(Self.read(snapshot) == .approved(by: ["ann"]))
    }

    @Test func aCommentReviewIsNoVerdictButItsBodyIsFeedback() async {
        let snapshot = Self.snapshot([Self.entry(1, "ann", .approved), Self.entry(2, "ann", .comment, body: "nice")])
        #expect(Self.read(snapshot) == .approved(by: ["ann"]))
        let items = Verdict.feedback(in: snapshot, bot: "tollgate", answered: [])
        #expect(items.map(\.id) == ["review-2"])
    }

    @Test func aDismissedReviewIsIgnored() async {
        let snapshot = Self.snapshot([
            Self.entry(1, "ann", .changesRequested, body: "no", dismissed: true), Self.entry(2, "bob", .approved),
        ])
        #expect(Self.read(snapshot) == .approved(by: ["bob"]))
        // A dismissed review's words are not handed to the agent either.
        #expect(Verdict.feedback(in: snapshot, bot: "tollgate", answered: []).isEmpty)
    }

    @Test func aDismissedLatestReviewLeavesTheEarlierOneStanding() async {
        let snapshot = Self.snapshot([
            Self.entry(1, "ann", .approved), Self.entry(2, "ann", .changesRequested, body: "no", dismissed: true),
        ])
        #expect(Self.read(snapshot) == .approved(by: ["ann"]))
    }

    @Test func theBotsOwnReviewsAndCommentsAreIgnored() async {
        let approvedByBot = Self.snapshot([Self.entry(1, "tollgate", .approved)])
        #expect(Self.read(approvedByBot) == .pending(waitingFor: []))
        let objectedByBot = Self.snapshot(
            [Self.entry(1, "tollgate", .changesRequested, body: "bot"), Self.entry(2, "ann", .approved)],
            comments: [GeneralComment(id: 3, author: "tollgate", body: "opened")]
        )
        #expect(Self.read(objectedByBot) == .approved(by: ["ann"]))
        #expect(Verdict.feedback(in: objectedByBot, bot: "tollgate", answered: []).isEmpty)
    }

    @Test func requestedChangesWinOverApprovals() async {
        let snapshot = Self.snapshot([
            Self.entry(1, "ann", .approved), Self.entry(2, "bob", .changesRequested, body: "fix"),
            Self.entry(3, "cid", .approved),
        ])
        #expect(
            Self.read(snapshot)
                == .changesRequested([FeedbackItem(id: "review-2", kind: .review, reviewer: "bob", body: "fix")])
        )
    }

    @Test func anOutstandingReviewRequestKeepsTheReviewPending() async {
        let snapshot = Self.snapshot([
            Self.entry(1, "ann", .approved), Self.entry(2, "bob", .reviewRequested),
        ])
        #expect(Self.read(snapshot) == .pending(waitingFor: ["bob"]))
        // Answered by bob: approved by both.
        let answered = Self.snapshot(snapshot.reviews + [Self.entry(3, "bob", .approved)])
        #expect(Self.read(answered) == .approved(by: ["ann", "bob"]))
    }

    @Test func anApprovalForAnOlderCommitIsStale() async {
        let snapshot = Self.snapshot([Self.entry(1, "ann", .approved, commit: "head-1")])
        #expect(Self.read(snapshot) == .stale(approvers: ["ann"], head: Self.head))
    }

    @Test func oneApprovalForTheHeadIsEnoughBesideAStaleOne() async {
        let snapshot = Self.snapshot([
            Self.entry(1, "ann", .approved, commit: "head-1"), Self.entry(2, "bob", .approved),
        ])
        #expect(Self.read(snapshot) == .approved(by: ["bob"]))
    }

    @Test func aClosedReviewIsClosedWithItsComments() async {
        let snapshot = Self.snapshot(
            [Self.entry(1, "ann", .approved)],
            comments: [GeneralComment(id: 2, author: "ann", body: "start over")],
            state: .closed
        )
        #expect(
            Self.read(snapshot)
                == .closed([FeedbackItem(id: "comment-2", kind: .comment, reviewer: "ann", body: "start over")])
        )
    }

    @Test func aReviewMergedByHandIsMergedOnHost() async {
        #expect(Self.read(Self.snapshot([], state: .merged)) == .mergedOnHost)
    }

    @Test func answeredItemsAreLeftOut() async {
        let snapshot = Self.snapshot(
            [
                Self.entry(1, "ann", .changesRequested, body: "old point", commit: "head-1"),
                Self.entry(
                    5,
                    "ann",
                    .changesRequested,
                    body: "new point",
                    inline: [InlineComment(id: 6, path: "a.md", line: 1, body: "here")]
                ),
            ],
            comments: [GeneralComment(id: 3, author: "bob", body: "seen")]
        )
        let verdict = Self.read(snapshot, answered: ["review-1", "comment-3"])
        #expect(
            verdict
                == .changesRequested([
                    FeedbackItem(id: "review-5", kind: .review, reviewer: "ann", body: "new point"),
                    FeedbackItem(id: "inline-6", kind: .inline, reviewer: "ann", body: "here", path: "a.md", line: 1),
                ])
        )
    }

    @Test func feedbackComesInOrderWithInlineCommentsSortedById() async {
        let snapshot = Self.snapshot(
            [
                Self.entry(
                    2,
                    "ann",
                    .changesRequested,
                    body: "  see inline  \n",
                    inline: [
                        InlineComment(id: 9, path: "b.md", line: 1, body: "second"),
                        InlineComment(id: 4, path: "a.md", line: 7, body: "first"),
                    ]
                ),
                Self.entry(1, "bob", .comment, body: ""),
            ],
            comments: [
                GeneralComment(id: 12, author: "cid", body: "later"),
                GeneralComment(id: 11, author: "cid", body: "earlier"),
            ]
        )
        let items = Verdict.feedback(in: snapshot, bot: "tollgate", answered: [])
        #expect(items.map(\.id) == ["review-2", "inline-4", "inline-9", "comment-11", "comment-12"])
        // Review bodies are trimmed; an empty body makes no item.
        #expect(items.first?.body == "see inline")
        #expect(items[1].path == "a.md")
        #expect(items[1].line == 7)
        #expect(items[1].markdown.contains("`a.md` line 7"))
    }
}
