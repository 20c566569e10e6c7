internal import CGit2
import Foundation

extension Repository {
    /// Stages the whole working tree into `index` as `git add -A` does: changed and new files added (new ones unless
    /// `.gitignore` keeps them out, or under one of the folders `forcing`, `git add --force`), files gone removed.
    ///
    /// `git_index_add_all` does this through a diff of the index against the working tree, whose iterators cost about
    /// 4 µs a file here: the largest part of a long job's commit, whose workspace grows by a file or two a phase. The
    /// scan below reads each folder once, compares each tracked file's `lstat` (relative to its folder) with what the
    /// index recorded, and hands libgit2 only the paths that differ. It is git's own rule for a file that may have
    /// changed: a different size, mtime, ctime, inode or mode, or a "racily clean" entry (modified no earlier than
    /// the index was written), which libgit2 then hashes to be sure. Whatever the scan does not model goes to
    /// `git_index_add_all` as before: conflicts, sparse or assume-unchanged entries, submodules, case-insensitive or
    /// symlink-less configurations. A repository inside the working tree (not ignored) is refused, named, with what
    /// to do.
    ///
    /// With the working tree watched (``watchWorkingTree()``), a commit after the first examines only the paths the
    /// kernel reported changed since the index was last written (WorkingTreeWatch.swift), and scans everything again
    /// whenever the events cannot be trusted alone.
    func stageAll(into index: OpaquePointer, forcing forced: [String]) throws(GitError) {
        let folders = forced.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        stagedUnderWatch = nil
        guard let changes = try workingTreeChanges(against: index, forcing: folders) else {
            workingTreeWatch = nil
            try git("add all") { git_index_add_all(index, nil, GIT_INDEX_ADD_DEFAULT.rawValue, nil, nil) }
            for path in try forcedFiles(under: folders, in: index) {
                // One file at a time: `git_index_add_all` with GIT_INDEX_ADD_FORCE hands an ignored folder itself to
                // the index ("invalid path: 'archive/'", libgit2 1.5).
                try git("add --force \(path)") { git_index_add_bypath(index, path) }
            }
            return
        }
        for path in changes.removed {
            try git("remove \(path)") { git_index_remove_bypath(index, path) }
        }
        for path in changes.added {
            try git("add \(path)") { git_index_add_bypath(index, path) }
        }
    }

    /// Asks for the working tree to be watched from its next full scan on.
    ///
    /// Later commits of this process then examine only what changed (WorkingTreeWatch.swift). Without a file system
    /// whose events can be trusted, or an inotify instance, every commit scans as before.
    public func watchWorkingTree() {
        watchesWorkingTree = true
    }

    /// Trusts the watch from the index just written: called once the commit that staged under it wrote its index.
    func indexWrittenAfterStaging() {
        guard let context = stagedUnderWatch, let watch = workingTreeWatch else { return }
        stagedUnderWatch = nil
        guard let path = indexFilePath, let stamp = WorkingTreeWatch.FileStamp(path: path) else { return }
        watch.trusted = WorkingTreeWatch.Conditions(index: stamp, context: context)
    }

    private var indexFilePath: String? {
        guard let index = try? repositoryIndex() else { return nil }
        return git_index_path(index).map { String(cString: $0) }
    }

