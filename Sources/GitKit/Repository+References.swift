internal import CGit2

extension Repository {
    // MARK: - Reading references

    /// The commit a reference points at (symbolic references are followed); nil when absent or unborn.
    ///
    /// - Parameter name: a full reference name such as `refs/heads/main`, `refs/heads/tollgate/state` or `HEAD`.
    public func resolve(reference name: String) throws(GitError) -> OID? {
        var raw = git_oid()
        let code = git_reference_name_to_id(&raw, pointer, name)
        if code == GIT_ENOTFOUND.rawValue || code == GIT_EUNBORNBRANCH.rawValue { return nil }
        try git("resolve \(name)") { code }
        return OID(raw)
    }

    /// The tip of a local branch given by its short name, such as `phase-1-strategic`; nil when it does not exist.
    public func branchTip(_ branch: String) throws(GitError) -> OID? {
        try resolve(reference: Self.branchReference(branch))
    }

    /// The short names of all local branches, sorted.
    public func branchNames() throws(GitError) -> [String] {
        var iterator: OpaquePointer?
        try git("list branches") { git_branch_iterator_new(&iterator, pointer, GIT_BRANCH_LOCAL) }
        defer { git_branch_iterator_free(iterator) }
        var names: [String] = []
        while true {
            var reference: OpaquePointer?
            var type = GIT_BRANCH_LOCAL
            let code = git_branch_next(&reference, &type, iterator)
            if code == GIT_ITEROVER.rawValue { break }
            try git("list branches") { code }
            defer { git_reference_free(reference) }
            if let shorthand = git_reference_shorthand(reference) {
                names.append(String(cString: shorthand))
            }
        }
        return names.sorted()
    }

    /// Every direct reference (branches, tags, notes, remote-tracking and private refs) with the commit or object it
    /// points at, by full name; symbolic references such as `HEAD` are left out.
    public func references() throws(GitError) -> [String: OID] {
        var iterator: OpaquePointer?
        try git("list references") { git_reference_iterator_new(&iterator, pointer) }
        defer { git_reference_iterator_free(iterator) }
        var found: [String: OID] = [:]
        while true {
            var reference: OpaquePointer?
            let code = git_reference_next(&reference, iterator)
            if code == GIT_ITEROVER.rawValue { break }
            try git("list references") { code }
            defer { git_reference_free(reference) }
            guard git_reference_type(reference) == GIT_REFERENCE_DIRECT, let name = git_reference_name(reference),
                let target = git_reference_target(reference)
            else { continue }
            found[String(cString: name)] = OID(target.pointee)
        }
        return found
    }

    /// The commits reference `name` pointed at, newest first, from its reflog (empty when it has none).
    public func reflog(of name: String) throws(GitError) -> [OID] {
        var log: OpaquePointer?
        try git("read the reflog of \(name)") { git_reflog_read(&log, pointer, name) }
        defer { git_reflog_free(log) }
        var commits: [OID] = []
        for index in 0..<git_reflog_entrycount(log) {
            guard let entry = git_reflog_entry_byindex(log, index), let id = git_reflog_entry_id_new(entry) else {
                continue
            }
            commits.append(OID(id.pointee))
        }
        return commits
    }

    /// Points HEAD at local branch `branch` without touching the index or the working tree (`git symbolic-ref
    /// HEAD refs/heads/<branch>`): what is in the tree is then a change against that branch.
    public func pointHead(atBranch branch: String) throws(GitError) {
        try writePendingObjects()
        try git("point HEAD at \(branch)") { git_repository_set_head(pointer, Self.branchReference(branch)) }
    }

    /// The branch HEAD is on (short name), also when that branch is unborn; nil when HEAD is detached.
    public func currentBranch() throws(GitError) -> String? {
        guard let target = try symbolicHeadTarget() else { return nil }
        return target.hasPrefix(Self.branchPrefix) ? String(target.dropFirst(Self.branchPrefix.count)) : nil
    }

    // MARK: - Branches

    /// Creates a local branch at `oid`; throws (`GIT_EEXISTS`) when a branch of that name exists.
    public func createBranch(_ name: String, at oid: OID) throws(GitError) {
        try writePendingObjects()
        try withCommit(oid) { (commit) throws(GitError) in
            var reference: OpaquePointer?
            try git("create branch \(name)") { git_branch_create(&reference, pointer, name, commit, 0) }
            git_reference_free(reference)
        }
    }

