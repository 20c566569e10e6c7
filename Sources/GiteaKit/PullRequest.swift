import Foundation

/// A Gitea pull request.
///
/// Note Gitea's quirks: `url` is the web page, not an API URL; a merged PR has `state == .closed` and
/// `merged == true`; once the head branch is deleted, `head.ref` becomes `refs/pull/<n>/head`.
public struct PullRequest: Codable, Sendable, Equatable {
    /// Open or closed (merged pull requests are closed).
    public enum State: String, Codable, Sendable {
        case open
        case closed
    }

    /// One side of a pull request: a branch and the commit it pointed at.
    public struct BranchInfo: Codable, Sendable, Equatable {
        /// The branch name.
        public var label: String
        /// The branch name, or `refs/pull/<n>/head` once the head branch is deleted.
        public var ref: String
        /// The commit the branch points at (for the head: the pull request's head commit).
        public var sha: String
        /// The id of the repository holding the branch.
        public var repoID: Int64?

        enum CodingKeys: String, CodingKey {
            case label, ref, sha
            case repoID = "repo_id"
        }
    }

    /// The global id (not used in URLs).
    public var id: Int64
    /// The number used in URLs (`/pulls/{number}`).
    public var number: Int64
    /// The title.
    public var title: String
    /// The description, Markdown.
    public var body: String?
    /// Open or closed.
    public var state: State
    /// Whether the pull request was merged.
    public var merged: Bool
    /// Whether Gitea's conflict check passed; false while checking.
    ///
    /// Ignores approvals and protection.
    public var mergeable: Bool?
    /// When it was merged.
    public var mergedAt: Date?
    /// The merge (or squash) commit on the base branch.
    public var mergeCommitSHA: String?
    /// Who merged it.
    public var mergedBy: User?
    /// The author (poster) of the pull request.
    public var user: User?
    /// The head (source) side.
    public var head: BranchInfo
    /// The base (target) side.
    public var base: BranchInfo
    /// Users whose review is requested and outstanding.
    public var requestedReviewers: [User]?
    /// The web page.
    public var htmlURL: String
    /// Whether it is a draft (a `WIP:` title).
    public var draft: Bool?
    /// When it was created.
    public var createdAt: Date?
    /// When it was last updated.
    public var updatedAt: Date?
    /// When it was closed or merged.
    public var closedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, number, title, body, state, merged, mergeable, user, head, base, draft
        case mergedAt = "merged_at"
        case mergeCommitSHA = "merge_commit_sha"
        case mergedBy = "merged_by"
        case requestedReviewers = "requested_reviewers"
        case htmlURL = "html_url"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case closedAt = "closed_at"
    }
}
