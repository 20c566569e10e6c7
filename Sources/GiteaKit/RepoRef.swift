/// Names one repository on the server: its owner (user or organisation) and its name.
public struct RepoRef: Sendable, Hashable, CustomStringConvertible {
    /// The owning user or organisation.
    public var owner: String
    /// The repository name.
    public var name: String

    /// Creates a reference.
    public init(owner: String, name: String) {
        self.owner = owner
        self.name = name
    }

    public var description: String { "\(self.owner)/\(self.name)" }
}
