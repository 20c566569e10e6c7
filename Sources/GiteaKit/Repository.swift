/// A Gitea repository (`GET /repos/{owner}/{repo}`, or the answer to creating one).
public struct Repository: Codable, Sendable, Equatable {
    /// What the token's user may do in the repository.
    public struct Permissions: Codable, Sendable, Equatable {
        /// May change settings and dismiss reviews.
        public var admin: Bool
        /// May push and merge.
        public var push: Bool
        /// May read.
        public var pull: Bool
    }

    /// The repository's numeric id.
    public var id: Int64
    /// The repository name, for example `job-42`.
    public var name: String
    /// `owner/name`.
    public var fullName: String
    /// The owning user or organisation.
    public var owner: User?
    /// Whether the repository is private.
    public var isPrivate: Bool
    /// Whether the repository has no commits yet.
    public var isEmpty: Bool?
    /// The default branch, for example `main`.
    public var defaultBranch: String
    /// The HTTP(S) clone URL.
    public var cloneURL: String
    /// The repository's web page.
    public var htmlURL: String
    /// The token's user's permissions, when Gitea includes them.
    public var permissions: Permissions?

    /// The owner and name as a reference for further calls.
    public var ref: RepoRef {
        let parts = self.fullName.split(separator: "/", maxSplits: 1).map(String.init)
        if parts.count == 2 { return RepoRef(owner: parts[0], name: parts[1]) }
        return RepoRef(owner: self.owner?.login ?? "", name: self.name)
    }

    enum CodingKeys: String, CodingKey {
        case id, name, owner, permissions
        case fullName = "full_name"
        case isPrivate = "private"
        case isEmpty = "empty"
        case defaultBranch = "default_branch"
        case cloneURL = "clone_url"
        case htmlURL = "html_url"
    }
}
