/// What the reviewers decided about an open review, by the rules of DESIGN §4.
public enum Verdict: Sendable, Equatable {
    /// Approved for the current head: merge.
    case approved(by: [String])
    /// Approved, but for an older commit than the head: do not merge; ask again.
    case stale(approvers: [String], head: String)
    /// Changes requested: a new revision with these items.
    case changesRequested([FeedbackItem])
    /// Closed without merging: redo the phase from `main` with these items.
    case closed([FeedbackItem])
    /// Merged by hand on the host.
    case mergedOnHost
    /// Nothing decided yet.
    case pending(waitingFor: [String])

    /// Reads the verdict from a snapshot.
    ///
    /// Per reviewer, the latest non-dismissed APPROVED / REQUEST_CHANGES / REQUEST_REVIEW review counts; reviews by
    /// `bot` (the account that opened the review) are ignored. Any REQUEST_CHANGES wins; then any outstanding
    /// REQUEST_REVIEW keeps the review pending; then an approval counts only if it was given for the head commit.
    /// Feedback items are everything said since the last revision: items whose ids are in `answered` are left out.
    public static func read(_ snapshot: ReviewSnapshot, bot: String, answered: Set<String>) -> Verdict {
        let items = feedback(in: snapshot, bot: bot, answered: answered)
        switch snapshot.state {
        case .merged: return .mergedOnHost
        case .closed: return .closed(items)
        case .open: break
        }
        var latest: [String: ReviewEntry] = [:]
        for review in snapshot.reviews.sorted(by: { $0.id < $1.id })
        where review.reviewer != bot && !review.dismissed
            && [.approved, .changesRequested, .reviewRequested].contains(review.kind)
        {
            latest[review.reviewer] = review
        }
        let counted = latest.values.sorted { $0.reviewer < $1.reviewer }
        if counted.contains(where: { $0.kind == .changesRequested }) {
            return .changesRequested(items)
        }
        let waiting = counted.filter { $0.kind == .reviewRequested }.map(\.reviewer)
        if !waiting.isEmpty { return .pending(waitingFor: waiting) }
        let approvals = counted.filter { $0.kind == .approved }
        let current = approvals.filter { $0.commit == snapshot.head }.map(\.reviewer)
        if !current.isEmpty { return .approved(by: current) }
        if !approvals.isEmpty { return .stale(approvers: approvals.map(\.reviewer), head: snapshot.head) }
        return .pending(waitingFor: [])
    }

    /// Every review body, inline comment and general comment not yet answered, in the order they were made;
    /// inline comments sorted by id.
    public static func feedback(in snapshot: ReviewSnapshot, bot: String, answered: Set<String>) -> [FeedbackItem] {
        var items: [FeedbackItem] = []
        for review in snapshot.reviews.sorted(by: { $0.id < $1.id })
        where review.reviewer != bot && !review.dismissed && review.kind != .reviewRequested && review.kind != .pending
        {
            let body = review.body.trimmingWhitespace()
            if !body.isEmpty {
                items.append(
                    FeedbackItem(id: "review-\(review.id)", kind: .review, reviewer: review.reviewer, body: body)
                )
            }
            for comment in review.inline.sorted(by: { $0.id < $1.id }) {
                items.append(
                    FeedbackItem(
                        id: "inline-\(comment.id)",
                        kind: .inline,
                        reviewer: review.reviewer,
                        body: comment.body,
                        path: comment.path,
                        line: comment.line
                    )
                )
            }
        }
        for comment in snapshot.comments.sorted(by: { $0.id < $1.id }) where comment.author != bot {
            items.append(
                FeedbackItem(id: "comment-\(comment.id)", kind: .comment, reviewer: comment.author, body: comment.body)
            )
        }
        return items.filter { !answered.contains($0.id) }
    }
}

extension String {
    /// The string without leading and trailing spaces, tabs and newlines.
    func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars = scalars.dropFirst() }
        while let last = scalars.last, last.isWhitespace { scalars = scalars.dropLast() }
        return String(scalars)
    }
}