    /// The paths to add (changed or new, not ignored unless forced) and to remove (gone), or nil when the index or
    /// the working tree holds something only `git_index_add_all` handles.
    private func workingTreeChanges(against index: OpaquePointer, forcing forced: [String]) throws(GitError) -> (
        added: [String], removed: [String]
    )? {
        lastStagingWatched = false
        guard let root = workingDirectory?.path, git_index_has_conflicts(index) == 0,
            let settings = try stagingSettings()
        else { return nil }
        let count = git_index_entrycount(index)
        for position in 0..<count {
            guard let entry = git_index_get_byindex(index, position) else { return nil }
            let flags = UInt32(entry.pointee.flags)
            let extended = UInt32(entry.pointee.flags_extended)
            guard flags & GIT_INDEX_ENTRY_VALID.rawValue == 0,
                extended & (GIT_INDEX_ENTRY_INTENT_TO_ADD.rawValue | GIT_INDEX_ENTRY_SKIP_WORKTREE.rawValue) == 0,
                entry.pointee.mode != GIT_FILEMODE_COMMIT.rawValue
            else { return nil }
        }
        // An entry written no earlier than the index may have changed within the index's timestamp: git's racy case.
        var indexInfo = stat()
        let indexFile = git_index_path(index).map { String(cString: $0) }
        let racyFrom = indexFile.flatMap { lstat($0, &indexInfo) == 0 ? indexInfo.st_mtim : nil }
        let scan = Scan(root: root, index: index, forced: forced, racyFrom: racyFrom, settings: settings)

        let context = watchesWorkingTree ? stagingContext(settings, forced: forced) : nil
        if let context, let watch = workingTreeWatch, let trusted = watch.trusted,
            let stamp = indexFile.flatMap(WorkingTreeWatch.FileStamp.init(path:)),
            trusted == WorkingTreeWatch.Conditions(index: stamp, context: context)
        {
            watch.trusted = nil  // again once this commit's index is written
            if case .paths(let files, let folders) = watch.drain() {
                let changes = try watchedChanges(files: files + racilyClean(scan), folders: folders, scan: scan)
                if workingTreeWatch != nil {
                    stagedUnderWatch = context
                    lastStagingWatched = true
                }
                return changes
            }
        }

        // A full scan, watching each folder before reading it when asked: the events then cover what it missed.
        workingTreeWatch = context == nil ? nil : WorkingTreeWatch(root: root)
        var added: [String] = []
        let seen = try walk([WorkingTreeWatch.Place(path: "", forced: false)], scan: scan, added: &added)
        if let context, workingTreeWatch != nil { stagedUnderWatch = context }
        guard seen < count else { return (added, []) }
        // Some entry was not found as a file: deleted, or replaced by a folder or something git does not track.
        var removed: [String] = []
        for position in 0..<count {
            guard let entry = git_index_get_byindex(index, position) else { continue }
            let path = String(cString: entry.pointee.path)
            var info = stat()
            if lstat(root + "/" + path, &info) != 0 || !Self.isTrackable(info.st_mode) { removed.append(path) }
        }
        return (added, removed)
    }

    /// What a scan compares against: the working tree, the index, the forced folders, the index's time.
    private struct Scan {
        var root: String
        var index: OpaquePointer
        var forced: [String]
        var racyFrom: timespec?
        var settings: StagingSettings
    }

    /// The tracked files whose entries are racily clean: written no earlier than the index, so that their stat data
    /// cannot tell a later change within the same tick of the file system's clock.
    ///
    /// The full scan re-examines them by git's rule (``mayDiffer(_:from:racyFrom:settings:)``); under the watch no
    /// event names them, and `git_index_write` would then look at them itself (`truncate_racily_clean`, a diff of the
    /// index against the working tree that walks every folder to find them: at phase 300 of the bench job half of the
    /// index's write, for the one file tollgate writes just before committing). Re-examined here, they are hashed
    /// again and marked up to date, and the write finds none.
    private func racilyClean(_ scan: Scan) -> [WorkingTreeWatch.Place] {
        guard let racyFrom = scan.racyFrom else { return [] }
        var places: [WorkingTreeWatch.Place] = []
        for position in 0..<git_index_entrycount(scan.index) {
            guard let entry = git_index_get_byindex(scan.index, position),
                UInt32(entry.pointee.flags_extended) & GIT_INDEX_ENTRY_UPTODATE.rawValue == 0
            else { continue }
            if Self.isRacy(entry.pointee.mtime, from: racyFrom) {
                places.append(WorkingTreeWatch.Place(path: String(cString: entry.pointee.path), forced: false))
            }
        }
        return places
    }

