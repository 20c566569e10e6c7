/// Everything a review host knows about one open review, in host-neutral terms.
///
/// The Gitea host builds it from a pull request, its reviews and comments; the local host from the state branch.
public struct ReviewSnapshot: Codable, Sendable, Equatable {
    /// Whether the review is still open.
    public enum State: String, Codable, Sendable, Equatable {
        case open
        case closed
        case merged
    }

    public var state: State
    /// The commit the review currently shows (the branch head).
    public var head: String
    /// Reviews in the order they were submitted (ids ascending).
    public var reviews: [ReviewEntry]
    /// General comments on the review, ids ascending.
    public var comments: [GeneralComment]

    public init(state: State, head: String, reviews: [ReviewEntry], comments: [GeneralComment]) {
        self.state = state
        self.head = head
        self.reviews = reviews
        self.comments = comments
    }
}

/// One review submitted by a reviewer (or a request for one).
public struct ReviewEntry: Codable, Sendable, Equatable {
    /// The verdict a review carries.
    public enum Kind: String, Codable, Sendable, Equatable {
        case approved = "APPROVED"
        case changesRequested = "REQUEST_CHANGES"
        case comment = "COMMENT"
        case reviewRequested = "REQUEST_REVIEW"
        case pending = "PENDING"
    }

    public var id: Int
    public var reviewer: String
    public var kind: Kind
    public var body: String
    /// The commit the reviewer looked at.
    public var commit: String
    public var dismissed: Bool
    public var inline: [InlineComment]

    public init(
        id: Int,
        reviewer: String,
        kind: Kind,
        body: String,
        commit: String,
        dismissed: Bool = false,
        inline: [InlineComment] = []
    ) {
        self.id = id
        self.reviewer = reviewer
        self.kind = kind
        self.body = body
        self.commit = commit
        self.dismissed = dismissed
        self.inline = inline
    }
}

/// A comment on one line of one file.
public struct InlineComment: Codable, Sendable, Equatable {
    public var id: Int
    public var path: String
    public var line: Int
    public var body: String

    public init(id: Int, path: String, line: Int, body: String) {
        self.id = id
        self.path = path
        self.line = line
        self.body = body
    }
}

/// A comment on the review as a whole.
public struct GeneralComment: Codable, Sendable, Equatable {
    public var id: Int
    public var author: String
    public var body: String

    public init(id: Int, author: String, body: String) {
        self.id = id
        self.author = author
        self.body = body
    }
}
