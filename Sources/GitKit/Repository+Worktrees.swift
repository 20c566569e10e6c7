internal import CGit2
import Foundation

/// A linked worktree of a repository (`git worktree`): a second working tree with its own HEAD and index that
/// shares the repository's objects and references.
public struct Worktree: Sendable, Equatable {
    /// The worktree's name: its administrative folder under the repository's `worktrees/`.
    public let name: String
    /// The working tree's root.
    public let path: URL
    /// The branch its HEAD is on (short name); nil when detached or when the worktree is not valid.
    public let branch: String?
    /// Whether it is locked (a locked worktree is never pruned by ``Repository/pruneWorktrees()``).
    public let isLocked: Bool
    /// Whether its folders are all in place (`git_worktree_validate`); a worktree whose working tree was deleted
    /// by hand is not.
    public let isValid: Bool
}

/// How ``Repository/addWorktree(name:at:branch:from:)`` came by the worktree it returns.
public enum WorktreeOrigin: Sendable, Equatable {
    /// Made now, on a branch made now at the given commit.
    case created
    /// Made now, on the branch that already existed (its commits are kept; it was not moved).
    case createdOnExistingBranch
    /// An earlier run made it (on the same branch, at the same path) and it was intact: it is used as it is.
    case adopted
}

extension Repository {
    // MARK: - Adding

    /// Adds a linked worktree named `name` at `path`, on the local branch `branch`, made at `commit` when it does not
    /// exist (`git worktree add -b <branch> <path> <commit>`).
    ///
    /// Safe to call again after a crash at any point of an earlier call or of the work in the worktree:
    /// - an intact worktree of that name, at that path and on that branch is adopted as it is (its uncommitted files
    ///   too), so a rerun does not lose what a killed run left;
    /// - a worktree of that name that is broken, half made (libgit2 writes its folders one by one, with no
    ///   transaction), elsewhere or on another branch is pruned with its working tree and made again;
    /// - a leftover folder at `path` that belongs to no worktree is deleted (it is only ever a remnant of one);
    /// - an existing `branch` is kept where it is, with its commits (libgit2 refuses a branch checked out elsewhere).
    ///
    /// Missing parent folders of `path` are made. Worktrees whose folders were deleted are pruned first, since
    /// libgit2 1.5 looks at every worktree's HEAD when it checks whether a branch is checked out.
    /// - Returns: the worktree and how it came about.
    @discardableResult
    public func addWorktree(
        name: String,
        at path: URL,
        branch: String,
        from commit: OID
    ) throws(GitError) -> (worktree: Worktree, origin: WorktreeOrigin) {
        try addWorktree(name: name, at: path, branch: branch, from: commit, checkingOut: true)
    }

    /// As ``addWorktree(name:at:branch:from:)``; without `checkingOut` the working tree is left empty (its `.git`
    /// file alone) and without an index, for a caller that fills it.
    func addWorktree(
        name: String,
        at path: URL,
        branch: String,
        from commit: OID,
        checkingOut: Bool
    ) throws(GitError) -> (worktree: Worktree, origin: WorktreeOrigin) {
        let operation = "add worktree \(name)"
        let path = path.standardizedFileURL
        if let existing = try worktree(named: name) {
            if existing.isValid, existing.branch == branch, Self.samePath(existing.path, path) {
                return (existing, .adopted)
            }
            try removeWorktree(name)
        }
        _ = try pruneWorktrees()
        if FileManager.default.fileExists(atPath: path.path) {
            try removeFolder(path, operation: operation)
        }
        do {
            try FileManager.default.createDirectory(
                at: path.deletingLastPathComponent(),
                withIntermediateDirectories: true
            )
        } catch {
            throw GitError(
                code: GIT_ERROR.rawValue,
                message:
                    "cannot make the folder \(path.deletingLastPathComponent().path): \(error.localizedDescription)",
                operation: operation
            )
        }

        let origin: WorktreeOrigin
        if try branchTip(branch) == nil {
            try createBranch(branch, at: commit)
            origin = .created
        } else {
            origin = .createdOnExistingBranch
        }
        var reference: OpaquePointer?
        try git(operation) { git_branch_lookup(&reference, pointer, branch, GIT_BRANCH_LOCAL) }
        defer { git_reference_free(reference) }
        var options = git_worktree_add_options()
        try git(operation) { git_worktree_add_options_init(&options, UInt32(GIT_WORKTREE_ADD_OPTIONS_VERSION)) }
        options.ref = reference
        if !checkingOut { options.checkout_options.checkout_strategy = GIT_CHECKOUT_NONE.rawValue }
        var added: OpaquePointer?
        try git(operation) { git_worktree_add(&added, pointer, name, path.path, &options) }
        git_worktree_free(added)
        guard let made = try worktree(named: name) else {
            throw GitError(code: GIT_ERROR.rawValue, message: "libgit2 made no worktree \(name)", operation: operation)
        }
        return (made, origin)
    }

