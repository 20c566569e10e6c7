import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An exclusive `flock` on a file in the job's git directory: one tollgate process per job on a machine.
///
/// The kernel drops the lock when the process ends, however it ends, so a crash leaves nothing to clean up.
public final class FileLock {
    private let descriptor: Int32

    /// Takes the lock or throws at once, naming the process that holds it.
    public init(at url: URL, job: String) throws {
        let fd = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
        if fd < 0 && errno == ELOOP {
            // Not tollgate's lock (an agent or a tool put a link there): refused, not followed, and not replaced
            // either, since a tollgate may still hold the file the link took the place of.
            throw EngineError.stateDamaged(
                path: url.deletingLastPathComponent().deletingLastPathComponent().path,
                reason: "its lock file \(url.path) is a symbolic link, not tollgate's own. Once no tollgate works on "
                    + "the job, remove it (`rm '\(url.path)'`) and run the command again"
            )
        }
        guard fd >= 0 else {
            throw EngineError.corruptState(
                path: url.path,
                reason: "cannot open the lock file: \(String(cString: strerror(errno)))"
            )
        }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            var buffer = [UInt8](repeating: 0, count: 64)
            let count = read(fd, &buffer, 64)
            close(fd)
            let holder =
                count > 0
                ? "pid "
                    + String(decoding: buffer[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                : "it is just starting and has not written its pid yet"
            throw EngineError.locked(path: job, holder: holder)
        }
        ftruncate(fd, 0)
        let pid = "\(getpid())\n"
        _ = pid.withCString { write(fd, $0, strlen($0)) }
        descriptor = fd
    }

    /// The pid written by the process that holds the lock at `url` now, or nil when no process holds it.
    ///
    /// Takes the lock for an instant to find out, so it is free again on return.
    public static func holder(at url: URL) -> String? {
        let fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return nil
        }
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = read(fd, &buffer, 64)
        let pid = count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : ""
        return pid.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}

@available(*, unavailable)
extension FileLock: Sendable {}
