internal import CGit2
import Foundation

extension Repository {
    // MARK: - Commits

    /// A value copy of one commit.
    public func commitInfo(_ oid: OID) throws(GitError) -> CommitInfo {
        try withCommit(oid) { commit in
            let parents = (0..<git_commit_parentcount(commit)).compactMap { index in
                git_commit_parent_id(commit, index).map { OID($0) }
            }
            return CommitInfo(
                oid: oid,
                tree: OID(git_commit_tree_id(commit)),
                parents: parents,
                message: git_commit_message(commit).map { String(cString: $0) } ?? "",
                summary: git_commit_summary(commit).map { String(cString: $0) } ?? "",
                author: Self.signature(git_commit_author(commit)),
                committer: Self.signature(git_commit_committer(commit))
            )
        }
    }

    /// Commits reachable from `from`, newest first (parents after their children).
    ///
    /// - Parameters:
    ///   - limit: at most this many commits; nil for all.
    ///   - firstParentOnly: follow only first parents, as `git log --first-parent` does.
    public func log(from: OID, limit: Int? = nil, firstParentOnly: Bool = true) throws(GitError) -> [CommitInfo] {
        if firstParentOnly {
            // Parent by parent through `git_commit_lookup`, which libgit2 caches: a revision walk reads each commit
            // from the object database again (a loose one is a file to open and inflate), every time it is asked.
            var commits: [CommitInfo] = []
            var next: OID? = from
            while let oid = next, limit.map({ commits.count < $0 }) ?? true {
                let info = try commitInfo(oid)
                commits.append(info)
                next = info.parents.first
            }
            return commits
        }
        var walker: OpaquePointer?
        try git("log") { git_revwalk_new(&walker, pointer) }
        defer { git_revwalk_free(walker) }
        let sorting = firstParentOnly ? GIT_SORT_NONE.rawValue : GIT_SORT_TOPOLOGICAL.rawValue | GIT_SORT_TIME.rawValue
        try git("log") { git_revwalk_sorting(walker, sorting) }
        if firstParentOnly {
            try git("log") { git_revwalk_simplify_first_parent(walker) }
        }
        var start = from.raw
        try git("log from \(from)") { git_revwalk_push(walker, &start) }
        var commits: [CommitInfo] = []
        while limit.map({ commits.count < $0 }) ?? true {
            var next = git_oid()
            let code = git_revwalk_next(&next, walker)
            if code == GIT_ITEROVER.rawValue { break }
            try git("log from \(from)") { code }
            commits.append(try commitInfo(OID(next)))
        }
        return commits
    }

    // MARK: - Trees

    /// The contents of the file at `path` in `commit`; nil when there is no file (or only a directory) there.
    public func fileContents(_ path: String, at commit: OID) throws(GitError) -> Data? {
        let tree = try treeID(ofCommit: commit)
        return try withTree(tree) { (root) throws(GitError) -> Data? in
            var entry: OpaquePointer?
            guard try gitFound("read \(path)", { git_tree_entry_bypath(&entry, root, path) }) else { return nil }
            defer { git_tree_entry_free(entry) }
            guard git_tree_entry_type(entry) == GIT_OBJECT_BLOB else { return nil }
            var blob: OpaquePointer?
            try git("read \(path)") { git_blob_lookup(&blob, pointer, git_tree_entry_id(entry)) }
            defer { git_blob_free(blob) }
            let size = Int(git_blob_rawsize(blob))
            guard size > 0, let bytes = git_blob_rawcontent(blob) else { return Data() }
            return Data(bytes: bytes, count: size)
        }
    }

    /// Every file path in `commit`'s tree (subdirectories included, directories themselves not), sorted.
    public func filePaths(at commit: OID) throws(GitError) -> [String] {
        var paths: [String] = []
        try collectPaths(inTree: try treeID(ofCommit: commit), prefix: "", into: &paths)
        return paths.sorted()
    }

    /// Paths that differ between two commits' trees, sorted; with `from` nil, every path of `to`.
    public func changedPaths(from: OID?, to: OID) throws(GitError) -> [String] {
        let newTree = try treeID(ofCommit: to)
        let oldTree = try from.map { (oid) throws(GitError) in try treeID(ofCommit: oid) }
        var options = git_diff_options()
        try git("diff") { git_diff_options_init(&options, UInt32(GIT_DIFF_OPTIONS_VERSION)) }
        options.flags = GIT_DIFF_SKIP_BINARY_CHECK.rawValue
        return try withTree(newTree) { (new) throws(GitError) in
            try withOptionalTree(oldTree) { (old) throws(GitError) in
                var diff: OpaquePointer?
                try git("diff \(from?.hex ?? "empty tree")..\(to)") {
                    git_diff_tree_to_tree(&diff, pointer, old, new, &options)
                }
                defer { git_diff_free(diff) }
                var paths = Set<String>()
                for index in 0..<git_diff_num_deltas(diff) {
                    guard let delta = git_diff_get_delta(diff, index) else { continue }
                    if let path = delta.pointee.old_file.path { paths.insert(String(cString: path)) }
                    if let path = delta.pointee.new_file.path { paths.insert(String(cString: path)) }
                }
                return paths.sorted()
            }
        }
    }

