internal import CGit2
import Foundation

/// What changed in a working tree since its last full scan, as the kernel reported it (inotify(7)): the folders the
/// scan read are watched, so the next commit examines only the paths that changed instead of every tracked file.
///
/// Trusted only while nothing else could have changed what the scan compared: the index is the one this process
/// wrote after the scan (same inode, size and times), the staging settings, the forced folders and the exclude files
/// outside the working tree are as they were. Anything the events cannot describe exactly asks for a full scan
/// again: the kernel's queue overflowed, a watched folder was removed or moved, a folder was moved in or out, a
/// `.gitignore` or a `.git` changed. Git's own file system monitor has the same one blind spot: a file written
/// through a shared memory mapping after its descriptor was closed raises no event.
///
/// One inotify instance per watched repository (a user has 128 by default, shared with every other program), so
/// the engine asks for it on the job's main working tree only (``Repository/watchWorkingTree()``).
final class WorkingTreeWatch {
    /// A file or folder of the working tree (its path, empty for the root) and whether it is, or is inside, a
    /// forced folder.
    struct Place: Equatable {
        var path: String
        var forced: Bool
    }

    /// What was true when the index was last written after a scan; the watch is trusted while it still is.
    struct Conditions: Equatable {
        var index: FileStamp
        var context: Context
    }

    /// What else a scan's result depends on: the settings it compares by, the forced folders, and the exclude files
    /// outside the working tree (`info/exclude`, the user's), which raise no event here.
    struct Context: Equatable {
        var fileMode: Bool
        var trustCtime: Bool
        var forced: [String]
        var excludes: [FileStamp?]
    }

    /// What a changed file's `lstat` tells apart: enough to notice it was replaced or rewritten.
    struct FileStamp: Equatable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var modified: timespec
        var changed: timespec

        init?(path: String) {
            var info = stat()
            guard lstat(path, &info) == 0 else { return nil }
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
            size = Int64(info.st_size)
            modified = info.st_mtim
            changed = info.st_ctim
        }

        static func == (lhs: FileStamp, rhs: FileStamp) -> Bool {
            lhs.device == rhs.device && lhs.inode == rhs.inode && lhs.size == rhs.size
                && lhs.modified.tv_sec == rhs.modified.tv_sec && lhs.modified.tv_nsec == rhs.modified.tv_nsec
                && lhs.changed.tv_sec == rhs.changed.tv_sec && lhs.changed.tv_nsec == rhs.changed.tv_nsec
        }
    }

    /// The events since the last drain, as paths to examine, or a full scan.
    enum Changes {
        /// Files created, written, changed or removed, and new folders, whose contents are unknown; each with its
        /// folder's `forced`.
        case paths(files: [Place], folders: [Place])
        /// The events cannot say what changed.
        case rescan
    }

    /// File systems whose events describe every change made on this machine.
    ///
    /// ext2-4, XFS, Btrfs, tmpfs, F2FS, overlayfs, ZFS (statfs(2) magic numbers). Network and FUSE file systems
    /// change under other clients without an event.
    static let localFileSystems: Set<Int> = [
        0xEF53, 0x5846_5342, 0x9123_683E, 0x0102_1994, 0xF2F5_2010, 0x794C_7630, 0x2FC1_2FC1,
    ]

    private static let mask = UInt32(
        IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF
            | IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK
    )

    let root: String
    private let descriptor: Int32
    private var folders: [Int32: Place] = [:]
    /// Set once the index a full scan staged is written; nil while the events cannot be trusted alone.
    var trusted: Conditions?

    /// A watch on the working tree at `root`, or nil when its file system is not one whose events can be trusted
    /// or the kernel has no instance to give.
    init?(root: String) {
        let folder = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard folder >= 0 else { return nil }
        let type = tollgate_filesystem_type(folder)
        close(folder)
        guard Self.localFileSystems.contains(type) else { return nil }
        let descriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard descriptor >= 0 else { return nil }
        self.root = root
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// Watches `folder` before the scan reads it, so a change the scan misses raises an event; false when the
    /// kernel refuses (the user's `max_user_watches`), and the watch must not be used.
    func watch(_ folder: Place) -> Bool {
        let path = folder.path.isEmpty ? root : root + "/" + folder.path
        let watch = inotify_add_watch(descriptor, path, Self.mask)
        if watch < 0 { return errno == ENOENT || errno == ENOTDIR }
        folders[watch] = folder
        return true
    }

    /// Reads every event queued since the last drain.
    func drain() -> Changes {
        var files: [Place] = []
        var newFolders: [Place] = []
        var rescan = false
        let capacity = 64 * 1024
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
        defer { buffer.deallocate() }
        while true {
            let count = read(descriptor, buffer, capacity)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            var offset = 0
            while offset + MemoryLayout<inotify_event>.size <= count {
                let event = buffer.load(fromByteOffset: offset, as: inotify_event.self)
                let nameStart = buffer.advanced(by: offset + MemoryLayout<inotify_event>.size)
                offset += MemoryLayout<inotify_event>.size + Int(event.len)
                if rescan { continue }
                let name =
                    event.len == 0
                    ? "" : String(cString: nameStart.assumingMemoryBound(to: CChar.self))
                switch classify(event.mask, name: name, folder: folders[event.wd]) {
                case .rescan:
                    rescan = true
                case .ignore:
                    break
                case .file(let path, let forced):
                    files.append(Place(path: path, forced: forced))
                case .folder(let folder):
                    newFolders.append(folder)
                }
            }
        }
        return rescan ? .rescan : .paths(files: files, folders: newFolders)
    }

    private enum Event {
        case rescan, ignore
        case file(String, forced: Bool)
        case folder(Place)
    }

    private func classify(_ mask: UInt32, name: String, folder: Place?) -> Event {
        let structural = UInt32(IN_Q_OVERFLOW | IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT)
        guard mask & structural == 0, let folder else { return .rescan }
        // The repository's own folder, seen from the root: its contents raise no event here.
        if folder.path.isEmpty && name == ".git" {
            return mask & UInt32(IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO) == 0 ? .ignore : .rescan
        }
        // The rules of what is ignored, or a repository nested in the tree: the scan decides those.
        if name == ".gitignore" || name == ".git" { return .rescan }
        let path = folder.path.isEmpty ? name : folder.path + "/" + name
        if mask & UInt32(IN_ISDIR) != 0 {
            if mask & UInt32(IN_CREATE) != 0 { return .folder(Place(path: path, forced: folder.forced)) }
            // A folder's own attributes: git records none.
            if mask & UInt32(IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO) == 0 { return .ignore }
            return .rescan
        }
        return .file(path, forced: folder.forced)
    }
}
