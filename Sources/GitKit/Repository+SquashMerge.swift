internal import CGit2

extension Repository {
    /// Squashes `branch` into `target` as one new commit whose only parent is `target`'s tip.
    ///
    /// Steps: nothing new on the branch → `.upToDate`. If `target` has not moved since the branch point, the
    /// result is the branch tip's tree (the fast path: no merge is computed). Otherwise a three-way merge of the
    /// two tips runs in memory; conflicts are reported and nothing changes. When HEAD is on `target`, the working
    /// tree is moved to the new tree (a safe checkout against the old one) before the reference moves, so a dirty
    /// working tree stops the merge (`isConflict`) with `target` unmoved. `target` moves by compare-and-swap
    /// (`isModified` if it moved meanwhile). The branch is kept; delete it or recreate it from the new tip, since
    /// a squash leaves no ancestry link.
    public func squashMerge(
        branch: String,
        into target: String,
        message: String,
        author: Signature,
        committer: Signature
    ) throws(GitError) -> SquashResult {
        let operation = "squash merge of \(branch) into \(target)"
        guard let ours = try branchTip(target) else {
            throw GitError(code: GIT_ENOTFOUND.rawValue, message: "no branch named \(target)", operation: operation)
        }
        guard let theirs = try branchTip(branch) else {
            throw GitError(code: GIT_ENOTFOUND.rawValue, message: "no branch named \(branch)", operation: operation)
        }
        if ours == theirs { return .upToDate }
        let base = try mergeBase(ours, theirs)
        if base == theirs { return .upToDate }

        let oldTree = try treeID(ofCommit: ours)
        let newTree: OID
        let fastPath = base == ours
        if fastPath {
            newTree = try treeID(ofCommit: theirs)
        } else {
            switch try mergedTree(ours: ours, theirs: theirs, operation: operation) {
            case .success(let tree): newTree = tree
            case .failure(let conflicts): return .conflicts(conflicts.conflicts)
            }
        }
        if newTree == oldTree { return .upToDate }

        let squash = try commit(tree: newTree, parents: [ours], message: message, author: author, committer: committer)
        try move(
            target,
            from: (ours, oldTree),
            to: (squash, newTree),
            reflog: "squash: \(branch): \(Self.firstLine(of: message))",
            operation: operation
        )
        return .merged(squash, fastPath: fastPath)
    }

    // MARK: - Helpers

    /// Moves branch `target` from the commit `old` to `new` by compare-and-swap.
    ///
    /// When HEAD is on `target`, the working tree and index are moved first (a safe checkout against the old tree),
    /// and put back if the reference then cannot move, so a dirty working tree stops the move (`isConflict`) with
    /// `target` unmoved. Unless `workingTreeFollows` is false: then the reference alone moves.
    func move(
        _ target: String,
        from old: (commit: OID, tree: OID),
        to new: (commit: OID, tree: OID),
        reflog: String,
        operation: String,
        workingTreeFollows: Bool = true
    ) throws(GitError) {
        // The new tree's objects are on disk before the working tree and the index are moved to it.
        try writePendingObjects()
        var moveWorkingTree = false
        if workingTreeFollows, new.tree != old.tree { moveWorkingTree = try currentBranch() == target }
        if moveWorkingTree {
            try checkout(tree: new.tree, baseline: old.tree, operation: operation)
        }
        do {
            try updateReference(Self.branchReference(target), to: new.commit, expected: old.commit, message: reflog)
        } catch {
            if moveWorkingTree {
                // Put the working tree back where `target` still is; the original error is what matters.
                try? checkout(tree: old.tree, baseline: new.tree, operation: operation)
            }
            throw error
        }
    }

    /// The conflicts of a three-way merge, carried as a `Result` failure.
    private struct Conflicts: Error {
        let conflicts: [MergeConflict]
    }

    /// Merges two commits in memory (rename detection on, as libgit2's default) and writes the result tree.
    private func mergedTree(ours: OID, theirs: OID, operation: String) throws(GitError) -> Result<OID, Conflicts> {
        var options = git_merge_options()
        try git(operation) { git_merge_options_init(&options, UInt32(GIT_MERGE_OPTIONS_VERSION)) }
        return try withCommit(ours) { (oursCommit) throws(GitError) in
            try withCommit(theirs) { (theirsCommit) throws(GitError) in
                var index: OpaquePointer?
                try git(operation) { git_merge_commits(&index, pointer, oursCommit, theirsCommit, &options) }
                defer { git_index_free(index) }
                if git_index_has_conflicts(index) != 0 {
                    return .failure(Conflicts(conflicts: try conflicts(in: index, operation: operation)))
                }
                var tree = git_oid()
                // `_to`: the merge index lives in memory and has no repository of its own.
                try git(operation) { git_index_write_tree_to(&tree, index, pointer) }
                return .success(OID(tree))
            }
        }
    }

    /// Lists the conflict entries of a merge index, by path.
    ///
    /// Any of the three sides may be missing.
    func conflicts(in index: OpaquePointer?, operation: String) throws(GitError) -> [MergeConflict] {
        var iterator: OpaquePointer?
        try git(operation) { git_index_conflict_iterator_new(&iterator, index) }
        defer { git_index_conflict_iterator_free(iterator) }
        var result: [MergeConflict] = []
        while true {
            var ancestor: UnsafePointer<git_index_entry>?
            var ours: UnsafePointer<git_index_entry>?
            var theirs: UnsafePointer<git_index_entry>?
            let code = git_index_conflict_next(&ancestor, &ours, &theirs, iterator)
            if code == GIT_ITEROVER.rawValue { break }
            try git(operation) { code }
            guard let path = (ours ?? theirs ?? ancestor)?.pointee.path else { continue }
            result.append(
                MergeConflict(
                    path: String(cString: path),
                    ancestor: ancestor != nil,
                    ours: ours != nil,
                    theirs: theirs != nil
                )
            )
        }
        return result.sorted { $0.path < $1.path }
    }

    /// Moves the working tree and index from `baseline` to `tree` with a safe checkout limited to the paths at which
    /// the two trees differ.
    ///
    /// A checkout of the whole tree compares every file of the working tree (a `stat` each) even when one changed;
    /// limited to the differing paths (``differingPaths(fromTree:toTree:)``, found without reading unchanged
    /// folders), the cost follows the change. Nothing else would change anyway: the other paths are the same in both
    /// trees, and a safe checkout leaves what it does not update as it is.
    func checkout(tree: OID, baseline: OID, operation: String) throws(GitError) {
        try checkout(tree: tree, baseline: baseline, paths: differingPaths(fromTree: baseline, toTree: tree), operation)
    }

    /// Moves the working tree and index at `paths` from `baseline` to `tree` with a safe checkout.
    func checkout(tree: OID, baseline: OID, paths: [String], _ operation: String) throws(GitError) {
        guard !paths.isEmpty else { return }
        try withTree(tree) { (newTree) throws(GitError) in
            try withTree(baseline) { (oldTree) throws(GitError) in
                var options = git_checkout_options()
                try git(operation) { git_checkout_options_init(&options, UInt32(GIT_CHECKOUT_OPTIONS_VERSION)) }
                options.checkout_strategy =
                    GIT_CHECKOUT_SAFE.rawValue | GIT_CHECKOUT_DISABLE_PATHSPEC_MATCH.rawValue
                options.baseline = oldTree
                try withStringArray(paths) { (array) throws(GitError) in
                    options.paths = array
                    try git(operation) { git_checkout_tree(pointer, newTree, &options) }
                }
            }
        }
    }
}
