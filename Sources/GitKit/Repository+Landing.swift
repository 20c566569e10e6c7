internal import CGit2

/// What ``Repository/catchUpWorkingTree()`` did.
public enum WorkingTreeCatchUp: Sendable, Equatable {
    /// The index already held HEAD's tree: nothing was behind.
    case upToDate
    /// Every path that was behind is HEAD's now.
    case caughtUp
    /// Paths stay behind, in the way of these files the working tree has of its own (changed since the index was
    /// written, or untracked); every other path caught up.
    case heldBack([String])
}

/// What ``Repository/land(branch:startedAt:onto:message:trailerKey:trailerValue:author:committer:)`` did.
public enum LandingResult: Sendable, Equatable {
    /// The target now points at this new commit. `fastPath`: the target had not moved since the branch's start, so
    /// the branch tip's tree was taken as it is, with no merge computed.
    case landed(OID, fastPath: Bool)
    /// An earlier call landed the branch already: this commit on the target carries the trailer. Nothing changed.
    case alreadyLanded(OID)
    /// The three-way merge has conflicts at these paths; nothing changed (no commit, no reference move, no checkout).
    case conflicts([MergeConflict])
}

extension Repository {
    /// Lands the work of `branch` on `target` as one new commit whose only parent is `target`'s tip, by a three-way
    /// merge of the branch's start (`base`), `target`'s tip (ours) and the branch's tip (theirs).
    ///
    /// - If `target` has not moved since `base`, the branch tip's tree is taken as it is (the fast path).
    /// - When no file was changed on both sides, the trees are merged path by path, reading only the folders that
    ///   changed; otherwise libgit2 merges them (contents, renames, conflicts). Either way the cost of what follows
    ///   (the checkout) is that of the changed paths, not of the workspace.
    /// - The commit's message is `message` with the trailer `trailerKey: trailerValue` added, and the call is
    ///   idempotent by it: when a commit on `target`'s first-parent line after `base` carries that trailer, the
    ///   answer is ``LandingResult/alreadyLanded(_:)`` and nothing is written. Only the commits since `base` are read,
    ///   so the cost does not grow with the history.
    /// - A branch that changed nothing lands as a commit with `target`'s tree, so that every landed branch has its
    ///   commit and trailer.
    /// - On conflicts nothing is written.
    /// - When HEAD is on `target`, the working tree and index are moved to the new tree (a safe checkout against the
    ///   old one) before the reference moves; a dirty working tree stops the landing (`isConflict`) with `target`
    ///   unmoved. With `leavingWorkingTree`, they stay as they are and only the reference moves, so the landing costs
    ///   the same in a workspace of any size (rewriting the index is what grows); ``catchUpWorkingTree()`` brings them
    ///   up to date once after a series of landings.
    /// - `target` moves only by compare-and-swap from the tip that was merged: if it moved meanwhile, the call throws
    ///   `isModified` and the working tree is put back; call again to merge with the new tip.
    /// - With `expectedTip`, that commit is `target`'s tip as far as the caller knows, and the one merged and swapped
    ///   from: a `target` moved by someone else throws `isModified` instead of being merged with. With `branchTip`,
    ///   that commit is the branch's work, wherever the branch points now.
    ///
    /// The branch is kept.
    public func land(
        branch: String,
        startedAt base: OID,
        onto target: String,
        expectedTip: OID? = nil,
        branchTip recordedTip: OID? = nil,
        message: String,
        trailerKey: String,
        trailerValue: String,
        author: Signature,
        committer: Signature,
        leavingWorkingTree: Bool = false
    ) throws(GitError) -> LandingResult {
        let operation = "land \(branch) on \(target)"
        guard let current = try branchTip(target) else {
            throw GitError(code: GIT_ENOTFOUND.rawValue, message: "no branch named \(target)", operation: operation)
        }
        let ours = expectedTip ?? current
        if ours != current {
            throw GitError(
                code: GIT_EMODIFIED.rawValue,
                message: "\(target) is at \(current), not at \(ours)",
                operation: operation
            )
        }
        let tip: OID? = if let recordedTip { recordedTip } else { try branchTip(branch) }
        guard let theirs = tip else {
            throw GitError(code: GIT_ENOTFOUND.rawValue, message: "no branch named \(branch)", operation: operation)
        }
        if let landed = try commitCarrying(trailerKey, trailerValue, from: ours, downTo: base, operation: operation) {
            return .alreadyLanded(landed)
        }

        let oursTree = try treeID(ofCommit: ours)
        let theirsTree = try treeID(ofCommit: theirs)
        let baseTree = try treeID(ofCommit: base)
        let fastPath = ours == base
        let newTree: OID
        if fastPath {
            newTree = theirsTree
        } else if theirsTree == baseTree {
            newTree = oursTree
        } else if let merged = try mergeTreesByPath(base: baseTree, ours: oursTree, theirs: theirsTree) {
            // The task and the work landed since it began touched different files: no index of the whole tree.
            newTree = merged
        } else {
            switch try mergeTrees(ancestor: baseTree, ours: oursTree, theirs: theirsTree, operation: operation) {
            case .success(let tree): newTree = tree
            case .failure(let conflicts): return .conflicts(conflicts.paths)
            }
        }

        let text = Self.adding(trailer: "\(trailerKey): \(trailerValue)", to: message)
        let landed = try commit(tree: newTree, parents: [ours], message: text, author: author, committer: committer)
        try move(
            target,
            from: (ours, oursTree),
            to: (landed, newTree),
            reflog: "land: \(branch): \(Self.firstLine(of: message))",
            operation: operation,
            workingTreeFollows: !leavingWorkingTree
        )
        return .landed(landed, fastPath: fastPath)
    }

