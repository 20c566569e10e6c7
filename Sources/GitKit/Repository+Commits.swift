internal import CGit2
import Foundation

extension Repository {
    // MARK: - Working tree

    /// True when the working tree or the index differs from HEAD, counting untracked files that are not ignored.
    public func hasUncommittedChanges() throws(GitError) -> Bool {
        try !uncommittedPaths(limit: 1).isEmpty
    }

    /// The paths that differ from HEAD in the index or the working tree, sorted, at most `limit` of them.
    ///
    /// Untracked ones are included (ignored ones not): what `git status --porcelain` lists. With `workingTreeOnly`,
    /// only the working tree's changes against the index and the untracked files, each file named (an index left
    /// behind HEAD by landings counts as nobody's change).
    public func uncommittedPaths(limit: Int = 20, workingTreeOnly: Bool = false) throws(GitError) -> [String] {
        var options = git_status_options()
        try git("status") { git_status_options_init(&options, UInt32(GIT_STATUS_OPTIONS_VERSION)) }
        options.show = workingTreeOnly ? GIT_STATUS_SHOW_WORKDIR_ONLY : GIT_STATUS_SHOW_INDEX_AND_WORKDIR
        options.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED.rawValue | GIT_STATUS_OPT_EXCLUDE_SUBMODULES.rawValue
        if workingTreeOnly { options.flags |= GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS.rawValue }
        var list: OpaquePointer?
        try git("status") { git_status_list_new(&list, pointer, &options) }
        defer { git_status_list_free(list) }
        var paths: [String] = []
        for index in 0..<git_status_list_entrycount(list) {
            guard let entry = git_status_byindex(list, index) else { continue }
            let delta = entry.pointee.index_to_workdir ?? entry.pointee.head_to_index
            guard let delta, let path = delta.pointee.new_file.path ?? delta.pointee.old_file.path else { continue }
            paths.append(String(cString: path))
        }
        return Array(paths.sorted().prefix(limit))
    }

    /// Makes the index match `commit`'s tree (empty when nil), leaving the working tree alone: `git reset --mixed`.
    public func resetIndex(toCommit commit: OID?) throws(GitError) {
        let index = try repositoryIndex()
        if let commit {
            let tree = try treeID(ofCommit: commit)
            _ = try withTree(tree) { (root) throws(GitError) in
                try git("reset the index") { git_index_read_tree(index, root) }
            }
        } else {
            try git("reset the index") { git_index_clear(index) }
        }
        try writeIndex(index)
    }

    /// Writes the index file, after any objects waiting in memory that its entries may name.
    private func writeIndex(_ index: OpaquePointer) throws(GitError) {
        try writePendingObjects()
        try git("write index") { git_index_write(index) }
    }

    /// Stages everything and commits it on the current branch: `git add -A && git commit`.
    ///
    /// Additions, modifications and deletions are staged; `.gitignore` is respected, except under the paths in
    /// `forcing` (`git add --force`), whose files are committed whatever it says. The commit's parent is the
    /// current tip (none on an unborn branch), and the branch moves by compare-and-swap, so a concurrent move
    /// throws `isModified` instead of being overwritten. With HEAD detached, HEAD itself moves.
    /// - Returns: the new commit, or nil when the tree equals HEAD's and `allowEmpty` is false.
    @discardableResult
    public func commitWorkingTree(
        message: String,
        author: Signature,
        committer: Signature,
        allowEmpty: Bool = false,
        forcing forced: [String] = []
    ) throws(GitError) -> OID? {
        let index = try repositoryIndex()
        try git("read index") { git_index_read(index, 0) }
        try stageAll(into: index, forcing: forced)
        let commit = try commitIndex(
            index,
            message: message,
            author: author,
            committer: committer,
            allowEmpty: allowEmpty
        )
        indexWrittenAfterStaging()
        return commit
    }

    /// Stages `paths` alone and commits the index on the current branch: `git add -A -- PATHS && git commit`.
    ///
    /// Each path is a file of the working tree, added or updated, or removed from the index when it is gone. Nothing
    /// else of the working tree is read, so a commit costs what the paths and the index cost, not a walk of every
    /// file (a batch's branch holds four files a unit). The branch moves as ``commitWorkingTree(message:author:
    /// committer:allowEmpty:forcing:)`` moves it.
    /// - Returns: the new commit, or nil when the tree equals HEAD's.
    @discardableResult
    public func commitFiles(
        _ paths: [String],
        message: String,
        author: Signature,
        committer: Signature
    ) throws(GitError) -> OID? {
        let index = try repositoryIndex()
        try git("read index") { git_index_read(index, 0) }
        let root = workingDirectory?.path ?? ""
        for path in paths {
            if FileManager.default.fileExists(atPath: root + "/" + path) {
                try git("add \(path)") { git_index_add_bypath(index, path) }
            } else if git_index_get_bypath(index, path, 0) != nil {
                try git("remove \(path)") { git_index_remove_bypath(index, path) }
            }
        }
        return try commitIndex(index, message: message, author: author, committer: committer, allowEmpty: false)
    }

