import Foundation

/// What kind of file system a folder is on, as far as it changes the job figures: on an ext4 without a journal a new
/// file walks every inode freed there in the last minutes (`recently_deleted` in `fs/ext4/ialloc.c`), so a run's
/// figures follow what the machine deleted lately.
enum FileSystemKind {
    /// One line for the bench's header: the kind, and what it means for the figures.
    static func describe(_ folder: URL) -> String {
        guard let mount = mount(holding: folder) else { return "file system: unknown (no /proc/self/mountinfo)" }
        switch mount.type {
        case "tmpfs":
            return "file system: tmpfs (no disk; a new file costs the same whatever was deleted before)"
        case "ext4" where hasJournal(mount.source):
            return "file system: ext4 with a journal (\(mount.source))"
        case "ext4":
            return "file system: ext4 without a journal (\(mount.source)): a new file walks the inodes freed there in "
                + "the last minutes, so these figures follow what the machine deleted lately (TMPDIR=/dev/shm "
                + "compares on tmpfs)"
        default:
            return "file system: \(mount.type) (\(mount.source))"
        }
    }

    /// The type and device of the mount that holds `folder` (the longest mount point it is under), from
    /// `/proc/self/mountinfo`: mount point in the fifth field, type and source after the ` - `.
    private static func mount(holding folder: URL) -> (type: String, source: String)? {
        guard let table = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return nil }
        let path = folder.resolvingSymlinksInPath().path
        var best: (point: String, type: String, source: String)?
        for line in table.split(separator: "\n") {
            let halves = line.components(separatedBy: " - ")
            let fields = halves[0].split(separator: " ")
            guard halves.count == 2, fields.count > 4 else { continue }
            let point = String(fields[4])
            let tail = halves[1].split(separator: " ").map(String.init)
            guard tail.count >= 2 else { continue }
            let under = point == "/" || path == point || path.hasPrefix(point + "/")
            if under, point.count >= (best?.point.count ?? -1) { best = (point, tail[0], tail[1]) }
        }
        return best.map { ($0.type, $0.source) }
    }

    /// Whether the kernel runs a journal for `device` (`/proc/fs/jbd2/<name>-<inode>`).
    private static func hasJournal(_ device: String) -> Bool {
        let name = URL(fileURLWithPath: device).lastPathComponent
        let journals = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/fs/jbd2")) ?? []
        return journals.contains { $0.hasPrefix(name + "-") }
    }
}