    /// Deletes a local branch; returns false when it did not exist.
    ///
    /// Fails for the branch HEAD is on.
    ///
    /// Does what `git_branch_delete` does (the branch's `branch.<name>.*` settings go too) without its regular
    /// expression over the configuration: libgit2 1.5 leaks PCRE2 match data for every entry that does not match,
    /// about 20 KB each, so a long job's process grew by some 200 KB a phase.
    @discardableResult
    public func deleteBranch(_ name: String) throws(GitError) -> Bool {
        let operation = "delete branch \(name)"
        var reference: OpaquePointer?
        guard try gitFound(operation, { git_branch_lookup(&reference, pointer, name, GIT_BRANCH_LOCAL) })
        else { return false }
        defer { git_reference_free(reference) }
        // libgit2's check opens the repository again for every working tree; with no linked one, only this tree's
        // HEAD can be on the branch.
        let checkedOut: Int32 =
            try hasLinkedWorktrees()
            ? git_branch_is_checked_out(reference)
            : (try symbolicHeadTarget() == Self.branchReference(name) ? 1 : 0)
        try git(operation) { checkedOut < 0 ? checkedOut : 0 }
        guard checkedOut == 0 else {
            throw GitError(
                code: GIT_ERROR.rawValue,
                message: "cannot delete branch '\(name)': it is checked out",
                operation: operation
            )
        }
        try deleteSettings(ofBranch: name)
        try git(operation) { git_reference_delete(reference) }
        return true
    }

    /// Removes `branch.<name>.*` from the repository's own configuration, comparing names without a regex.
    private func deleteSettings(ofBranch name: String) throws(GitError) {
        let operation = "delete the settings of branch \(name)"
        var config: OpaquePointer?
        try git(operation) { git_repository_config(&config, pointer) }
        defer { git_config_free(config) }
        var local: OpaquePointer?
        guard try gitFound(operation, { git_config_open_level(&local, config, GIT_CONFIG_LEVEL_LOCAL) }) else { return }
        defer { git_config_free(local) }
        var iterator: OpaquePointer?
        try git(operation) { git_config_iterator_new(&iterator, local) }
        // Entry names come back with the section and key lower-cased and the subsection (the branch) as written.
        let prefix = "branch.\(name)."
        var names: Set<String> = []
        while true {
            var entry: UnsafeMutablePointer<git_config_entry>?
            let code = git_config_next(&entry, iterator)
            if code == GIT_ITEROVER.rawValue { break }
            if code < 0 {
                git_config_iterator_free(iterator)
                try git(operation) { code }
            }
            if let raw = entry?.pointee.name {
                let entryName = String(cString: raw)
                if entryName.hasPrefix(prefix), !entryName.dropFirst(prefix.count).contains(".") {
                    names.insert(entryName)
                }
            }
        }
        git_config_iterator_free(iterator)
        for entryName in names.sorted() where git_config_delete_entry(local, entryName) < 0 {
            // A name set more than once: every value goes (this pattern matches each, so nothing leaks).
            try git(operation) { git_config_delete_multivar(local, entryName, ".*") }
        }
    }

    /// Checks out a local branch and points HEAD at it.
    ///
    /// A safe checkout (the default) updates only files that are unmodified relative to HEAD and refuses
    /// (`isConflict`) to overwrite local changes or untracked files; `force` overwrites them.
    public func checkout(branch: String, force: Bool = false) throws(GitError) {
        try writePendingObjects()
        let reference = Self.branchReference(branch)
        guard let tip = try resolve(reference: reference) else {
            throw GitError(
                code: GIT_ENOTFOUND.rawValue,
                message: "no branch named \(branch)",
                operation: "checkout \(branch)"
            )
        }
        // Same tree as HEAD: a safe checkout would change no file, so only HEAD moves (as `git switch` does).
        var unchanged = false
        if !force, let head = try resolve(reference: "HEAD") {
            unchanged = try treeID(ofCommit: head) == treeID(ofCommit: tip)
        }
        if !unchanged {
            try checkoutCommit(tip, branch: branch, force: force)
        }
        try setHead(toBranch: branch, operation: "checkout \(branch)")
    }

