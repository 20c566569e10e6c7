import Foundation
import TollgateCore
import TollgateEngine

/// A review host kept in memory, with Gitea's rules: the engine's tests of freezes, verdicts and merges run on it
/// with no server, no push and no process.
///
/// It refuses what Gitea refuses, with Gitea's reasons (the rows of `reference/gitea/endpoints.md` and
/// `notes.md` named on each rule), and is never more lenient: a test that passes here would pass on Gitea. It has
/// no git of its own: the head it shows is the one the engine asked a review for, and the engine squashes locally
/// (``MergeResult/squashLocally``) once Gitea would have merged.
public final class InMemoryReviewHost: ReviewHost {
    /// One pull request.
    public struct Pull: Sendable, Equatable {
        public var number: Int
        public var branch: String
        public var head: String
        public var title: String
        public var body: String
        public var state: ReviewSnapshot.State
        public var reviews: [ReviewEntry]
        public var comments: [GeneralComment]
        /// The keys of the engine's notes and critiques posted on it (Gitea finds them by their hidden marker).
        public var postedKeys: [String]
        public var mergeCommit: String?
    }

    /// A request Gitea would refuse, with its status and message.
    public struct Refusal: Error, Equatable, CustomStringConvertible {
        public var status: Int
        public var message: String
        public init(status: Int, message: String) {
            self.status = status
            self.message = message
        }

        public var description: String { "the in-memory host refused (\(status)): \(message)" }
    }

    public let name = ReviewHostKind.gitea
    /// The account the engine acts as: it opens the pull requests.
    public let bot: String
    public private(set) var pulls: [Pull] = []
    /// The branch lists the engine published, in order.
    public private(set) var published: [[String]] = []
    /// How many times each port method was called, by name.
    public private(set) var calls: [String: Int] = [:]
    private var lastID = 0

    public init(bot: String = "tollgate-bot") {
        self.bot = bot
    }

    // MARK: - ReviewPublishing

    public func prepareRepository() async throws -> [String] {
        count("prepareRepository")
        return []
    }

    public func publish(branches: [String]) async throws {
        count("publish")
        published.append(branches)
    }

    // MARK: - ReviewRequesting

    public func requestReview(_ request: ReviewRequest, existing: ReviewHandle?) async throws -> ReviewHandle {
        count("requestReview")
        // Gitea refuses to ask the poster for a review of their own pull request (endpoints.md, row 16: 422).
        if request.reviewers.contains(bot) {
            throw Refusal(status: 422, message: "poster of pr can't be reviewer: \(bot)")
        }
        // One open pull request per head and base: a second is 409 (notes.md: duplicate PR); the engine adopts it.
        if let index = pulls.lastIndex(where: { $0.branch == request.branch && $0.state == .open }) {
            var pull = pulls[index]
            if pull.head != request.head {
                pull.head = request.head
                // Everyone whose latest verdict is about another head is asked again.
                let decided = latestVerdicts(pull).filter { $0.value.kind != .reviewRequested }.keys
                for reviewer in Set(decided).union(request.reviewers).sorted() {
                    pull.reviews.append(entry(reviewer, .reviewRequested, body: "", commit: request.head))
                }
            }
            pulls[index] = pull
            return handle(pull)
        }
        var pull = Pull(
            number: (pulls.map(\.number).max() ?? 0) + 1,
            branch: request.branch,
            head: request.head,
            title: request.title,
            body: request.body,
            state: .open,
            reviews: [],
            comments: [],
            postedKeys: []
        )
        for reviewer in Set(request.reviewers).sorted() {
            pull.reviews.append(entry(reviewer, .reviewRequested, body: "", commit: request.head))
        }
        pulls.append(pull)
        return handle(pull)
    }

    public func close(_ handle: ReviewHandle, note: String) async throws {
        count("close")
        let index = try pullIndex(handle.id)
        guard pulls[index].state == .open else { return }
        try await postNote(note, key: "cancel-\(handle.id)", on: handle)
        pulls[index].state = .closed
    }

    // MARK: - VerdictReading

    public func botAccount() async throws -> String { bot }

    public func snapshot(of handle: ReviewHandle) async throws -> ReviewSnapshot {
        count("snapshot")
        let pull = pulls[try pullIndex(handle.id)]
        return ReviewSnapshot(state: pull.state, head: pull.head, reviews: pull.reviews, comments: pull.comments)
    }

    // MARK: - BranchSyncing

    /// Reviewers push nothing here (the host has no git): the local branch is the host's.
    public func syncBranch(_ branch: String, review handle: ReviewHandle) async throws {
        count("syncBranch")
    }

    // MARK: - ReviewMerging

    public func merge(_ handle: ReviewHandle, title: String, message: String, head: String) async throws
        -> MergeResult
    {
        count("merge")
        let pull = pulls[try pullIndex(handle.id)]
        switch pull.state {
        // endpoints.md, row 9: merging a closed pull request is 404; a merged one 405 `The PR is already merged`.
        case .closed: throw Refusal(status: 404, message: "pull request #\(pull.number) is closed")
        case .merged: throw Refusal(status: 405, message: "The PR is already merged")
        case .open: break
        }
        // endpoints.md, row 9: 409 `head out of date` when head_commit_id is not the head.
        if pull.head != head { return .headMoved(approved: head, head: pull.head) }
        return .squashLocally
    }

    public func markMerged(_ handle: ReviewHandle, commit: String) async throws {
        count("markMerged")
        let index = try pullIndex(handle.id)
        guard pulls[index].state != .merged else { return }
        pulls[index].state = .merged
        pulls[index].mergeCommit = commit
    }

    // MARK: - CommitStatusPosting

    /// A commit status the engine posted.
    public struct PostedStatus: Sendable, Equatable {
        public var commit: String
        public var status: GateReport.Status
    }