    /// The changes among the paths the watch reported: each file looked at again (and hashed again when there, a
    /// rewrite the stat data would miss included), each new folder read whole.
    private func watchedChanges(
        files: [WorkingTreeWatch.Place],
        folders: [WorkingTreeWatch.Place],
        scan: Scan
    ) throws(GitError) -> (added: [String], removed: [String]) {
        var added: [String] = []
        var removed: [String] = []
        var examined = Set<String>()
        for file in files where examined.insert(file.path).inserted {
            var info = stat()
            let tracked = git_index_get_bypath(scan.index, file.path, 0) != nil
            if lstat(scan.root + "/" + file.path, &info) != 0 || !Self.isTrackable(info.st_mode) {
                if tracked { removed.append(file.path) }
            } else if tracked || file.forced {
                added.append(file.path)
            } else if try !isIgnored(file.path) {
                added.append(file.path)
            }
        }
        var seeds: [WorkingTreeWatch.Place] = []
        for folder in folders {
            let parent = WorkingTreeWatch.Place(path: "", forced: folder.forced)
            if let read = try folderToRead(folder.path, in: parent, scan: scan) { seeds.append(read) }
        }
        var found: [String] = []
        _ = try walk(seeds, scan: scan, added: &found)
        for path in found where examined.insert(path).inserted { added.append(path) }
        return (added, removed)
    }

    /// Whether the scan reads folder `name` of `parent`, and as forced or not: an ignored folder is still read when
    /// it holds tracked files (they are updated, as git does) or a forced folder.
    private func folderToRead(
        _ name: String,
        in parent: WorkingTreeWatch.Place,
        scan: Scan
    ) throws(GitError) -> WorkingTreeWatch.Place? {
        let forcedHere = parent.forced || scan.forced.contains(name)
        var position = 0
        if forcedHere || scan.forced.contains(where: { $0.hasPrefix(name + "/") })
            || git_index_find_prefix(&position, scan.index, name + "/") == 0
        {
            return WorkingTreeWatch.Place(path: name, forced: forcedHere)
        }
        return try isIgnored(name + "/") ? nil : WorkingTreeWatch.Place(path: name, forced: false)
    }