    /// Brings the index and the working tree up to HEAD's tree from the tree the index holds, after landings that left
    /// them behind (`leavingWorkingTree`), as `git read-tree -m -u` from the index would.
    ///
    /// A safe checkout of the paths that differ. A path where the working tree has a change of its own since the
    /// index was written (a modified file, an untracked one in the way) is held back: its file and its index entry
    /// stay as they are, every other path catches up, and the answer names the working tree's files in the way, so
    /// that once they are moved away a second call finishes. Files outside those paths, changed or untracked, are left alone.
    @discardableResult
    public func catchUpWorkingTree() throws(GitError) -> WorkingTreeCatchUp {
        let operation = "bring the working tree up to HEAD"
        guard let head = try resolve(reference: "HEAD") else { return .upToDate }
        let index = try repositoryIndex()
        try git(operation) { git_index_read(index, 0) }
        let behind = try indexTree(index)
        let target = try treeID(ofCommit: head)
        guard behind != target else { return .upToDate }
        // The trees just written are on disk before the index that names them is.
        try writePendingObjects()
        let paths = try differingPaths(fromTree: behind, toTree: target)
        do {
            try checkout(tree: target, baseline: behind, paths: paths, operation)
            return .caughtUp
        } catch {
            guard error.isConflict else { throw error }
        }
        // Something is in the way: find what (a status of the working tree against the index), and move the rest.
        let changed = try uncommittedPaths(limit: Int.max, workingTreeOnly: true)
        func overlap(_ one: String, _ other: String) -> Bool {
            one == other || one.hasPrefix(other + "/") || other.hasPrefix(one + "/")
        }
        // A folder new (or gone) as a whole is one path: where a file of it is in the way, go file by file.
        var candidates: [String] = []
        for path in paths {
            if changed.contains(where: { overlap($0, path) }) {
                candidates += try files(under: path, in: [behind, target])
            } else {
                candidates.append(path)
            }
        }
        let blocked = candidates.filter { path in changed.contains { overlap($0, path) } }
        try checkout(tree: target, baseline: behind, paths: candidates.filter { !blocked.contains($0) }, operation)
        guard !blocked.isEmpty else { return .caughtUp }
        return .heldBack(changed.filter { file in blocked.contains { overlap(file, $0) } })
    }

    /// The files under `path` in any of `trees` when it is a folder in one of them and a file in none; else `path`.
    private func files(under path: String, in trees: [OID]) throws(GitError) -> [String] {
        var files: [String] = []
        for tree in trees {
            let folder = try withTree(tree) { (root) throws(GitError) -> (isTree: Bool, id: OID)? in
                var entry: OpaquePointer?
                guard try gitFound("read \(path)", { git_tree_entry_bypath(&entry, root, path) }) else { return nil }
                defer { git_tree_entry_free(entry) }
                return (git_tree_entry_type(entry) == GIT_OBJECT_TREE, OID(git_tree_entry_id(entry)))
            }
            guard let folder else { continue }
            guard folder.isTree else { return [path] }
            try collectPaths(inTree: folder.id, prefix: path + "/", into: &files)
        }
        return files.isEmpty ? [path] : Array(Set(files)).sorted()
    }

