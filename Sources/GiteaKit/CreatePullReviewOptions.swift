/// The body of `POST /repos/{owner}/{repo}/pulls/{number}/reviews`: a verdict with inline comments.
///
/// Gitea refuses an approval or a change request by the pull request's own author, a change request
/// without a body, and a comment review without a body or inline comments (all 422).
public struct CreatePullReviewOptions: Encodable, Sendable, Equatable {
    /// One inline comment.
    public struct InlineComment: Encodable, Sendable, Equatable {
        /// The file path.
        public var path: String
        /// The text.
        public var body: String
        /// The line in the new file, or 0.
        public var newPosition: Int
        /// The line in the old file, or 0.
        public var oldPosition: Int

        /// Creates a comment on line `newLine` of the new file, or `oldLine` of the old one.
        public init(path: String, body: String, newLine: Int = 0, oldLine: Int = 0) {
            self.path = path
            self.body = body
            self.newPosition = newLine
            self.oldPosition = oldLine
        }

        enum CodingKeys: String, CodingKey {
            case path, body
            case newPosition = "new_position"
            case oldPosition = "old_position"
        }
    }

    /// The verdict: `.approved`, `.requestChanges` or `.comment` (anything else makes a pending review).
    public var event: PullReview.State
    /// The review's text.
    public var body: String?
    /// The head commit reviewed; Gitea uses the current head when `nil`.
    public var commitID: String?
    /// Inline comments.
    public var comments: [InlineComment]

    /// Creates options.
    public init(event: PullReview.State, body: String? = nil, commitID: String? = nil, comments: [InlineComment] = []) {
        self.event = event
        self.body = body
        self.commitID = commitID
        self.comments = comments
    }

    enum CodingKeys: String, CodingKey {
        case event, body, comments
        case commitID = "commit_id"
    }
}
