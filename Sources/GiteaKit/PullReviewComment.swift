import Foundation

/// An inline comment of a review, on one line of one file.
///
/// Gitea's `position` is the line number in the new file (0 when the comment is on the old side) and
/// `original_position` the line number in the old file; they are file lines, not diff positions.
public struct PullReviewComment: Codable, Sendable, Equatable {
    /// The comment's id; Gitea returns comments in no particular order, so sort by it.
    public var id: Int64
    /// The text, Markdown.
    public var body: String
    /// The author.
    public var user: User?
    /// The review this comment belongs to.
    public var reviewID: Int64
    /// The file path.
    public var path: String
    /// The line in the new file, or 0.
    public var position: Int
    /// The line in the old file, or 0.
    public var originalPosition: Int
    /// The commit the line was commented on.
    public var commitID: String
    /// A few lines of the diff around the comment.
    public var diffHunk: String
    /// When it was written.
    public var createdAt: Date?
    /// The comment's web page.
    public var htmlURL: String?

    /// The commented line: `position` (new file), else `original_position` (old file).
    public var line: Int { self.position != 0 ? self.position : self.originalPosition }

    /// Whether the comment is on the old side of the diff (a removed line).
    public var isOnOldSide: Bool { self.position == 0 && self.originalPosition != 0 }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.id = try container.decode(Int64.self, forKey: .id)
        self.body = try container.decodeIfPresent(String.self, forKey: .body) ?? ""
        self.user = try container.decodeIfPresent(User.self, forKey: .user)
        self.reviewID = try container.decodeIfPresent(Int64.self, forKey: .reviewID) ?? 0
        self.path = try container.decodeIfPresent(String.self, forKey: .path) ?? ""
        self.position = try container.decodeIfPresent(Int.self, forKey: .position) ?? 0
        self.originalPosition = try container.decodeIfPresent(Int.self, forKey: .originalPosition) ?? 0
        self.commitID = try container.decodeIfPresent(String.self, forKey: .commitID) ?? ""
        self.diffHunk = try container.decodeIfPresent(String.self, forKey: .diffHunk) ?? ""
        self.createdAt = try container.decodeIfPresent(Date.self, forKey: .createdAt)
        self.htmlURL = try container.decodeIfPresent(String.self, forKey: .htmlURL)
    }

    enum CodingKeys: String, CodingKey {
        case id, body, user, path, position
        case reviewID = "pull_request_review_id"
        case originalPosition = "original_position"
        case commitID = "commit_id"
        case diffHunk = "diff_hunk"
        case createdAt = "created_at"
        case htmlURL = "html_url"
    }
}