    /// Moves branch `target` from `old` to `new` by compare-and-swap, as ``land(branch:startedAt:onto:expectedTip:branchTip:message:trailerKey:trailerValue:author:committer:)``
    /// moves it: when HEAD is on `target`, the working tree and index follow first (a safe checkout against `old`'s
    /// tree, so a file changed since is kept and stops the move with `isConflict`, `target` unmoved).
    ///
    /// It puts back a branch someone else moved: `old` is where they left it, `new` where it belongs.
    public func moveBranch(_ target: String, from old: OID, to new: OID, reflog: String) throws(GitError) {
        let operation = "move \(target)"
        try move(
            target,
            from: (old, try treeID(ofCommit: old)),
            to: (new, try treeID(ofCommit: new)),
            reflog: reflog,
            operation: operation
        )
    }

    /// The value of trailer `key` in a commit message (the last one when it is given twice), nil when it has none.
    ///
    /// Trailers are read as `git interpret-trailers` does (libgit2's `git_message_trailers`): `Key: value` lines in
    /// the message's last paragraph.
    public static func trailer(_ key: String, in message: String) -> String? {
        var trailers = git_message_trailer_array()
        guard git_message_trailers(&trailers, message) == 0 else { return nil }
        defer { git_message_trailer_array_free(&trailers) }
        var value: String?
        for index in 0..<trailers.count {
            let trailer = trailers.trailers[index]
            guard let rawKey = trailer.key, let rawValue = trailer.value else { continue }
            if String(cString: rawKey) == key { value = String(cString: rawValue) }
        }
        return value
    }

    // MARK: - Helpers

    /// The paths a merge could not resolve, carried as a `Result` failure.
    struct MergeConflicts: Error {
        let paths: [MergeConflict]
    }

    /// Merges three trees in memory (rename detection on, libgit2's default) and writes the result tree.
    func mergeTrees(
        ancestor: OID,
        ours: OID,
        theirs: OID,
        operation: String
    ) throws(GitError) -> Result<OID, MergeConflicts> {
        var options = git_merge_options()
        try git(operation) { git_merge_options_init(&options, UInt32(GIT_MERGE_OPTIONS_VERSION)) }
        return try withTree(ancestor) { (ancestorTree) throws(GitError) in
            try withTree(ours) { (oursTree) throws(GitError) in
                try withTree(theirs) { (theirsTree) throws(GitError) in
                    var index: OpaquePointer?
                    try git(operation) {
                        git_merge_trees(&index, pointer, ancestorTree, oursTree, theirsTree, &options)
                    }
                    defer { git_index_free(index) }
                    if git_index_has_conflicts(index) != 0 {
                        return .failure(MergeConflicts(paths: try conflicts(in: index, operation: operation)))
                    }
                    var tree = git_oid()
                    // `_to`: the merge index lives in memory and has no repository of its own.
                    try git(operation) { git_index_write_tree_to(&tree, index, pointer) }
                    return .success(OID(tree))
                }
            }
        }
    }

    /// The newest commit on the first-parent line from `tip` down to (not including) `base` whose message carries
    /// trailer `key` with `value`; nil when none does.
    ///
    /// Walks to the root when `base` is not on that line.
    private func commitCarrying(
        _ key: String,
        _ value: String,
        from tip: OID,
        downTo base: OID,
        operation: String
    ) throws(GitError) -> OID? {
        var current: OID? = tip
        while let oid = current, oid != base {
            let (message, parent) = try withCommit(oid) { (commit) -> (String, OID?) in
                let message = git_commit_message(commit).map { String(cString: $0) } ?? ""
                let parent = git_commit_parentcount(commit) > 0 ? git_commit_parent_id(commit, 0).map(OID.init) : nil
                return (message, parent)
            }
            if Self.trailer(key, in: message) == value { return oid }
            current = parent
        }
        return nil
    }

    /// `message` with `trailer` added: on a line of its own in the trailer paragraph when the message ends with one,
    /// else in a new paragraph.
    static func adding(trailer: String, to message: String) -> String {
        var text = message
        while text.last?.isNewline == true { text.removeLast() }
        var trailers = git_message_trailer_array()
        var hasTrailers = false
        if git_message_trailers(&trailers, text) == 0 {
            hasTrailers = trailers.count > 0
            git_message_trailer_array_free(&trailers)
        }
        return text + (hasTrailers ? "\n" : "\n\n") + trailer + "\n"
    }
}
