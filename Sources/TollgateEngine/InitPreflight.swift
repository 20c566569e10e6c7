import Foundation
import GitKit

/// What `init` checks before it writes anything, and how it takes back what it wrote when a later step fails.
///
/// `init` must not take the user's files by surprise (DESIGN §2): in an existing repository, uncommitted changes
/// would be swept into the job's first commit; a `workspace.md` of the user's would be overwritten; a folder
/// holding git repositories (vendored code, a folder of jobs) cannot be committed. Each is refused with what to
/// do. A failure after the first write (a review host that cannot be reached, say) undoes what this init did, so
/// the next attempt starts from the same folder.
struct InitPreflight {
    let root: URL
    /// The directory was there before init.
    let directoryExisted: Bool
    /// It was a git repository before init.
    let repositoryExisted: Bool
    /// `main`'s tip before init (nil: unborn or no repository).
    let mainBefore: OID?
    /// `workspace.md` was there with the text init writes (a rerun after a crash).
    let workspaceWasOurs: Bool
    /// Files of a folder that was not a repository, which the first commit takes in.
    let adoptedFiles: Int

    /// The most paths a refusal lists.
    static let listed = 5

    /// Checks `root` for a job whose `workspace.md` will read `workspaceText`.
    static func check(root: URL, workspaceText: String) throws -> InitPreflight {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        let exists = manager.fileExists(atPath: root.path, isDirectory: &isDirectory)
        if exists && !isDirectory.boolValue {
            throw EngineError.usage("\(root.path) is a file, not a directory: give init a directory for the job")
        }
        if Repository.isRepository(at: root), let repository = try? Repository.open(at: root) {
            if StateStore.isClone(repository) {
                throw EngineError.refused(
                    "\(root.path) is a clone of a job (it has origin/\(StateStore.branch)); init would start a second "
                        + "job on top. `tollgate status \(root.path)` shows the job; start a new one in another directory."
                )
            }
            if StateStore.exists(in: repository) { throw EngineError.alreadyAJob(path: root.path) }
        }
        let workspaceFile = root.appendingPathComponent("workspace.md")
        let existingWorkspace = try? String(contentsOf: workspaceFile, encoding: .utf8)
        let workspaceWasOurs = existingWorkspace == workspaceText
        if let existingWorkspace, !workspaceWasOurs, !existingWorkspace.isEmpty {
            throw EngineError.refused(
                "\(root.path) already holds a workspace.md of its own; init writes the job's description there and "
                    + "would overwrite it. Rename or move it, then run init again."
            )
        }
        guard exists else {
            return InitPreflight(
                root: root,
                directoryExisted: false,
                repositoryExisted: false,
                mainBefore: nil,
                workspaceWasOurs: false,
                adoptedFiles: 0
            )
        }
        if Repository.isRepository(at: root) {
            let repository = try Repository.open(at: root)
            if StateStore.exists(in: repository) { throw EngineError.alreadyAJob(path: root.path) }
            let branch = try repository.currentBranch()
            guard branch == "main" || branch == nil else {
                throw EngineError.usage(
                    "\(root.path) is a git repository on branch \(branch ?? "?"); Tollgate merges phases into main. "
                        + "Switch it to main (or create main there) and run init again."
                )
            }
            let dirty = try repository.uncommittedPaths(limit: 50).filter { $0 != "workspace.md" }
            if !dirty.isEmpty {
                throw EngineError.refused(
                    "\(root.path) has uncommitted changes (\(list(dirty))); init would commit them into the job's "
                        + "first commit. Commit them, stash them (`git stash -u`) or remove them, then run init again."
                )
            }
            return InitPreflight(
                root: root,
                directoryExisted: true,
                repositoryExisted: true,
                mainBefore: try repository.branchTip("main"),
                workspaceWasOurs: workspaceWasOurs,
                adoptedFiles: 0
            )
        }
        let (files, repositories) = survey(root)
        if !repositories.isEmpty {
            throw EngineError.refused(
                "\(root.path) holds git repositories of its own (\(list(repositories))): a job cannot commit them "
                    + "(is this a folder of jobs?). Give init a new directory, or move them out first."
            )
        }
        return InitPreflight(
            root: root,
            directoryExisted: true,
            repositoryExisted: false,
            mainBefore: nil,
            workspaceWasOurs: workspaceWasOurs,
            adoptedFiles: files
        )
    }

    /// Takes back what init wrote: the repository it made (or `main` and the state branch it moved), and its
    /// `workspace.md`.
    ///
    /// Best effort: each part is tried, whatever the others do.
    func undo(repository: Repository?) {
        let manager = FileManager.default
        if !directoryExisted {
            try? manager.removeItem(at: root)
            return
        }
        if !workspaceWasOurs { try? manager.removeItem(at: root.appendingPathComponent("workspace.md")) }
        guard repositoryExisted else {
            try? manager.removeItem(at: root.appendingPathComponent(".git"))
            return
        }
        guard let repository else { return }
        _ = try? repository.deleteReference("refs/heads/" + StateStore.branch)
        if let mainBefore {
            let now = try? repository.branchTip("main")
            try? repository.updateReference("refs/heads/main", to: mainBefore, expected: now, message: "init undone")
        } else {
            _ = try? repository.deleteReference("refs/heads/main")
        }
        try? repository.resetIndex(toCommit: mainBefore)
    }

    /// `a, b, c and 4 more`.
    private static func list(_ paths: [String]) -> String {
        let shown = paths.prefix(listed).joined(separator: ", ")
        return paths.count > listed ? "\(shown) and \(paths.count - listed) more" : shown
    }

    /// The regular files under `root` and the folders in it that are git repositories (a `.git` inside), which are
    /// not descended into.
    private static func survey(_ root: URL) -> (files: Int, repositories: [String]) {
        var files = 0
        var repositories: [String] = []
        let keys: [URLResourceKey] = [.isDirectoryKey, .isRegularFileKey]
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: keys) else {
            return (0, [])
        }
        let base = root.standardizedFileURL.path + "/"
        for case let url as URL in walker {
            let values = try? url.resourceValues(forKeys: Set(keys))
            if values?.isDirectory == true,
                FileManager.default.fileExists(atPath: url.appendingPathComponent(".git").path)
            {
                repositories.append(url.standardizedFileURL.path.replacingOccurrences(of: base, with: "") + "/")
                walker.skipDescendants()
            } else if values?.isRegularFile == true {
                files += 1
            }
        }
        return (files, repositories.sorted())
    }
}
