import Foundation
import GitKit
import TollgateCore

/// The embedded review host: reviews live in `reviews.json` on the state branch, verdicts come from
/// `tollgate review`, and approved work is squashed locally.
///
/// It follows the Gitea rules (latest verdict per reviewer, approvals valid for the head only, re-requests), so the
/// engine behaves the same on either host.
public final class LocalReviewHost: ReviewHost {
    public let name = ReviewHostKind.local
    /// The account the engine's own entries carry.
    static let bot = "tollgate"

    private let storage: any LocalReviewStorage
    private let repository: Repository

    init(storage: any LocalReviewStorage, repository: Repository) {
        self.storage = storage
        self.repository = repository
    }

    /// Reviews live in the workspace: there is no other repository to prepare.
    public func prepareRepository() async throws -> [String] { [] }

    /// Reviewers read the workspace itself: there is nowhere to publish to.
    public func publish(branches: [String]) async throws {}

    /// The gates' results are in the committed `verify/` report: there is nowhere else to show them.
    public func postStatus(_ status: GateReport.Status, on commit: String) async throws {}

    public func requestReview(_ request: ReviewRequest, existing: ReviewHandle?) async throws -> ReviewHandle {
        var book = try storage.book()
        if let index = book.reviews.lastIndex(where: { $0.branch == request.branch && $0.state == .open }) {
            var review = book.reviews[index]
            // Already requested for this head: a rerun after a crash finds it and does nothing more.
            if review.head == request.head { return handle(for: review) }
            // A new head: every reviewer who gave a verdict is asked again (a REQUEST_REVIEW row, as on Gitea).
            review.head = request.head
            let reviewers = Set(review.entries.filter { $0.kind != .comment }.map(\.reviewer)).union(request.reviewers)
            book.request(reviewers, on: &review, at: request.head)
            book.reviews[index] = review
            try storage.save(book, after: LocalReviewChange(kind: .headUpdated, review: review))
            return handle(for: review)
        }
        var review = LocalReviewBook.Review(
            number: (book.reviews.map(\.number).max() ?? 0) + 1,
            branch: request.branch,
            title: request.title,
            body: request.body,
            state: .open,
            head: request.head,
            entries: [],
            comments: [],
            mergeCommit: nil
        )
        book.request(request.reviewers, on: &review, at: request.head)
        book.reviews.append(review)
        try storage.save(book, after: LocalReviewChange(kind: .created, review: review))
        return handle(for: review)
    }

    public func botAccount() async throws -> String { Self.bot }

    public func snapshot(of handle: ReviewHandle) async throws -> ReviewSnapshot {
        let book = try storage.book()
        guard let index = book.index(of: handle.id) else {
            throw EngineError.host("local review #\(handle.id) is missing from reviews.json on tollgate/state")
        }
        let review = book.reviews[index]
        // The branch head is whatever the branch points at now: a reviewer's own commits move it.
        let head = (try repository.branchTip(review.branch))?.hex ?? review.head
        return ReviewSnapshot(state: review.state, head: head, reviews: review.entries, comments: review.comments)
    }

    /// A reviewer's commits are made in the workspace, on the branch itself: nothing to bring in.
    public func syncBranch(_ branch: String, review handle: ReviewHandle) async throws {}

    /// The engine squashes locally; the head was checked against the approval when the verdict was read.
    public func merge(_ handle: ReviewHandle, title: String, message: String, head: String) async throws
        -> MergeResult
    { .squashLocally }

    /// The local host keeps no engine comments: its reviewers read the revision's work in the workspace itself.
    public func postNote(_ body: String, key: String, on handle: ReviewHandle) async throws {}

    /// The local host shows the critique in the review's body (its score line) and the committed reports only.
    public func postCritique(_ findings: CritiqueFindings, summary: String, key: String, on handle: ReviewHandle)
        async throws
    {}

    public func markMerged(_ handle: ReviewHandle, commit: String) async throws {
        var book = try storage.book()
        guard let index = book.index(of: handle.id), book.reviews[index].state != .merged else { return }
        book.reviews[index].state = .merged
        book.reviews[index].mergeCommit = commit
        try storage.save(book, after: LocalReviewChange(kind: .merged, review: book.reviews[index]))
    }

    public func close(_ handle: ReviewHandle, note: String) async throws {
        var book = try storage.book()
        guard let index = book.index(of: handle.id), book.reviews[index].state == .open else { return }
        book.reviews[index].state = .closed
        book.reviews[index].comments.append(GeneralComment(id: book.takeID(), author: Self.bot, body: note))
        try storage.save(book, after: LocalReviewChange(kind: .closed, review: book.reviews[index]))
    }

    // MARK: - Verdicts from `tollgate review`

    /// A reviewer's action, as `tollgate review` takes it.
    public enum Action: String, Sendable, CaseIterable {
        case approve
        case requestChanges = "request-changes"
        case comment
        case close
    }

    /// Records a reviewer's verdict on the open review; returns a line saying what was recorded.
    func submit(
        _ action: Action,
        on handle: ReviewHandle,
        reviewer: String,
        message: String?,
        comments: [(path: String, line: Int, body: String)]
    ) throws -> String {
        var book = try storage.book()
        guard let index = book.index(of: handle.id), book.reviews[index].state == .open else {
            throw EngineError.nothingToReview(status: "not open for review")
        }
        var review = book.reviews[index]
        let head = (try repository.branchTip(review.branch))?.hex ?? review.head
        let body = message ?? ""
        switch action {
        case .close:
            review.state = .closed
            if !body.isEmpty { review.comments.append(GeneralComment(id: book.takeID(), author: reviewer, body: body)) }
        case .approve, .requestChanges, .comment:
            let kind: ReviewEntry.Kind =
                action == .approve ? .approved : action == .requestChanges ? .changesRequested : .comment
            if kind == .changesRequested && body.isEmpty && comments.isEmpty {
                throw EngineError.usage(
                    "request-changes needs --message TEXT or at least one --comment PATH:LINE:TEXT saying what to change"
                )
            }
            if kind == .comment && body.isEmpty && comments.isEmpty {
                throw EngineError.usage("comment needs --message TEXT or at least one --comment PATH:LINE:TEXT")
            }
            let id = book.takeID()
            let inline = comments.map { InlineComment(id: book.takeID(), path: $0.path, line: $0.line, body: $0.body) }
            review.entries.append(
                ReviewEntry(id: id, reviewer: reviewer, kind: kind, body: body, commit: head, inline: inline)
            )
        }
        book.reviews[index] = review
        try storage.save(
            book,
            after: LocalReviewChange(
                kind: .submitted,
                review: review,
                details: ["action": action.rawValue, "by": reviewer]
            )
        )
        switch action {
        case .approve: return "approved \(review.branch) at \(head.prefix(10)) as \(reviewer)"
        case .requestChanges:
            return "requested changes on \(review.branch) as \(reviewer) (\(comments.count) inline comment(s))"
        case .comment: return "commented on \(review.branch) as \(reviewer)"
        case .close: return "closed the review of \(review.branch) without merging"
        }
    }

    // MARK: - Helpers

    private func handle(for review: LocalReviewBook.Review) -> ReviewHandle {
        ReviewHandle(
            host: name,
            id: review.number,
            location: "tollgate/state:reviews.json#\(review.number)",
            head: review.head
        )
    }
}
