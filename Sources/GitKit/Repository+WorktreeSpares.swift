internal import CGit2
import Foundation

/// A folder where the files of removed worktrees wait to be taken by the next worktree added, so that adding one
/// rewrites only the files that differ instead of checking out the whole tree again.
///
/// A worktree's checkout costs a file per tracked file; for short-lived worktrees made one after another from
/// commits that differ in a few files (the tasks of a plan), almost all of that work is the same each time. A spare
/// keeps the working tree and its index (the stat cache that tells which files need no look) of a removed worktree;
/// ``Repository/addWorktree(name:at:branch:from:reusing:)`` moves a spare's files into the new working tree and
/// checks out the commit over them by force, removing every file the commit does not track, ignored ones too. What
/// the new worktree holds is the commit's tree, as after a fresh checkout.
///
/// Each spare is a folder of its own under ``folder``, taken by renaming it, so two processes never take the same.
/// At most ``limit`` are kept; a worktree removed beyond that is deleted as usual. Spares cost disk space as large
/// as a working tree each: ``Repository/clearWorktreeSpares(_:)`` deletes them when the worktrees are done.
public struct WorktreeSpares: Sendable, Equatable {
    /// Where the spares are kept (created on demand).
    public let folder: URL
    /// How many are kept at most.
    public let limit: Int

    public init(folder: URL, limit: Int) {
        self.folder = folder
        self.limit = limit
    }

    /// The spares there now, oldest first (names starting with `.` are spares being taken or put).
    func available() -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { folder.appendingPathComponent($0, isDirectory: true) }
    }

    /// A new spare's name: sorted by when it was made, unique on the machine.
    func newName() -> String {
        let stamp = String(format: "%016llx", UInt64(Date().timeIntervalSince1970 * 1_000_000))
        return "\(stamp)-\(getpid())-\(UUID().uuidString.prefix(8))"
    }
}

extension Repository {
    /// The name of the file in a worktree's administrative folder that says its working tree is being prepared from
    /// a spare: until it is gone, the worktree is not valid (a crash leaves a worktree that a rerun makes again).
    static let preparingMarker = "gitkit-preparing"

    /// Adds a worktree as ``addWorktree(name:at:branch:from:)`` does, taking a spare's files when `spares` has one.
    ///
    /// The result is the same as without spares: the working tree holds `commit`'s tree (on an existing branch, that
    /// branch's tip) and nothing else, its index matches it.
    @discardableResult
    public func addWorktree(
        name: String,
        at path: URL,
        branch: String,
        from commit: OID,
        reusing spares: WorktreeSpares?
    ) throws(GitError) -> (worktree: Worktree, origin: WorktreeOrigin) {
        guard let spares else { return try addWorktree(name: name, at: path, branch: branch, from: commit) }
        if let existing = try worktree(named: name), existing.isValid {
            return try addWorktree(name: name, at: path, branch: branch, from: commit)
        }
        guard let spare = takeSpare(from: spares) else {
            return try addWorktree(name: name, at: path, branch: branch, from: commit)
        }
        defer { try? FileManager.default.removeItem(at: spare) }
        do {
            return try addWorktree(name: name, at: path, branch: branch, from: commit, filledFrom: spare)
        } catch {
            // Whatever went wrong with the spare, a fresh worktree is the answer.
            try removeWorktree(name)
            return try addWorktree(name: name, at: path, branch: branch, from: commit)
        }
    }

    /// Removes a worktree as ``removeWorktree(_:)`` does, keeping its files as a spare when `spares` has room.
    @discardableResult
    public func removeWorktree(_ name: String, keepingFilesIn spares: WorktreeSpares?) throws(GitError) -> Bool {
        if let spares, let existing = try worktree(named: name), existing.isValid,
            spares.available().count < spares.limit
        {
            keepSpare(of: existing, in: spares)
        }
        return try removeWorktree(name)
    }

    /// Deletes every spare.
    public func clearWorktreeSpares(_ spares: WorktreeSpares) throws(GitError) {
        guard FileManager.default.fileExists(atPath: spares.folder.path) else { return }
        do {
            try FileManager.default.removeItem(at: spares.folder)
        } catch {
            throw GitError(
                code: GIT_ERROR.rawValue,
                message: "cannot delete \(spares.folder.path): \(error.localizedDescription)",
                operation: "clear worktree spares"
            )
        }
    }

    // MARK: - Spares

