/// The body of `POST /user/repos` and `POST /orgs/{org}/repos`.
public struct CreateRepositoryOptions: Encodable, Sendable, Equatable {
    /// The repository name (letters, digits, `-`, `_`, `.`; at most 100).
    public var name: String
    /// A one-line description.
    public var description: String?
    /// Whether the repository is private.
    public var isPrivate: Bool
    /// Whether Gitea makes an initial commit (a README) on the default branch.
    public var autoInit: Bool
    /// The default branch; Gitea's default is `main`.
    public var defaultBranch: String?

    /// Creates options.
    public init(
        name: String,
        description: String? = nil,
        isPrivate: Bool = true,
        autoInit: Bool = false,
        defaultBranch: String? = "main"
    ) {
        self.name = name
        self.description = description
        self.isPrivate = isPrivate
        self.autoInit = autoInit
        self.defaultBranch = defaultBranch
    }

    enum CodingKeys: String, CodingKey {
        case name, description
        case isPrivate = "private"
        case autoInit = "auto_init"
        case defaultBranch = "default_branch"
    }
}
