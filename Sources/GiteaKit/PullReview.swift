import Foundation

/// One review of a pull request, including review requests (`state == .requestReview`).
public struct PullReview: Codable, Sendable, Equatable {
    /// A review's state; unknown values (Gitea sends `""` for those) are kept as they are.
    public struct State: RawRepresentable, Codable, Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String

        /// Creates a state from Gitea's string.
        public init(rawValue: String) { self.rawValue = rawValue }

        public init(from decoder: any Decoder) throws {
            self.rawValue = try decoder.singleValueContainer().decode(String.self)
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(self.rawValue)
        }

        public static let approved = State(rawValue: "APPROVED")
        public static let pending = State(rawValue: "PENDING")
        public static let comment = State(rawValue: "COMMENT")
        public static let requestChanges = State(rawValue: "REQUEST_CHANGES")
        public static let requestReview = State(rawValue: "REQUEST_REVIEW")

        public var description: String { self.rawValue }
    }

    /// The review's id.
    public var id: Int64
    /// The reviewer (for a review request: the requested user).
    public var user: User?
    /// The state.
    public var state: State
    /// The review's text; may be empty.
    public var body: String
    /// The head commit the review was made on (empty for review requests).
    public var commitID: String
    /// Whether commits that changed the diff were pushed after this review.
    public var stale: Bool
    /// Whether this is the reviewer's current, counting verdict.
    public var official: Bool
    /// Whether a repository admin dismissed it.
    public var dismissed: Bool
    /// The number of inline comments.
    public var commentsCount: Int
    /// When it was submitted.
    public var submittedAt: Date?
    /// The web page of the review.
    public var htmlURL: String?

    /// Creates a review value (for tests and fakes).
    public init(
        id: Int64,
        user: User?,
        state: State,
        body: String = "",
        commitID: String = "",
        stale: Bool = false,
        official: Bool = false,
        dismissed: Bool = false,
        commentsCount: Int = 0,
        submittedAt: Date? = nil,
        htmlURL: String? = nil
    ) {
        self.id = id
        self.user = user
        self.state = state
        self.body = body
        self.commitID = commitID
        self.stale = stale
        self.official = official
        self.dismissed = dismissed
        self.commentsCount = commentsCount
        self.submittedAt = submittedAt
        self.htmlURL = htmlURL
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.id = try container.decode(Int64.self, forKey: .id)
        self.user = try container.decodeIfPresent(User.self, forKey: .user)
        self.state = try container.decodeIfPresent(State.self, forKey: .state) ?? State(rawValue: "")
        self.body = try container.decodeIfPresent(String.self, forKey: .body) ?? ""
        self.commitID = try container.decodeIfPresent(String.self, forKey: .commitID) ?? ""
        self.stale = try container.decodeIfPresent(Bool.self, forKey: .stale) ?? false
        self.official = try container.decodeIfPresent(Bool.self, forKey: .official) ?? false
        self.dismissed = try container.decodeIfPresent(Bool.self, forKey: .dismissed) ?? false
        self.commentsCount = try container.decodeIfPresent(Int.self, forKey: .commentsCount) ?? 0
        self.submittedAt = try container.decodeIfPresent(Date.self, forKey: .submittedAt)
        self.htmlURL = try container.decodeIfPresent(String.self, forKey: .htmlURL)
    }

    enum CodingKeys: String, CodingKey {
        case id, user, state, body, stale, official, dismissed
        case commitID = "commit_id"
        case commentsCount = "comments_count"
        case submittedAt = "submitted_at"
        case htmlURL = "html_url"
    }
}
