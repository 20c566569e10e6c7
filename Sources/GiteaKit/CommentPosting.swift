/// The result of posting a comment under an idempotency key.
public enum CommentPosting: Sendable, Equatable {
    /// The comment was posted now.
    case posted(Comment)
    /// A comment with the same key was already there; nothing was posted.
    case alreadyPresent(Comment)

    /// The comment, whichever way it came.
    public var comment: Comment {
        switch self {
        case .posted(let comment), .alreadyPresent(let comment): comment
        }
    }
}
