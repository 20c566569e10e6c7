import Foundation

/// A general (conversation) comment on a pull request; review bodies and inline comments are not these.
public struct Comment: Codable, Sendable, Equatable {
    /// The comment's id.
    public var id: Int64
    /// The text, Markdown.
    public var body: String
    /// The author.
    public var user: User?
    /// The comment's web page.
    public var htmlURL: String?
    /// When it was written.
    public var createdAt: Date?
    /// When it was last edited.
    public var updatedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, body, user
        case htmlURL = "html_url"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }
}