    // MARK: - Listing

    /// Every linked worktree, by name (the main working tree is not one).
    public func worktrees() throws(GitError) -> [Worktree] {
        var names = git_strarray()
        try git("list worktrees") { git_worktree_list(&names, pointer) }
        defer { git_strarray_dispose(&names) }
        var found: [Worktree] = []
        for index in 0..<names.count {
            guard let raw = names.strings[index] else { continue }
            if let worktree = try worktree(named: String(cString: raw)) { found.append(worktree) }
        }
        return found.sorted { $0.name < $1.name }
    }

    /// The linked worktree named `name`, or nil when there is none.
    ///
    /// A half-made administrative folder (libgit2 writes its files one by one) is a worktree that is not valid, with
    /// the path its `gitdir` file names, if it has one.
    public func worktree(named name: String) throws(GitError) -> Worktree? {
        let administrative = administrativeFolder(of: name)
        guard FileManager.default.fileExists(atPath: administrative.path) else { return nil }
        guard Self.isCompleteAdministrativeFolder(administrative) else {
            return Worktree(
                name: name,
                path: Self.recordedPath(in: administrative) ?? administrative,
                branch: nil,
                isLocked: FileManager.default.fileExists(atPath: administrative.appendingPathComponent("locked").path),
                isValid: false
            )
        }
        let preparing = FileManager.default.fileExists(
            atPath: administrative.appendingPathComponent(Self.preparingMarker).path
        )
        return try withWorktree(name) { (handle) throws(GitError) in
            guard let handle else { return nil }
            let valid = git_worktree_validate(handle) == 0 && !preparing
            let locked = git_worktree_is_locked(nil, handle)
            try git("read the lock of worktree \(name)") { locked < 0 ? locked : 0 }
            let path = git_worktree_path(handle).map { String(cString: $0) } ?? ""
            var branch: String?
            if valid {
                var repository: OpaquePointer?
                if git_repository_open_from_worktree(&repository, handle) == 0 {
                    defer { git_repository_free(repository) }
                    branch = Self.headBranch(of: repository)
                }
            }
            return Worktree(
                name: name,
                path: URL(fileURLWithPath: path, isDirectory: true).standardizedFileURL,
                branch: branch,
                isLocked: locked > 0,
                isValid: valid
            )
        }
    }

    // MARK: - Locking

    /// Locks a worktree with a reason (`git worktree lock`), so that pruning leaves it alone; locking a locked
    /// worktree again is not an error.
    public func lockWorktree(_ name: String, reason: String) throws(GitError) {
        try withExistingWorktree(name, "lock worktree \(name)") { (handle) throws(GitError) in
            let code = git_worktree_lock(handle, reason)
            // libgit2 answers GIT_ELOCKED when the worktree is locked already.
            if code == GIT_ELOCKED.rawValue { return }
            try git("lock worktree \(name)") { code }
        }
    }

    /// Unlocks a worktree; unlocking one that is not locked is not an error.
    public func unlockWorktree(_ name: String) throws(GitError) {
        try withExistingWorktree(name, "unlock worktree \(name)") { (handle) throws(GitError) in
            let code = git_worktree_unlock(handle)
            try git("unlock worktree \(name)") { code < 0 ? code : 0 }
        }
    }

    // MARK: - Removing

    /// Removes a worktree with its working tree, locked or not (`git worktree remove --force`); returns false when
    /// there was none.
    ///
    /// Its branch is kept (delete it with ``deleteBranch(_:)``).
    ///
    /// What libgit2 leaves behind (it deletes the folders one by one, so a crash may leave a part) is deleted too.
    @discardableResult
    public func removeWorktree(_ name: String) throws(GitError) -> Bool {
        let operation = "remove worktree \(name)"
        let administrative = administrativeFolder(of: name)
        guard let existing = try worktree(named: name) else { return false }
        if Self.isCompleteAdministrativeFolder(administrative) {
            try pruneForcibly(name, operation: operation)
        }
        for folder in [existing.path, administrative] where FileManager.default.fileExists(atPath: folder.path) {
            try removeFolder(folder, operation: operation)
        }
        return true
    }

    /// Prunes a worktree whether it is valid or locked, with its working tree.
    private func pruneForcibly(_ name: String, operation: String) throws(GitError) {
        try withExistingWorktree(name, operation) { (handle) throws(GitError) in
            var options = git_worktree_prune_options()
            try git(operation) {
                git_worktree_prune_options_init(&options, UInt32(GIT_WORKTREE_PRUNE_OPTIONS_VERSION))
            }
            options.flags =
                GIT_WORKTREE_PRUNE_VALID.rawValue | GIT_WORKTREE_PRUNE_LOCKED.rawValue
                | GIT_WORKTREE_PRUNE_WORKING_TREE.rawValue
            try git(operation) { git_worktree_prune(handle, &options) }
        }
    }

