internal import CGit2
import Foundation

/// A git repository opened in process through libgit2.
///
/// The handle (and, once used, the repository's index) stays open for the object's lifetime, so libgit2's
/// object cache, pack windows and configuration stay warm between calls. Not thread-safe: libgit2 objects
/// must not be used from two threads at once, so confine each instance to one thread, task or actor.
public final class Repository {
    /// The owned `git_repository *`.
    let pointer: OpaquePointer
    /// The repository's index (`git_index *`), acquired on first use and owned until `deinit`.
    private var cachedIndex: OpaquePointer?
    /// New objects waiting in memory to be written as one pack, once ``packNewObjects(maxPacks:)`` was called.
    var objectBatch: ObjectBatch?
    /// Whether ``watchWorkingTree()`` asked for the working tree's changes to be watched.
    var watchesWorkingTree = false
    /// The watch, from the last full scan on (Repository+Staging.swift).
    var workingTreeWatch: WorkingTreeWatch?
    /// What the current commit staged under the watch, until its index is written (``indexWrittenAfterStaging()``).
    var stagedUnderWatch: WorkingTreeWatch.Context?
    /// Whether the last staging used the watch's events alone.
    var lastStagingWatched = false
    /// Each folder's tree as ``indexTree(_:)`` last wrote it, by path.
    var indexTrees: [[UInt8]: IndexTree] = [:]

    private init(owning pointer: OpaquePointer) {
        self.pointer = pointer
        settleReflogIdentity()
    }

    /// Names the reflog's author once, from the configuration as it is now (`user.name`, `user.email`).
    ///
    /// Without an identity of its own, libgit2 looks the default signature up again for every reference it moves,
    /// and each look-up checks every configuration file (the repository's, the user's, the system's) for changes:
    /// some thirty file system calls per move, ten moves a phase. The reflog reads the same either way; without a
    /// configured identity libgit2 keeps writing "unknown", as before.
    private func settleReflogIdentity() {
        var who: UnsafeMutablePointer<git_signature>?
        guard git_signature_default(&who, pointer) == 0, let who else { return }
        defer { git_signature_free(who) }
        git_repository_set_ident(pointer, who.pointee.name, who.pointee.email)
    }

    deinit {
        if let cachedIndex { git_index_free(cachedIndex) }
        git_repository_free(pointer)
    }

    // MARK: - Creating and opening

    /// Creates a repository with a working tree at `url` (making missing directories), HEAD on an unborn branch.
    public static func create(at url: URL, initialBranch: String = "main") throws(GitError) -> Repository {
        var options = git_repository_init_options()
        try git("init \(url.path)") {
            git_repository_init_options_init(&options, UInt32(GIT_REPOSITORY_INIT_OPTIONS_VERSION))
        }
        options.flags = GIT_REPOSITORY_INIT_MKPATH.rawValue
        var raw: OpaquePointer?
        let code = initialBranch.withCString { head in
            options.initial_head = head
            return git_repository_init_ext(&raw, url.path, &options)
        }
        try git("init \(url.path)") { code }
        return try Repository(owning: unwrap(raw, "init \(url.path)"))
    }

    /// Opens the repository whose working tree (or git directory) is exactly `url`; parents are not searched.
    public static func open(at url: URL) throws(GitError) -> Repository {
        var raw: OpaquePointer?
        try git("open \(url.path)") {
            git_repository_open_ext(&raw, url.path, GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue, nil)
        }
        return try Repository(owning: unwrap(raw, "open \(url.path)"))
    }

    /// True when `url` is a repository's working tree or git directory (parents are not searched).
    public static func isRepository(at url: URL) -> Bool {
        _ = libgit2Initialized
        return git_repository_open_ext(nil, url.path, GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue, nil) == 0
    }

    // MARK: - Paths

    /// The working tree's root; nil for a bare repository.
    public var workingDirectory: URL? {
        guard let path = git_repository_workdir(pointer) else { return nil }
        return URL(fileURLWithPath: String(cString: path), isDirectory: true)
    }

