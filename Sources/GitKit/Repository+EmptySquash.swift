internal import CGit2

extension Repository {
    /// Records a squash that lands nothing: one new commit on `target` with `target`'s own tree and its tip as the
    /// only parent, so a branch that changed no file still leaves its commit (and message) on `target`.
    ///
    /// For the case ``squashMerge(branch:into:message:author:committer:)`` answers `.upToDate`. The tree does not
    /// change, so the working tree is left alone; `target` moves by compare-and-swap (`isModified` if it moved
    /// meanwhile).
    /// - Returns: the new commit.
    public func commitEmptySquash(
        onto target: String,
        message: String,
        author: Signature,
        committer: Signature
    ) throws(GitError) -> OID {
        guard let tip = try branchTip(target) else {
            throw GitError(
                code: GIT_ENOTFOUND.rawValue,
                message: "no branch named \(target)",
                operation: "empty squash onto \(target)"
            )
        }
        let squash = try commit(
            tree: try treeID(ofCommit: tip),
            parents: [tip],
            message: message,
            author: author,
            committer: committer
        )
        try updateReference(
            Self.branchReference(target),
            to: squash,
            expected: tip,
            message: "squash (empty): \(Self.firstLine(of: message))"
        )
        return squash
    }
}
