import Foundation

/// One thing a reviewer said that the agent must answer: a review body, an inline comment or a general comment.
public struct FeedbackItem: Codable, Sendable, Equatable, Hashable {
    /// What the item came from.
    public enum Kind: String, Codable, Sendable, Equatable {
        case review
        case inline
        case comment
    }

    /// Stable within a job: `review-<id>`, `inline-<id>`, `comment-<id>`.
    public var id: String
    public var kind: Kind
    public var reviewer: String
    public var body: String
    public var path: String?
    public var line: Int?

    public init(id: String, kind: Kind, reviewer: String, body: String, path: String? = nil, line: Int? = nil) {
        self.id = id
        self.kind = kind
        self.reviewer = reviewer
        self.body = body
        self.path = path
        self.line = line
    }

    /// One Markdown list line, as the brief shows it.
    public var markdown: String {
        let text = body.replacingOccurrences(of: "\n", with: " ")
        if let path, let line { return "- [\(id)] \(reviewer) on `\(path)` line \(line): \(text)" }
        if let path { return "- [\(id)] \(reviewer) on `\(path)`: \(text)" }
        return "- [\(id)] \(reviewer): \(text)"
    }
}
