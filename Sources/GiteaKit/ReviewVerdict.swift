/// The decision a pull request's reviews add up to, by Tollgate's rule (pure; no I/O).
///
/// The rule: drop pending and dismissed reviews, reviews without a user, and the bot's own. For each
/// reviewer keep the latest (highest id) review among APPROVED, REQUEST_CHANGES and REQUEST_REVIEW;
/// COMMENT reviews never change a verdict. Then, in order:
/// 1. any kept REQUEST_CHANGES → ``changesRequested(_:)``;
/// 2. else any kept REQUEST_REVIEW (a re-request after new commits, or a first request) → ``waiting(for:)``;
/// 3. else any kept APPROVED whose `commit_id` is the head → ``approved(_:)``;
/// 4. else any kept APPROVED (all for older commits) → ``staleApproval(_:)``;
/// 5. else ``undecided``.
public enum ReviewVerdict: Sendable, Equatable {
    /// At least one reviewer approved the current head; the approvals for it, by id.
    case approved([PullReview])
    /// Approvals exist but none is for the current head; they need renewing. The approvals, by id.
    case staleApproval([PullReview])
    /// Reviewers asked for changes; their reviews, by id.
    case changesRequested([PullReview])
    /// Reviews are requested and not yet given; the logins, sorted.
    case waiting(for: [String])
    /// No reviewer has decided anything.
    case undecided

    /// Applies the rule to `reviews` for a pull request whose head commit is `headSHA`.
    ///
    /// - Parameters:
    ///   - reviews: Every review of the pull request, in any order.
    ///   - headSHA: The pull request's current head commit.
    ///   - botLogin: The engine's own account, whose reviews never count (compared case-insensitively).
    public static func evaluate(_ reviews: [PullReview], headSHA: String, ignoring botLogin: String?) -> ReviewVerdict {
        let bot = botLogin?.lowercased()
        let deciding: Set<PullReview.State> = [.approved, .requestChanges, .requestReview]
        var latest: [String: PullReview] = [:]
        for review in reviews where deciding.contains(review.state) && !review.dismissed {
            guard let login = review.user?.login.lowercased(), login != bot else { continue }
            if let kept = latest[login], kept.id > review.id { continue }
            latest[login] = review
        }
        let kept = latest.values.sorted { $0.id < $1.id }
        let changes = kept.filter { $0.state == .requestChanges }
        if !changes.isEmpty { return .changesRequested(changes) }
        let requested = kept.filter { $0.state == .requestReview }
        if !requested.isEmpty { return .waiting(for: requested.compactMap { $0.user?.login }.sorted()) }
        let approvals = kept.filter { $0.state == .approved }
        let current = approvals.filter { $0.commitID == headSHA }
        if !current.isEmpty { return .approved(current) }
        if !approvals.isEmpty { return .staleApproval(approvals) }
        return .undecided
    }
}
