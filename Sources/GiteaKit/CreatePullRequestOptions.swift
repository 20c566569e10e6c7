/// The body of `POST /repos/{owner}/{repo}/pulls`.
///
/// Reviewers are deliberately not part of creation: Gitea answers 500 after creating the pull request
/// when a listed reviewer is invalid. Request them afterwards with `requestReviewers`.
public struct CreatePullRequestOptions: Encodable, Sendable, Equatable {
    /// The branch with the changes.
    public var head: String
    /// The branch to merge into.
    public var base: String
    /// The title (required by Gitea).
    public var title: String
    /// The description, Markdown.
    public var body: String?

    /// Creates options.
    public init(head: String, base: String, title: String, body: String? = nil) {
        self.head = head
        self.base = base
        self.title = title
        self.body = body
    }
}
