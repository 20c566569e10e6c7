/// A team of a Gitea organisation (`Team` in Gitea's API), as far as giving reviewers access needs it.
public struct Team: Decodable, Sendable, Equatable {
    /// The team's id, used by the `/teams/{id}` routes.
    public var id: Int64
    /// The team's name, unique in its organisation (compared case-insensitively by Gitea).
    public var name: String
    /// The access its members get to the repositories it holds.
    public var permission: AccessLevel
    /// Whether it holds every repository of the organisation, present and future.
    public var includesAllRepositories: Bool

    /// Creates a team value.
    public init(id: Int64, name: String, permission: AccessLevel, includesAllRepositories: Bool) {
        self.id = id
        self.name = name
        self.permission = permission
        self.includesAllRepositories = includesAllRepositories
    }

    enum CodingKeys: String, CodingKey {
        case id, name, permission
        case includesAllRepositories = "includes_all_repositories"
    }
}
