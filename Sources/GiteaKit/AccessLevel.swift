/// How much a user may do in a repository, as Gitea's `perm.AccessMode` names it, from `none` to `owner`.
///
/// Levels are ordered: `write` includes `read`, `admin` includes `write`. A collaborator is given `read`, `write`
/// or `admin`; `owner` is the repository's owner, a site administrator or a member of an organisation's Owners team.
public enum AccessLevel: String, Codable, Sendable, Comparable, CaseIterable {
    /// May not see the repository (a private one answers 404).
    case none
    /// May read code, pull requests and reviews, comment and review (not officially).
    case read
    /// May also push, merge, and give official reviews.
    case write
    /// May also change settings and collaborators, and dismiss reviews.
    case admin
    /// The owner, or someone with the owner's rights.
    case owner

    /// Whether this level allows everything `other` allows.
    public static func < (lhs: AccessLevel, rhs: AccessLevel) -> Bool {
        Self.allCases.firstIndex(of: lhs) ?? 0 < Self.allCases.firstIndex(of: rhs) ?? 0
    }
}