    /// Every commit status posted, in order (a repeat of a context's latest state is not posted: Gitea's latest
    /// counts, and the engine looks first).
    public private(set) var statuses: [PostedStatus] = []

    public func postStatus(_ status: GateReport.Status, on commit: String) async throws {
        count("postStatus")
        if let latest = statuses.last(where: { $0.commit == commit && $0.status.context == status.context }),
            latest.status == status
        {
            return
        }
        statuses.append(PostedStatus(commit: commit, status: status))
    }

    // MARK: - ReviewCommenting

    public func postNote(_ body: String, key: String, on handle: ReviewHandle) async throws {
        count("postNote")
        let index = try pullIndex(handle.id)
        guard !pulls[index].postedKeys.contains(key) else { return }
        lastID += 1
        pulls[index].comments.append(GeneralComment(id: lastID, author: bot, body: body))
        pulls[index].postedKeys.append(key)
    }

    public func postCritique(_ findings: CritiqueFindings, summary: String, key: String, on handle: ReviewHandle)
        async throws
    {
        count("postCritique")
        guard !findings.items.isEmpty else { return }
        let index = try pullIndex(handle.id)
        guard !pulls[index].postedKeys.contains(key) else { return }
        let inline = findings.items.map { item -> InlineComment in
            lastID += 1
            return InlineComment(id: lastID, path: item.path, line: item.line ?? 1, body: item.text)
        }
        // A COMMENT review is allowed from the poster, and on a closed pull request (notes.md, PENDING reviews).
        pulls[index].reviews.append(entry(bot, .comment, body: summary, commit: pulls[index].head, inline: inline))
        pulls[index].postedKeys.append(key)
    }

    // MARK: - What reviewers do

    /// Submits a review on pull request `number` as `reviewer`, for its current head.
    /// - Throws: ``Refusal`` where Gitea refuses (endpoints.md, row 14): the poster approving or rejecting their own
    ///   pull request, REQUEST_CHANGES without a body, COMMENT with neither body nor comment, and any verdict on a
    ///   pull request that is not open (a COMMENT review stays allowed there).
    public func submit(
        _ kind: ReviewEntry.Kind,
        by reviewer: String,
        on number: Int,
        body: String = "",
        inline: [(path: String, line: Int, body: String)] = []
    ) throws {
        let index = try pullIndex(number)
        let pull = pulls[index]
        if reviewer == bot, kind == .approved {
            throw Refusal(status: 422, message: "approve your own pull is not allowed")
        }
        if reviewer == bot, kind == .changesRequested {
            throw Refusal(status: 422, message: "reject your own pull is not allowed")
        }
        if kind == .changesRequested, body.isEmpty {
            throw Refusal(status: 422, message: "review event REQUEST_CHANGES requires a body")
        }
        if kind == .comment, body.isEmpty, inline.isEmpty {
            throw Refusal(status: 422, message: "review event COMMENT requires a body or a comment")
        }
        // notes.md: a COMMENT review is allowed on a closed pull request; APPROVED and REQUEST_CHANGES are not.
        if kind != .comment, pull.state != .open {
            throw Refusal(status: 422, message: "cannot submit a review on a pull request that is \(pull.state)")
        }
        guard [.approved, .changesRequested, .comment].contains(kind) else {
            throw Refusal(status: 422, message: "a reviewer submits APPROVED, REQUEST_CHANGES or COMMENT")
        }
        let comments = inline.map { item -> InlineComment in
            lastID += 1
            return InlineComment(id: lastID, path: item.path, line: item.line, body: item.body)
        }
        pulls[index].reviews.append(entry(reviewer, kind, body: body, commit: pull.head, inline: comments))
    }

    /// Closes pull request `number` without merging, as a reviewer may on Gitea, with an optional comment.
    public func closeByHand(_ number: Int, by reviewer: String, comment: String? = nil) throws {
        let index = try pullIndex(number)
        // endpoints.md, row 7: 412 once merged.
        guard pulls[index].state != .merged else {
            throw Refusal(status: 412, message: "cannot change state of this pull request, it was already merged")
        }
        if let comment {
            lastID += 1
            pulls[index].comments.append(GeneralComment(id: lastID, author: reviewer, body: comment))
        }
        pulls[index].state = .closed
    }

    /// The pull request of `branch` opened last.
    public func pull(for branch: String) -> Pull? {
        pulls.last { $0.branch == branch }
    }

    // MARK: - Helpers

    private func pullIndex(_ number: Int) throws -> Int {
        guard let index = pulls.firstIndex(where: { $0.number == number }) else {
            throw Refusal(status: 404, message: "pull request #\(number) does not exist")
        }
        return index
    }

    private func handle(_ pull: Pull) -> ReviewHandle {
        ReviewHandle(host: name, id: pull.number, location: "memory://pulls/\(pull.number)", head: pull.head)
    }

    private func entry(
        _ reviewer: String,
        _ kind: ReviewEntry.Kind,
        body: String,
        commit: String,
        inline: [InlineComment] = []
    ) -> ReviewEntry {
        lastID += 1
        return ReviewEntry(id: lastID, reviewer: reviewer, kind: kind, body: body, commit: commit, inline: inline)
    }

    /// Per reviewer, the latest non-dismissed verdict or request (Gitea's rule, DESIGN §4).
    private func latestVerdicts(_ pull: Pull) -> [String: ReviewEntry] {
        var latest: [String: ReviewEntry] = [:]
        for review in pull.reviews.sorted(by: { $0.id < $1.id })
        where !review.dismissed && [.approved, .changesRequested, .reviewRequested].contains(review.kind) {
            latest[review.reviewer] = review
        }
        return latest
    }

    private func count(_ method: String) { calls[method, default: 0] += 1 }
}
