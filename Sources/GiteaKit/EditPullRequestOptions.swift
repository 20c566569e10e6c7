/// The body of `PATCH /repos/{owner}/{repo}/pulls/{number}`; `nil` fields are left unchanged.
public struct EditPullRequestOptions: Encodable, Sendable, Equatable {
    /// The new title.
    public var title: String?
    /// The new description.
    public var body: String?
    /// Open or close the pull request.
    public var state: PullRequest.State?

    /// Creates options.
    public init(title: String? = nil, body: String? = nil, state: PullRequest.State? = nil) {
        self.title = title
        self.body = body
        self.state = state
    }
}
