internal import CGit2

extension Repository {
    // MARK: - Tree entries

    /// One entry of a tree object: the object it names and its file mode.
    struct TreeEntry: Equatable {
        let id: OID
        let mode: UInt32

        var isTree: Bool { mode == GIT_FILEMODE_TREE.rawValue }
    }

    /// The entries of one tree object (not its subtrees), by name.
    func treeEntries(_ tree: OID) throws(GitError) -> [String: TreeEntry] {
        try withTree(tree) { (object) throws(GitError) in
            var entries: [String: TreeEntry] = [:]
            let count = git_tree_entrycount(object)
            entries.reserveCapacity(count)
            for index in 0..<count {
                guard let entry = git_tree_entry_byindex(object, index), let name = git_tree_entry_name(entry),
                    let id = git_tree_entry_id(entry)
                else { continue }
                entries[String(cString: name)] = TreeEntry(
                    id: OID(id.pointee),
                    mode: git_tree_entry_filemode(entry).rawValue
                )
            }
            return entries
        }
    }

    // MARK: - What changed between two trees

    /// The paths at which two trees differ, found by descending only into subtrees whose ids differ, so the cost
    /// follows the change and not the size of the trees.
    ///
    /// A subtree present on one side only (or facing a file) is given as its own path, not file by file: a checkout
    /// limited to these paths then also sees what stands in its way in the working tree (a file where a folder
    /// comes, untracked files in a folder that goes).
    func differingPaths(fromTree old: OID, toTree new: OID) throws(GitError) -> [String] {
        var paths: [String] = []
        try collectDifferences(old, new, prefix: "", into: &paths)
        return paths.sorted()
    }

    private func collectDifferences(_ old: OID, _ new: OID, prefix: String, into paths: inout [String])
        throws(GitError)
    {
        guard old != new else { return }
        let before = try treeEntries(old)
        let after = try treeEntries(new)
        for name in Set(before.keys).union(after.keys) {
            let left = before[name]
            let right = after[name]
            guard left != right else { continue }
            let path = prefix + name
            if let left, let right, left.isTree, right.isTree {
                try collectDifferences(left.id, right.id, prefix: path + "/", into: &paths)
            } else {
                paths.append(path)
            }
        }
    }

    // MARK: - A three-way merge by path

    /// The three-way merge of trees `base`, `ours` and `theirs` when no entry was changed on both sides: each side's
    /// changes taken as they are, subtrees that only one side touched taken whole (by id, without reading them).
    ///
    /// Nil when some file or folder was changed on both sides (even the same way, or one side turning a file into a
    /// folder): such a merge needs libgit2's (contents, renames, conflicts). With disjoint changes its answer is the
    /// same as libgit2's: a rename pairs a removal and an addition of one side, and conflicts only where the other side
    /// touched one of their paths, which is a path changed on both sides.
    func mergeTreesByPath(base: OID, ours: OID, theirs: OID) throws(GitError) -> OID? {
        if theirs == base { return ours }
        if ours == base { return theirs }
        let baseEntries = try treeEntries(base)
        let oursEntries = try treeEntries(ours)
        let theirsEntries = try treeEntries(theirs)
        var changes: [String: TreeEntry?] = [:]
        for name in Set(baseEntries.keys).union(oursEntries.keys).union(theirsEntries.keys) {
            let original = baseEntries[name]
            let mine = oursEntries[name]
            let other = theirsEntries[name]
            if other == original { continue }  // theirs left it: ours stands
            if mine == original {  // only theirs changed it
                changes[name] = .some(other)
                continue
            }
            // Changed on both sides: only two folders can be merged here, entry by entry.
            guard let original, let mine, let other, original.isTree, mine.isTree, other.isTree else { return nil }
            guard let merged = try mergeTreesByPath(base: original.id, ours: mine.id, theirs: other.id) else {
                return nil
            }
            changes[name] = .some(TreeEntry(id: merged, mode: GIT_FILEMODE_TREE.rawValue))
        }
        if changes.isEmpty { return ours }
        return try withTree(ours) { (source) throws(GitError) in
            var builder: OpaquePointer?
            try git("merge trees") { git_treebuilder_new(&builder, pointer, source) }
            defer { git_treebuilder_free(builder) }
            for (name, entry) in changes {
                if let entry {
                    var raw = entry.id.raw
                    try git("merge trees: \(name)") {
                        git_treebuilder_insert(nil, builder, name, &raw, git_filemode_t(entry.mode))
                    }
                } else {
                    try git("merge trees: \(name)") { git_treebuilder_remove(builder, name) }
                }
            }
            var result = git_oid()
            try git("merge trees") { git_treebuilder_write(&result, builder) }
            return OID(result)
        }
    }
}
