/// A value copy of one commit: ids, message and signatures (with their dates filled in).
public struct CommitInfo: Sendable, Equatable {
    /// The commit's own id.
    public let oid: OID
    /// The id of the commit's root tree.
    public let tree: OID
    /// Parent commits, first parent first; empty for a root commit.
    public let parents: [OID]
    /// The full message, as stored.
    public let message: String
    /// The first paragraph of the message, folded onto one line.
    public let summary: String
    /// Who wrote the change.
    public let author: Signature
    /// Who recorded the commit.
    public let committer: Signature
}
