/// The body of `POST /repos/{owner}/{repo}/pulls/{number}/merge`.
///
/// Encoded with Gitea's PascalCase `Do`, `MergeTitleField` and `MergeMessageField`, which every
/// version accepts (snake_case arrived only in 1.26).
public struct MergeOptions: Encodable, Sendable, Equatable {
    /// How to merge.
    public enum Style: String, Encodable, Sendable {
        case merge
        case rebase
        case rebaseMerge = "rebase-merge"
        case squash
        case fastForwardOnly = "fast-forward-only"
    }

    /// How to merge; Tollgate squashes.
    public var style: Style
    /// The commit's title; Gitea uses `"<PR title> (#n)"` when empty.
    public var title: String?
    /// The commit message body (trailers included).
    public var message: String?
    /// Whether Gitea deletes the head branch after merging (always send it: before 1.25 the
    /// repository's default was ignored).
    public var deleteBranchAfterMerge: Bool
    /// The head commit the approval was given for; Gitea answers 409 if the head has moved since.
    public var headCommitID: String?

    /// Creates options.
    public init(
        style: Style = .squash,
        title: String? = nil,
        message: String? = nil,
        deleteBranchAfterMerge: Bool = true,
        headCommitID: String? = nil
    ) {
        self.style = style
        self.title = title
        self.message = message
        self.deleteBranchAfterMerge = deleteBranchAfterMerge
        self.headCommitID = headCommitID
    }

    enum CodingKeys: String, CodingKey {
        case style = "Do"
        case title = "MergeTitleField"
        case message = "MergeMessageField"
        case deleteBranchAfterMerge = "delete_branch_after_merge"
        case headCommitID = "head_commit_id"
    }
}