    /// Reads `seeds` and every folder under them the scan reads (watched first when the working tree is), appending
    /// to `added` the files that are new or may differ from their entries.
    /// - Returns: how many tracked files were found.
    private func walk(
        _ seeds: [WorkingTreeWatch.Place],
        scan: Scan,
        added: inout [String]
    ) throws(GitError) -> Int {
        let (root, index, settings) = (scan.root, scan.index, scan.settings)
        var seen = 0
        // Folders still to read: the path (empty for the root) and whether it is one of `forced` or inside one.
        var pending = seeds
        // A path of the working tree as libgit2 takes it: the folder's path, a slash, the name, a NUL.
        var path: [CChar] = []
        path.reserveCapacity(4096)
        while let next = pending.popLast() {
            let (folder, folderForced) = (next.path, next.forced)
            if let watch = workingTreeWatch, !watch.watch(next) { workingTreeWatch = nil }
            let descriptor = Glibc.open(folder.isEmpty ? root : root + "/" + folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard descriptor >= 0 else { continue }
            guard let directory = fdopendir(descriptor) else {
                close(descriptor)
                continue
            }
            defer { closedir(directory) }
            path.removeAll(keepingCapacity: true)
            path.append(contentsOf: folder.utf8CString.dropLast())
            if !folder.isEmpty { path.append(0x2F) }
            let prefixLength = path.count
            while let item = readdir(directory) {
                let type = Int32(item.pointee.d_type)
                let isDot = withUnsafeBytes(of: &item.pointee.d_name) { name -> Bool in
                    name[0] == 0x2E && (name[1] == 0 || (name[1] == 0x2E && name[2] == 0))
                }
                if isDot { continue }
                let isGit = withUnsafeBytes(of: &item.pointee.d_name) { name -> Bool in
                    name[0] == 0x2E && name[1] == 0x67 && name[2] == 0x69 && name[3] == 0x74 && name[4] == 0
                }
                if isGit {
                    // The repository's own; anywhere deeper, a nested repository, which git would record as a link
                    // to a commit this repository does not have (libgit2 only says "invalid path").
                    guard folder.isEmpty else {
                        throw GitError(
                            code: GIT_EINVALIDSPEC.rawValue,
                            message: "'\(folder)/' is a git repository of its own inside the working tree, which "
                                + "cannot be committed here; move it out, delete its .git, or list it in .gitignore",
                            operation: "stage the working tree"
                        )
                    }
                    continue
                }
                path.removeSubrange(prefixLength...)
                withUnsafeBytes(of: &item.pointee.d_name) { name in
                    path.append(contentsOf: name.prefix { $0 != 0 }.map { CChar(bitPattern: $0) })
                }
                path.append(0)
                var info = stat()
                var haveInfo = false
                var kind = type
                if kind == Int32(DT_UNKNOWN) {
                    let found = Self.statName(at: path, from: prefixLength, in: directory, into: &info)
                    guard found == 0 else { continue }
                    haveInfo = true
                    kind = Self.directoryEntryType(info.st_mode)
                }
                switch kind {
                case Int32(DT_DIR):
                    if let read = try folderToRead(Self.text(path), in: next, scan: scan) { pending.append(read) }
                case Int32(DT_REG), Int32(DT_LNK):
                    if let entry = git_index_get_bypath(index, path, 0) {
                        // Gone between the listing and the look: not seen, so removed below.
                        if !haveInfo {
                            if Self.statName(at: path, from: prefixLength, in: directory, into: &info) != 0 { continue }
                        }
                        seen += 1
                        if Self.mayDiffer(entry.pointee, from: info, racyFrom: scan.racyFrom, settings: settings) {
                            added.append(Self.text(path))
                        }
                    } else {
                        let name = Self.text(path)
                        if folderForced {
                            added.append(name)
                        } else if try !isIgnored(name) {
                            added.append(name)
                        }
                    }
                default:
                    continue
                }
            }
        }
        return seen
    }

    /// What the scan needs of the configuration; nil when it holds something the scan does not model.
    private struct StagingSettings {
        var fileMode: Bool
        var trustCtime: Bool
        /// `core.excludesFile`, expanded, when set.
        var excludesFile: String?
    }

    private func stagingSettings() throws(GitError) -> StagingSettings? {
        var config: OpaquePointer?
        try git("read the configuration") { git_repository_config_snapshot(&config, pointer) }
        defer { git_config_free(config) }
        func flag(_ name: String, default value: Bool) -> Bool {
            var result: Int32 = 0
            return git_config_get_bool(&result, config, name) == 0 ? result != 0 : value
        }
        guard !flag("core.ignorecase", default: false), flag("core.symlinks", default: true) else { return nil }
        var excludes = git_buf()
        defer { git_buf_dispose(&excludes) }
        let excludesFile =
            git_config_get_path(&excludes, config, "core.excludesfile") == 0
            ? excludes.ptr.map { String(cString: $0) } : nil
        return StagingSettings(
            fileMode: flag("core.filemode", default: true),
            trustCtime: flag("core.trustctime", default: true),
            excludesFile: excludesFile
        )
    }

    /// The user's exclude file when `core.excludesFile` is unset: `$XDG_CONFIG_HOME/git/ignore` or
    /// `~/.config/git/ignore`, found once (the environment is read whole each time it is asked for).
    private static let userIgnoreFile: String? = {
        let environment = ProcessInfo.processInfo.environment
        let configHome =
            environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? environment["HOME"].map { $0 + "/.config" }
        return configHome.map { $0 + "/git/ignore" }
    }()

    /// What the watch must find unchanged to be trusted, besides the index (WorkingTreeWatch.Context).
    private func stagingContext(_ settings: StagingSettings, forced: [String]) -> WorkingTreeWatch.Context {
        let files = [gitDirectory.path + "/info/exclude", settings.excludesFile, Self.userIgnoreFile]
        return WorkingTreeWatch.Context(
            fileMode: settings.fileMode,
            trustCtime: settings.trustCtime,
            forced: forced,
            excludes: files.map { $0.flatMap(WorkingTreeWatch.FileStamp.init(path:)) }
        )
    }

    /// Whether `.gitignore` (or `info/exclude`, or the user's excludes file) keeps `path` out.
    private func isIgnored(_ path: String) throws(GitError) -> Bool {
        var ignored: Int32 = 0
        try git("check .gitignore for \(path)") { git_ignore_path_is_ignored(&ignored, pointer, path) }
        return ignored != 0
    }

    /// The NUL-terminated `path` as a string.
    private static func text(_ path: [CChar]) -> String {
        path.withUnsafeBufferPointer { buffer in buffer.baseAddress.map { String(cString: $0) } ?? "" }
    }

    /// `lstat` of the name that starts at `offset` of `path` (NUL-terminated), relative to the open `directory`.
    private static func statName(
        at path: [CChar],
        from offset: Int,
        in directory: OpaquePointer,
        into info: inout stat
    ) -> Int32 {
        path.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return -1 }
            return fstatat(dirfd(directory), base + offset, &info, AT_SYMLINK_NOFOLLOW)
        }
    }

    private static func isTrackable(_ mode: mode_t) -> Bool {
        mode & S_IFMT == S_IFREG || mode & S_IFMT == S_IFLNK
    }

    private static func directoryEntryType(_ mode: mode_t) -> Int32 {
        switch mode & S_IFMT {
        case S_IFDIR: Int32(DT_DIR)
        case S_IFREG: Int32(DT_REG)
        case S_IFLNK: Int32(DT_LNK)
        default: Int32(DT_UNKNOWN)
        }
    }

    /// Whether the file may differ from its index entry, by git's test: any of the stat data the entry recorded, the
    /// mode git would give it, or an entry too recent to trust.
    private static func mayDiffer(
        _ entry: git_index_entry,
        from info: stat,
        racyFrom: timespec?,
        settings: StagingSettings
    ) -> Bool {
        let isLink = info.st_mode & S_IFMT == S_IFLNK
        let mode: UInt32
        if isLink {
            mode = GIT_FILEMODE_LINK.rawValue
        } else if !settings.fileMode && entry.mode != GIT_FILEMODE_LINK.rawValue {
            mode = entry.mode
        } else {
            mode = info.st_mode & S_IXUSR != 0 ? GIT_FILEMODE_BLOB_EXECUTABLE.rawValue : GIT_FILEMODE_BLOB.rawValue
        }
        if entry.mode != mode || entry.file_size != UInt32(truncatingIfNeeded: info.st_size)
            || entry.ino != UInt32(truncatingIfNeeded: info.st_ino)
            || !same(entry.mtime, info.st_mtim)
            || (settings.trustCtime && !same(entry.ctime, info.st_ctim))
        {
            return true
        }
        guard let racyFrom else { return true }
        return isRacy(entry.mtime, from: racyFrom)
    }

    /// Whether an entry modified at `time` is racily clean: no earlier than the index was written (`racyFrom`).
    private static func isRacy(_ time: git_index_time, from racyFrom: timespec) -> Bool {
        let seconds = Int(time.seconds)
        return seconds > racyFrom.tv_sec || (seconds == racyFrom.tv_sec && Int(time.nanoseconds) >= racyFrom.tv_nsec)
    }

    private static func same(_ time: git_index_time, _ spec: timespec) -> Bool {
        time.seconds == Int32(truncatingIfNeeded: spec.tv_sec)
            && time.nanoseconds == UInt32(truncatingIfNeeded: spec.tv_nsec)
    }
}
