import Foundation

/// The hidden line that identifies what Tollgate posted on a pull request under an idempotency key, so a rerun
/// finds its comment or review and posts nothing twice.
///
/// GiteaKit takes it as given and knows nothing of it.
enum CommentMarker {
    /// `<!-- tollgate:KEY -->`; `-->` and line breaks in `key` are replaced, so the marker stays one hidden line.
    static func forKey(_ key: String) -> String {
        let safe = key.replacingOccurrences(of: "-->", with: "- ->").split(whereSeparator: \.isNewline)
            .joined(separator: " ")
        return "<!-- tollgate:\(safe) -->"
    }
}