    // MARK: - Graph

    /// True when `ancestor` is reachable from `descendant` (also when they are equal).
    public func isAncestor(_ ancestor: OID, of descendant: OID) throws(GitError) -> Bool {
        if try firstParentLine(from: descendant, reaches: ancestor) { return true }
        var rawAncestor = ancestor.raw
        var rawDescendant = descendant.raw
        return try git("is \(ancestor) an ancestor of \(descendant)") {
            git_graph_descendant_of(pointer, &rawDescendant, &rawAncestor)
        } == 1
    }

    /// The best common ancestor of two commits; nil when their histories are unrelated.
    public func mergeBase(_ a: OID, _ b: OID) throws(GitError) -> OID? {
        if try firstParentLine(from: b, reaches: a) { return a }
        if try firstParentLine(from: a, reaches: b) { return b }
        var rawA = a.raw
        var rawB = b.raw
        var base = git_oid()
        guard try gitFound("merge base of \(a) and \(b)", { git_merge_base(&base, pointer, &rawA, &rawB) }) else {
            return nil
        }
        return OID(base)
    }

    /// Whether `ancestor` is `descendant` or one of its first `limit` first parents: the usual case of a branch and
    /// the commit it started from, answered by reading those few commits.
    ///
    /// libgit2's merge base (and `git_graph_descendant_of`, built on it) paints both sides down by commit time, and
    /// among commits made in the same second, as a job's are, the side already painted runs ahead of the wave that
    /// marks it stale: it reads the whole history below the answer (1.2 ms at phase 300 of the bench job, 0.3 ms at
    /// phase 10). A first parent read here is a commit libgit2 would read anyway; a miss costs at most `limit` of them.
    private func firstParentLine(from descendant: OID, reaches ancestor: OID, limit: Int = 32) throws(GitError)
        -> Bool
    {
        var next: OID? = descendant
        var read = 0
        while let oid = next {
            if oid == ancestor { return true }
            guard read < limit else { return false }
            next = try withCommit(oid) { commit in
                git_commit_parentcount(commit) > 0 ? git_commit_parent_id(commit, 0).map(OID.init) : nil
            }
            read += 1
        }
        return false
    }

    // MARK: - Helpers

    /// Copies a signature that libgit2 owns; its date has seconds precision.
    static func signature(_ raw: UnsafePointer<git_signature>?) -> Signature {
        guard let raw else { return Signature(name: "", email: "", date: nil) }
        return Signature(
            name: raw.pointee.name.map { String(cString: $0) } ?? "",
            email: raw.pointee.email.map { String(cString: $0) } ?? "",
            date: Date(timeIntervalSince1970: TimeInterval(raw.pointee.when.time))
        )
    }

    /// Lends a tree (or nil for the empty tree) to `body`.
    private func withOptionalTree<T>(
        _ oid: OID?,
        _ body: (OpaquePointer?) throws(GitError) -> T
    ) throws(GitError) -> T {
        guard let oid else { return try body(nil) }
        return try withTree(oid) { (tree) throws(GitError) in try body(tree) }
    }

    /// Appends the paths of all non-directory entries below `tree`, each prefixed with `prefix`.
    func collectPaths(inTree tree: OID, prefix: String, into paths: inout [String]) throws(GitError) {
        var subtrees: [(String, OID)] = []
        try withTree(tree) { object in
            for index in 0..<git_tree_entrycount(object) {
                guard let entry = git_tree_entry_byindex(object, index), let name = git_tree_entry_name(entry) else {
                    continue
                }
                let path = prefix + String(cString: name)
                if git_tree_entry_type(entry) == GIT_OBJECT_TREE {
                    subtrees.append((path + "/", OID(git_tree_entry_id(entry))))
                } else {
                    paths.append(path)
                }
            }
        }
        for (subPrefix, subtree) in subtrees {
            try collectPaths(inTree: subtree, prefix: subPrefix, into: &paths)
        }
    }
}
