/// Where a job's reviews happen (`review.host`).
public enum ReviewHostKind: String, Codable, Sendable, CaseIterable, Equatable, ConfigChoice, CustomStringConvertible {
    /// The embedded host: reviews on the state branch, verdicts from `tollgate review`.
    case local
    /// A Gitea server: pull requests and their reviews.
    case gitea

    public var description: String { self.rawValue }
}