    /// Prunes the worktrees that are no longer valid (their working tree was deleted) and not locked
    /// (`git worktree prune`); returns their names.
    @discardableResult
    public func pruneWorktrees() throws(GitError) -> [String] {
        var pruned: [String] = []
        for worktree in try worktrees() where !worktree.isValid && !worktree.isLocked {
            try withExistingWorktree(worktree.name, "prune worktree \(worktree.name)") { (handle) throws(GitError) in
                var options = git_worktree_prune_options()
                try git("prune worktree \(worktree.name)") {
                    git_worktree_prune_options_init(&options, UInt32(GIT_WORKTREE_PRUNE_OPTIONS_VERSION))
                }
                try git("prune worktree \(worktree.name)") { git_worktree_prune(handle, &options) }
            }
            pruned.append(worktree.name)
        }
        return pruned
    }

    // MARK: - Helpers

    /// True when this repository is a linked working tree or has any (`worktrees/` in the common folder is not
    /// empty): only then can a branch be checked out somewhere other than this working tree.
    func hasLinkedWorktrees() throws(GitError) -> Bool {
        if git_repository_is_worktree(pointer) == 1 { return true }
        let folder = gitCommonDirectory.appendingPathComponent("worktrees", isDirectory: true).path
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return !entries.isEmpty
    }

    /// The repository's common folder: the `.git` of the main working tree, also when opened from a worktree.
    var gitCommonDirectory: URL {
        URL(fileURLWithPath: String(cString: git_repository_commondir(pointer)), isDirectory: true)
    }

    /// The administrative folder of worktree `name`: `worktrees/<name>` in the common folder.
    func administrativeFolder(of name: String) -> URL {
        gitCommonDirectory.appendingPathComponent("worktrees", isDirectory: true)
            .appendingPathComponent(name, isDirectory: true)
    }

    /// Whether the folder has the files libgit2 needs to open it as a worktree (`gitdir`, `commondir`, `HEAD`):
    /// libgit2 1.5 answers a lookup of any other folder with -1 and no message, as it does a missing one.
    private static func isCompleteAdministrativeFolder(_ folder: URL) -> Bool {
        ["gitdir", "commondir", "HEAD"].allSatisfy {
            FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).path)
        }
    }

    /// The working tree an administrative folder's `gitdir` file names (it holds the path of the tree's `.git`).
    private static func recordedPath(in folder: URL) -> URL? {
        guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent("gitdir").path) else {
            return nil
        }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { return nil }
        return URL(fileURLWithPath: text).deletingLastPathComponent().standardizedFileURL
    }

    /// Looks up a worktree and lends it to `body` (nil when there is none), freeing it afterwards.
    private func withWorktree<T>(
        _ name: String,
        _ body: (OpaquePointer?) throws(GitError) -> T
    ) throws(GitError) -> T {
        // libgit2 1.5 answers a missing worktree with -1 and leaves the last error in place, so look first.
        guard FileManager.default.fileExists(atPath: administrativeFolder(of: name).path) else { return try body(nil) }
        var handle: OpaquePointer?
        let code = git_worktree_lookup(&handle, pointer, name)
        if code == GIT_ENOTFOUND.rawValue { return try body(nil) }
        try git("look up worktree \(name)") { code }
        defer { git_worktree_free(handle) }
        return try body(handle)
    }

    /// As ``withWorktree(_:_:)``, throwing "not found" when there is no such worktree.
    private func withExistingWorktree<T>(
        _ name: String,
        _ operation: String,
        _ body: (OpaquePointer) throws(GitError) -> T
    ) throws(GitError) -> T {
        try withWorktree(name) { (handle) throws(GitError) in
            guard let handle else {
                throw GitError(code: GIT_ENOTFOUND.rawValue, message: "no worktree named \(name)", operation: operation)
            }
            return try body(handle)
        }
    }

    /// The branch a repository's HEAD is on (short name), nil when detached or unreadable.
    private static func headBranch(of repository: OpaquePointer?) -> String? {
        var head: OpaquePointer?
        guard git_reference_lookup(&head, repository, "HEAD") == 0 else { return nil }
        defer { git_reference_free(head) }
        guard git_reference_type(head) == GIT_REFERENCE_SYMBOLIC,
            let target = git_reference_symbolic_target(head).map({ String(cString: $0) }),
            target.hasPrefix(branchPrefix)
        else { return nil }
        return String(target.dropFirst(branchPrefix.count))
    }

    private static func samePath(_ left: URL, _ right: URL) -> Bool {
        left.resolvingSymlinksInPath().path == right.resolvingSymlinksInPath().path
    }

    private func removeFolder(_ folder: URL, operation: String) throws(GitError) {
        do {
            try FileManager.default.removeItem(at: folder)
        } catch {
            throw GitError(
                code: GIT_ERROR.rawValue,
                message: "cannot delete \(folder.path): \(error.localizedDescription)",
                operation: operation
            )
        }
    }
}
