import Foundation

/// The answer of `GET /api/v1/version`, for example `{"version": "1.26.3"}`.
public struct ServerVersion: Codable, Sendable, Equatable {
    /// The version string as the server reports it.
    public var version: String

    /// Creates a value.
    public init(version: String) { self.version = version }

    /// The Gitea version this string denotes, or `nil` when it cannot be read.
    ///
    /// Accepts `1.26.3`, `1.22.0+dev-123-gabc`, `v1.21.11`, and Forgejo's `7.0.0+gitea-1.22.0`
    /// (the Gitea version after `+gitea-` counts).
    public var giteaVersion: GiteaVersion? {
        if let range = self.version.range(of: "+gitea-") {
            return GiteaVersion(parsing: String(self.version[range.upperBound...]))
        }
        return GiteaVersion(parsing: self.version)
    }
}
