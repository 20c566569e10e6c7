/// One path that a merge could not resolve, and which sides of the merge have it.
///
/// A side is missing when that side deleted the file (modify/delete) or never had it (add/add).
public struct MergeConflict: Sendable, Equatable {
    /// The conflicting path, relative to the repository root.
    public let path: String
    /// The merge base has the path.
    public let ancestor: Bool
    /// The target branch ("ours") has the path.
    public let ours: Bool
    /// The merged branch ("theirs") has the path.
    public let theirs: Bool

    /// Creates a conflict record.
    public init(path: String, ancestor: Bool, ours: Bool, theirs: Bool) {
        self.path = path
        self.ancestor = ancestor
        self.ours = ours
        self.theirs = theirs
    }
}