    /// Points HEAD at the existing local branch `branch`, with the reflog entry `git checkout` writes.
    ///
    /// `git_repository_set_head` first asks whether another working tree has the branch checked out, and to answer
    /// it opens the repository again (configuration files and all) for the main tree and each linked one: about a
    /// hundred file system calls per switch. With no linked working tree there is nothing to find, so HEAD is
    /// written directly; otherwise libgit2 checks and refuses as it always did.
    private func setHead(toBranch branch: String, operation: String) throws(GitError) {
        let reference = Self.branchReference(branch)
        guard try !hasLinkedWorktrees() else {
            try git(operation) { git_repository_set_head(pointer, reference) }
            return
        }
        var from = "HEAD"
        if let target = try symbolicHeadTarget() {
            from = target.hasPrefix(Self.branchPrefix) ? String(target.dropFirst(Self.branchPrefix.count)) : target
        } else if let detached = try resolve(reference: "HEAD") {
            from = detached.hex
        }
        var head: OpaquePointer?
        defer { git_reference_free(head) }
        try git(operation) {
            git_reference_symbolic_create(
                &head,
                pointer,
                "HEAD",
                reference,
                1,
                "checkout: moving from \(from) to \(branch)"
            )
        }
    }

    /// Moves the working tree and index to `tip`'s tree (HEAD's tree is the baseline).
    private func checkoutCommit(_ tip: OID, branch: String, force: Bool) throws(GitError) {
        try withCommit(tip) { (commit) throws(GitError) in
            var options = git_checkout_options()
            try git("checkout \(branch)") {
                git_checkout_options_init(&options, UInt32(GIT_CHECKOUT_OPTIONS_VERSION))
            }
            options.checkout_strategy = force ? GIT_CHECKOUT_FORCE.rawValue : GIT_CHECKOUT_SAFE.rawValue
            try git("checkout \(branch)") { git_checkout_tree(pointer, commit, &options) }
        }
    }

    // MARK: - Compare-and-swap

    /// Points reference `name` at `oid`, but only if it still has the value the caller saw.
    ///
    /// With `expected` nil the reference must not exist yet; otherwise it must point at `expected`. A lost race
    /// throws an error with `isModified` and leaves the reference as it is.
    /// - Parameter message: the reflog message.
    ///
    /// Objects waiting in memory (``packNewObjects(maxPacks:)``) are written first, so no reference ever points at
    /// an object that is not on disk.
    public func updateReference(_ name: String, to oid: OID, expected: OID?, message: String) throws(GitError) {
        try writePendingObjects()
        let operation = "update \(name)"
        var new = oid.raw
        var reference: OpaquePointer?
        defer { git_reference_free(reference) }
        guard let expected else {
            let code = git_reference_create(&reference, pointer, name, &new, 0, message)
            if code == GIT_EEXISTS.rawValue {
                throw GitError.last(code: code, operation: operation)
                    .with(code: GIT_EMODIFIED.rawValue, message: "\(name) already exists")
            }
            try git(operation) { code }
            return
        }
        var old = expected.raw
        let code = git_reference_create_matching(&reference, pointer, name, &new, 1, &old, message)
        if code == GIT_ENOTFOUND.rawValue {
            throw GitError.last(code: code, operation: operation)
                .with(code: GIT_EMODIFIED.rawValue, message: "\(name) does not exist (expected \(expected))")
        }
        try git(operation) { code }
    }

    /// Deletes a reference (any kind, full name); returns false when it did not exist.
    @discardableResult
    public func deleteReference(_ name: String) throws(GitError) -> Bool {
        var reference: OpaquePointer?
        guard try gitFound("delete \(name)", { git_reference_lookup(&reference, pointer, name) }) else {
            return false
        }
        defer { git_reference_free(reference) }
        try git("delete \(name)") { git_reference_delete(reference) }
        return true
    }

    // MARK: - Helpers

    static let branchPrefix = "refs/heads/"

    /// The full reference name of a local branch.
    static func branchReference(_ branch: String) -> String { branchPrefix + branch }

    /// The reference HEAD points to when it is symbolic, such as `refs/heads/main` (maybe unborn); nil when detached.
    public func symbolicHeadTarget() throws(GitError) -> String? {
        var head: OpaquePointer?
        try git("read HEAD") { git_reference_lookup(&head, pointer, "HEAD") }
        defer { git_reference_free(head) }
        guard git_reference_type(head) == GIT_REFERENCE_SYMBOLIC, let target = git_reference_symbolic_target(head)
        else { return nil }
        return String(cString: target)
    }
}
