import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What is left of a process group, read from `/proc`: what a test asks to show that a stopped agent, critic or
/// gate left nothing running.
///
/// A member killed a moment ago may still be on its way out, and one whose parent died first stays a zombie until
/// the machine's first process reaps it; a zombie runs nothing, so it does not count.
public enum ProcessGroupProbe {
    /// The processes of group `group` that are not zombies, by id.
    public static func livingMembers(of group: pid_t) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { name -> pid_t? in
            guard let pid = pid_t(name),
                let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
                let end = stat.lastIndex(of: ")")
            else { return nil }
            // After the command in parentheses: the state (field 3), the parent (4), the group (5).
            let fields = stat[stat.index(after: end)...].split(separator: " ")
            guard fields.count > 2, fields[0] != "Z", pid_t(fields[2]) == group else { return nil }
            return pid
        }
    }

    /// Waits until group `group` has no living member; false if one is still there after `limit`, a bound on a
    /// hang rather than on speed (members are already signalled when a test asks).
    public static func ended(_ group: pid_t, within limit: Duration = .seconds(30)) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while !livingMembers(of: group).isEmpty {
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return true
    }
}