    /// The `.git` directory (or the repository itself when bare).
    public var gitDirectory: URL {
        URL(fileURLWithPath: String(cString: git_repository_path(pointer)), isDirectory: true)
    }

    // MARK: - Shared helpers for the other files

    /// The repository's index, opened once and kept.
    func repositoryIndex() throws(GitError) -> OpaquePointer {
        if let cachedIndex { return cachedIndex }
        var raw: OpaquePointer?
        try git("open index") { git_repository_index(&raw, pointer) }
        let index = try unwrap(raw, "open index")
        cachedIndex = index
        return index
    }

    /// Looks up a commit, lends it to `body`, and frees it afterwards.
    func withCommit<T>(
        _ oid: OID,
        _ body: (OpaquePointer) throws(GitError) -> T
    ) throws(GitError) -> T {
        var raw = oid.raw
        var commit: OpaquePointer?
        try git("look up commit \(oid)") { git_commit_lookup(&commit, pointer, &raw) }
        let owned = try unwrap(commit, "look up commit \(oid)")
        defer { git_commit_free(owned) }
        return try body(owned)
    }

    /// Looks up a tree, lends it to `body`, and frees it afterwards.
    func withTree<T>(_ oid: OID, _ body: (OpaquePointer) throws(GitError) -> T) throws(GitError) -> T {
        var raw = oid.raw
        var tree: OpaquePointer?
        try git("look up tree \(oid)") { git_tree_lookup(&tree, pointer, &raw) }
        let owned = try unwrap(tree, "look up tree \(oid)")
        defer { git_tree_free(owned) }
        return try body(owned)
    }

    /// The id of a commit's root tree.
    func treeID(ofCommit oid: OID) throws(GitError) -> OID {
        try withCommit(oid) { commit in
            OID(git_commit_tree_id(commit))
        }
    }

    /// Builds a libgit2 signature for `signature`, lends it to `body`, and frees it afterwards.
    ///
    /// With no date, the current time is used (`git_signature_now`); dates are written with a UTC offset of 0.
    func withSignature<T>(
        _ signature: Signature,
        _ body: (UnsafeMutablePointer<git_signature>) throws(GitError) -> T
    ) throws(GitError) -> T {
        var raw: UnsafeMutablePointer<git_signature>?
        if let date = signature.date {
            let seconds = git_time_t(date.timeIntervalSince1970.rounded(.down))
            try git("make signature") { git_signature_new(&raw, signature.name, signature.email, seconds, 0) }
        } else {
            try git("make signature") { git_signature_now(&raw, signature.name, signature.email) }
        }
        let owned = try unwrap(raw, "make signature")
        defer { git_signature_free(owned) }
        return try body(owned)
    }
}

@available(*, unavailable)
extension Repository: Sendable {}

/// Returns `value`, or throws when libgit2 reported success but produced nothing (a library bug).
func unwrap<T>(_ value: T?, _ operation: @autoclosure () -> String) throws(GitError) -> T {
    guard let value else {
        throw GitError(code: GIT_ERROR.rawValue, message: "libgit2 returned no object", operation: operation())
    }
    return value
}

/// Runs a libgit2 call that may report "not found": returns false then, throws on any other failure.
func gitFound(_ operation: @autoclosure () -> String, _ call: () -> Int32) throws(GitError) -> Bool {
    do {
        try git(operation(), call)
        return true
    } catch {
        if error.code == GIT_ENOTFOUND.rawValue { return false }
        throw error
    }
}

/// Lends `strings` to libgit2 as a `git_strarray`, valid only inside `body`.
func withStringArray<T>(
    _ strings: [String],
    _ body: (inout git_strarray) throws(GitError) -> T
) throws(GitError) -> T {
    let pointers = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: max(strings.count, 1))
    for (offset, string) in strings.enumerated() {
        (pointers + offset).initialize(to: strdup(string))
    }
    defer {
        for offset in 0..<strings.count { free(pointers[offset]) }
        pointers.deallocate()
    }
    var array = git_strarray(strings: pointers, count: strings.count)
    return try body(&array)
}
