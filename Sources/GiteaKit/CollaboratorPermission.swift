/// A user's access to a repository (`GET /repos/{owner}/{repo}/collaborators/{login}/permission`).
///
/// Gitea computes it from every source of access (ownership, collaboration, organisation teams, site admin),
/// not only from the collaboration itself. Only repository admins, site admins and the user themself may ask.
public struct CollaboratorPermission: Codable, Sendable, Equatable {
    /// The user's level; `none` when they may not see the repository.
    public var level: AccessLevel
    /// The name of the user's role, such as `write`.
    public var roleName: String?
    /// The user asked about.
    public var user: User?

    /// Creates a permission value.
    public init(level: AccessLevel, roleName: String? = nil, user: User? = nil) {
        self.level = level
        self.roleName = roleName
        self.user = user
    }

    enum CodingKeys: String, CodingKey {
        case level = "permission"
        case roleName = "role_name"
        case user
    }
}