    /// Writes the index's tree and commits it on the current branch (HEAD itself when detached), unless the tree is
    /// HEAD's and `allowEmpty` is false; the branch moves by compare-and-swap.
    private func commitIndex(
        _ index: OpaquePointer,
        message: String,
        author: Signature,
        committer: Signature,
        allowEmpty: Bool
    ) throws(GitError) -> OID? {
        let tree = try indexTree(index)

        let target = try symbolicHeadTarget() ?? "HEAD"
        let tip = try resolve(reference: target)
        if !allowEmpty {
            let unchanged = try tip.map { (tip) throws(GitError) in try treeID(ofCommit: tip) == tree }
            if unchanged ?? (git_index_entrycount(index) == 0) {
                try writeIndex(index)
                return nil
            }
        }
        let commit = try commit(
            tree: tree,
            parents: tip.map { [$0] } ?? [],
            message: message,
            author: author,
            committer: committer
        )
        // The blobs, trees and commit go to disk (one pack when batching) before the index and the branch name them.
        try writeIndex(index)
        try updateReference(target, to: commit, expected: tip, message: "commit: \(Self.firstLine(of: message))")
        return commit
    }

    /// The files under the working tree's folders `folders` that the index does not track after `git_index_add_all`:
    /// the ones `.gitignore` kept out, as repository paths.
    ///
    /// Found by listing the folders (`readdir`, no `stat` of the files) and asking the index for each name, so the
    /// cost does not grow with the rest of the working tree, nor with reading every file already committed there (a
    /// long job's `archive/` has one per phase). A status with the folders as pathspecs walked and compared the whole
    /// working tree a second time.
    func forcedFiles(under folders: [String], in index: OpaquePointer) throws(GitError) -> [String] {
        guard let root = workingDirectory?.path, !folders.isEmpty else { return [] }
        var paths: [String] = []
        var pending = folders.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        while let folder = pending.popLast() {
            guard let directory = opendir(root + "/" + folder) else { continue }
            defer { closedir(directory) }
            while let entry = readdir(directory) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                    String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
                }
                guard name != ".", name != "..", name != ".git" else { continue }
                let path = folder + "/" + name
                var type = Int32(entry.pointee.d_type)
                if type == Int32(DT_UNKNOWN) {
                    var info = stat()
                    guard lstat(root + "/" + path, &info) == 0 else { continue }
                    type = (info.st_mode & S_IFMT) == S_IFDIR ? Int32(DT_DIR) : Int32(DT_REG)
                }
                if type == Int32(DT_DIR) {
                    pending.append(path)
                } else if git_index_get_bypath(index, path, 0) == nil {
                    paths.append(path)
                }
            }
        }
        return paths.sorted()
    }

    // MARK: - Objects without a working tree

    /// Writes a blob; returns its id.
    public func writeBlob(_ contents: Data) throws(GitError) -> OID {
        try writeObject(contents, type: GIT_OBJECT_BLOB)
    }

    /// The id `contents` has as a blob, computed without writing anything.
    public static func blobID(of contents: Data) throws(GitError) -> OID {
        var raw = git_oid()
        let code = contents.withUnsafeBytes { bytes in
            git_odb_hash(&raw, bytes.baseAddress, bytes.count, GIT_OBJECT_BLOB)
        }
        try git("hash blob") { code }
        return OID(raw)
    }

    /// Writes a whole tree of blobs already written (``writeBlob(_:)``), by path; nested paths create subtrees.
    ///
    /// For a tree of which only some files change: the others are named by id, not written (and looked up) again.
    /// - Parameter trees: folders already written (by ``writeTree(blobs:trees:)`` or otherwise), by path, whose
    ///   files `blobs` must not name again.
    public func writeTree(blobs: [String: OID], trees: [String: OID] = [:]) throws(GitError) -> OID {
        var root = PendingTree()
        for (path, blob) in blobs {
            try root.insert(blob, at: try Self.treePath(path))
        }
        for (path, tree) in trees {
            try root.insert(tree, at: try Self.treePath(path), folder: true)
        }
        return try write(root)
    }

    /// Writes a whole tree from file contents, without touching the index or the working tree.
    ///
    /// - Parameter files: contents by path; nested paths (`a/b/c.txt`) create subtrees.
    /// - Returns: the id of the root tree.
    public func writeTree(_ files: [String: Data]) throws(GitError) -> OID {
        var root = PendingTree()
        for (path, contents) in files {
            let components = try Self.treePath(path)
            try root.insert(try writeBlob(contents), at: components)
        }
        return try write(root)
    }

    /// The components of a path in a tree; throws for an empty one or one with `.` or `..`.
    private static func treePath(_ path: String) throws(GitError) -> ArraySlice<String> {
        let components = path.split(separator: "/").map(String.init)
        guard !components.isEmpty, !components.contains("."), !components.contains(".."), !components.contains(".git"),
            !path.utf8.contains(0)
        else {
            throw GitError(
                code: GIT_EINVALIDSPEC.rawValue,
                message: "invalid path \"\(path)\"",
                operation: "write tree"
            )
        }
        return components[...]
    }

    /// Writes a commit object; no reference moves (use `updateReference` for that).
    ///
    /// A message without a final newline gets one, as `git commit` does.
    public func commit(
        tree: OID,
        parents: [OID],
        message: String,
        author: Signature,
        committer: Signature
    ) throws(GitError) -> OID {
        var parentCommits: [OpaquePointer?] = []
        defer { parentCommits.forEach { git_commit_free($0) } }
        for parent in parents {
            var raw = parent.raw
            var commit: OpaquePointer?
            try git("look up commit \(parent)") { git_commit_lookup(&commit, pointer, &raw) }
            parentCommits.append(commit)
        }
        let text = message.hasSuffix("\n") ? message : message + "\n"
        // The commit's bytes as libgit2 makes them, written like any object (``writeObject(_:type:)``).
        var buffer = git_buf()
        defer { git_buf_dispose(&buffer) }
        try withTree(tree) { (treeObject) throws(GitError) in
            try withSignature(author) { (authorSignature) throws(GitError) in
                try withSignature(committer) { (committerSignature) throws(GitError) in
                    let count = parentCommits.count
                    let code = parentCommits.withUnsafeMutableBufferPointer { parents in
                        parents.withMemoryRebound(to: OpaquePointer?.self) { rebound in
                            git_commit_create_buffer(
                                &buffer,
                                pointer,
                                authorSignature,
                                committerSignature,
                                nil,
                                text,
                                treeObject,
                                count,
                                rebound.baseAddress
                            )
                        }
                    }
                    try git("commit") { code }
                }
            }
        }
        return try writeObject(UnsafeRawBufferPointer(start: buffer.ptr, count: buffer.size), type: GIT_OBJECT_COMMIT)
    }

    // MARK: - Helpers

    /// The first line of a commit message, for reflog entries.
    static func firstLine(of message: String) -> String {
        String(message.prefix { !$0.isNewline })
    }

    /// Writes `tree` and its subtrees bottom-up; returns the root's id.
    private func write(_ tree: PendingTree) throws(GitError) -> OID {
        // Git's order: by name, a folder's name compared as if it ended in a slash.
        var entries: [(key: [UInt8], folder: Bool, id: OID)] = tree.files.map { (Array($0.key.utf8), false, $0.value) }
        for (name, subtree) in tree.directories {
            entries.append((Array(name.utf8) + [0x2F], true, try write(subtree)))
        }
        for (name, written) in tree.written { entries.append((Array(name.utf8) + [0x2F], true, written)) }
        entries.sort { $0.key.lexicographicallyPrecedes($1.key) }
        var body: [UInt8] = []
        for entry in entries {
            body.append(contentsOf: entry.folder ? Array("40000 ".utf8) : Array("100644 ".utf8))
            body.append(contentsOf: entry.folder ? entry.key.dropLast() : entry.key[...])
            body.append(0)
            var raw = entry.id.raw
            withUnsafeBytes(of: &raw) { body.append(contentsOf: $0.prefix(20)) }
        }
        return try writeObject(body, type: GIT_OBJECT_TREE)
    }

    /// A directory being assembled by `writeTree`: blobs, subdirectories, and subdirectories already written, by
    /// name.
    private struct PendingTree {
        var files: [String: OID] = [:]
        var directories: [String: PendingTree] = [:]
        var written: [String: OID] = [:]

        /// Adds a blob (or a written tree, with `folder`) at a relative path; throws when a name is taken.
        mutating func insert(_ id: OID, at path: ArraySlice<String>, folder: Bool = false) throws(GitError) {
            guard add(id, at: path, folder: folder) else {
                throw GitError(
                    code: GIT_EEXISTS.rawValue,
                    message: "\"\(path.joined(separator: "/"))\" is both a file and a directory",
                    operation: "write tree"
                )
            }
        }

        private func taken(_ name: String) -> Bool {
            files[name] != nil || directories[name] != nil || written[name] != nil
        }

        private mutating func add(_ id: OID, at path: ArraySlice<String>, folder: Bool) -> Bool {
            guard let name = path.first else { return false }
            if path.count == 1 {
                guard !taken(name) else { return false }
                if folder { written[name] = id } else { files[name] = id }
                return true
            }
            guard files[name] == nil, written[name] == nil else { return false }
            return directories[name, default: PendingTree()].add(id, at: path.dropFirst(), folder: folder)
        }
    }
}