    /// Moves the working tree and the index of `worktree` into a new spare; on any failure nothing is kept (the
    /// removal that follows deletes what is left).
    private func keepSpare(of worktree: Worktree, in spares: WorktreeSpares) {
        let manager = FileManager.default
        let name = spares.newName()
        let staging = spares.folder.appendingPathComponent(".\(name)", isDirectory: true)
        do {
            try manager.createDirectory(at: staging, withIntermediateDirectories: true)
            try manager.moveItem(at: worktree.path, to: staging.appendingPathComponent("tree", isDirectory: true))
            let index = administrativeFolder(of: worktree.name).appendingPathComponent("index")
            if manager.fileExists(atPath: index.path) {
                try manager.moveItem(at: index, to: staging.appendingPathComponent("index"))
            }
            try manager.moveItem(at: staging, to: spares.folder.appendingPathComponent(name, isDirectory: true))
        } catch {
            try? manager.removeItem(at: staging)
        }
    }

    /// Takes the oldest spare by renaming it out of the others' reach; nil when there is none.
    private func takeSpare(from spares: WorktreeSpares) -> URL? {
        for spare in spares.available() {
            let taken = spares.folder.appendingPathComponent(".taken-\(spares.newName())", isDirectory: true)
            if rename(spare.path, taken.path) == 0 { return taken }
        }
        return nil
    }

    /// Makes the worktree with no checkout, moves the spare's files and index in, then checks `commit` (or the
    /// existing branch's tip) out over them by force, removing what it does not track.
    private func addWorktree(
        name: String,
        at path: URL,
        branch: String,
        from commit: OID,
        filledFrom spare: URL
    ) throws(GitError) -> (worktree: Worktree, origin: WorktreeOrigin) {
        let operation = "add worktree \(name) from a spare"
        let (_, origin) = try addWorktree(name: name, at: path, branch: branch, from: commit, checkingOut: false)
        let administrative = administrativeFolder(of: name)
        let marker = administrative.appendingPathComponent(Self.preparingMarker)
        let manager = FileManager.default
        do {
            try Data().write(to: marker)
            let tree = spare.appendingPathComponent("tree", isDirectory: true)
            for entry in try manager.contentsOfDirectory(atPath: tree.path) where entry != ".git" {
                try manager.moveItem(at: tree.appendingPathComponent(entry), to: path.appendingPathComponent(entry))
            }
            let index = spare.appendingPathComponent("index")
            if manager.fileExists(atPath: index.path) {
                // libgit2 writes an empty index even when it checks nothing out.
                let own = administrative.appendingPathComponent("index")
                if manager.fileExists(atPath: own.path) { try manager.removeItem(at: own) }
                try manager.moveItem(at: index, to: own)
            }
        } catch {
            throw GitError(
                code: GIT_ERROR.rawValue,
                message: "cannot move a spare's files into \(path.path): \(error.localizedDescription)",
                operation: operation
            )
        }
        let worktree = try Repository.open(at: path)
        guard let tip = try worktree.branchTip(branch) else {
            throw GitError(code: GIT_ENOTFOUND.rawValue, message: "no branch \(branch)", operation: operation)
        }
        // The spare's index says what the files are (the baseline), so only those that differ from the target are
        // written, and those it tracked that the target does not are deleted.
        var index: OpaquePointer?
        try git(operation) { git_repository_index(&index, worktree.pointer) }
        defer { git_index_free(index) }
        try worktree.withCommit(tip) { (target) throws(GitError) in
            var options = git_checkout_options()
            try git(operation) { git_checkout_options_init(&options, UInt32(GIT_CHECKOUT_OPTIONS_VERSION)) }
            options.checkout_strategy =
                GIT_CHECKOUT_FORCE.rawValue | GIT_CHECKOUT_REMOVE_UNTRACKED.rawValue
                | GIT_CHECKOUT_REMOVE_IGNORED.rawValue
            options.baseline_index = index
            try git(operation) { git_checkout_tree(worktree.pointer, target, &options) }
        }
        do {
            try manager.removeItem(at: marker)
        } catch {
            throw GitError(
                code: GIT_ERROR.rawValue,
                message: "cannot delete \(marker.path): \(error.localizedDescription)",
                operation: operation
            )
        }
        guard let made = try self.worktree(named: name) else {
            throw GitError(code: GIT_ERROR.rawValue, message: "libgit2 made no worktree \(name)", operation: operation)
        }
        return (made, origin)
    }
}
