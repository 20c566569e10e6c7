import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The process groups this tollgate started and has not ended yet, and what happens to them when tollgate is
/// interrupted or was killed outright (DESIGN §5, process hygiene).
///
/// Every agent and critic runs in a group of its own, so the terminal's Ctrl-C reaches tollgate only. On SIGINT,
/// SIGTERM or SIGHUP tollgate ends every live group (SIGTERM, a grace period, SIGKILL); the waiting run comes back
/// as ``ChildProcess/Termination/interrupted(signal:)`` and the engine records it. A tollgate killed with SIGKILL
/// cannot do that, so each agent's group id and start time are kept in a runtime file, and the next command on
/// the job ends a survivor before anything runs again (``endSurvivors(recordedAt:graceSeconds:)``).
public enum ProcessGroups {
    /// Seconds between SIGTERM and SIGKILL when tollgate is interrupted.
    public static let interruptGraceSeconds = 3

    private static let live = Mutex<Set<pid_t>>([])
    /// Spawns under way: their child may run before its group is registered.
    private static let spawning = Atomic<Int>(0)
    private static let received = Atomic<Int32>(0)
    private static let sources = Mutex<[any DispatchSourceSignal]>([])

    /// The signal that interrupted this process, if one did.
    public static var interruption: Int32? {
        let signal = received.load(ordering: .acquiring)
        return signal == 0 ? nil : signal
    }

    /// Handles SIGINT, SIGTERM and SIGHUP from now on: the first ends every live group and lets the engine record
    /// the interruption (or exits at once when no group is live); a second one kills the groups and exits.
    public static func installInterruptHandlers() {
        sources.withLock { sources in
            guard sources.isEmpty else { return }
            for signalNumber in [SIGINT, SIGTERM, SIGHUP] {
                signal(signalNumber, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
                source.setEventHandler { interrupted(by: signalNumber) }
                source.resume()
                sources.append(source)
            }
        }
    }

    /// `SIGINT`, `SIGTERM`, `SIGHUP`, else `signal N`.
    public static func name(of signalNumber: Int32) -> String {
        switch signalNumber {
        case SIGINT: "SIGINT"
        case SIGTERM: "SIGTERM"
        case SIGHUP: "SIGHUP"
        case SIGKILL: "SIGKILL"
        default: "signal \(signalNumber)"
        }
    }

    private static func interrupted(by signalNumber: Int32) {
        let (exchanged, _) = received.compareExchange(
            expected: 0,
            desired: signalNumber,
            ordering: .acquiringAndReleasing
        )
        var groups = live.withLock { $0 }
        if exchanged, groups.isEmpty, spawning.load(ordering: .acquiring) > 0 {
            // A child is starting: it is registered within moments, and killed at once then (the interruption is
            // recorded). Exiting now would leave it running, unknown.
            let deadline = ContinuousClock.now + .seconds(2)
            while spawning.load(ordering: .acquiring) > 0, ContinuousClock.now < deadline { usleep(1_000) }
            groups = live.withLock { $0 }
        }
        guard exchanged, !groups.isEmpty else {
            // Nothing to hand back to the engine, or a second signal: every step is safe to cut (DESIGN §6).
            for group in groups { kill(-group, SIGKILL) }
            _exit(128 + signalNumber)
        }
        for group in groups { kill(-group, SIGTERM) }
        DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(interruptGraceSeconds)) {
            for group in live.withLock({ $0 }) { kill(-group, SIGKILL) }
        }
    }

    /// A spawn begins: until ``spawnEnds(registering:)``, an interrupt waits for its child instead of exiting.
    static func spawnStarts() {
        spawning.add(1, ordering: .acquiringAndReleasing)
    }

    /// The spawn ended: its child (if it started) is registered as live, then the wait of an interrupt is over.
    static func spawnEnds(registering group: pid_t?) {
        if let group { register(group) }
        spawning.subtract(1, ordering: .acquiringAndReleasing)
    }

    /// Records `group` as live.
    ///
    /// One started after tollgate was interrupted gets no grace: it is killed at once.
    static func register(_ group: pid_t) {
        live.withLock { _ = $0.insert(group) }
        if interruption != nil { kill(-group, SIGKILL) }
    }

    static func unregister(_ group: pid_t) {
        live.withLock { _ = $0.remove(group) }
    }

    /// Whether any process of `group` is still there (zombies included).
    static func exists(_ group: pid_t) -> Bool {
        kill(-group, 0) == 0 || errno == EPERM
    }

    /// Ends what is left of `group` after its leader exited: SIGTERM, up to `graceSeconds` for the members to go,
    /// then SIGKILL.
    ///
    /// The members are not our children, so their end is watched with `kill(-group, 0)`.
    static func end(group: pid_t, graceSeconds: Int) {
        guard exists(group) else { return }
        kill(-group, SIGTERM)
        let deadline = ContinuousClock.now + .seconds(graceSeconds)
        while exists(group), ContinuousClock.now < deadline {
            usleep(20_000)
        }
        if exists(group) { kill(-group, SIGKILL) }
    }

    // MARK: - The runtime record of a killed tollgate's agent

    /// The line kept in the runtime file while `group` runs: its id and its leader's start time.
    static func runtimeRecord(for group: pid_t) -> String {
        "\(group) \(startTime(of: group) ?? 0)\n"
    }

    /// The start time of process `pid` since boot, in clock ticks (`/proc/PID/stat`, field 22); nil when there
    /// is no such process (or no `/proc`).
    static func startTime(of pid: pid_t) -> UInt64? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let end = text.lastIndex(of: ")")
        else { return nil }
        // After the command name in parentheses: state is field 3, start time field 22.
        let fields = text[text.index(after: end)...].split(separator: " ")
        guard fields.count > 19 else { return nil }
        return UInt64(fields[19])
    }

    /// Whether the group recorded in `file` (as ``runtimeRecord(for:)`` writes it) is still there: its leader has the
    /// recorded start time, or is gone while members of its group are left.
    ///
    /// An empty record (the agent ended), a missing one or a recycled id is not alive.
    public static func isAlive(recordedAt file: URL) -> Bool {
        guard let text = try? String(contentsOf: file, encoding: .utf8) else { return false }
        let parts = text.split(whereSeparator: \.isWhitespace)
        guard parts.count == 2, let group = pid_t(parts[0]), group > 1, let started = UInt64(parts[1]) else {
            return false
        }
        if let leaderStart = startTime(of: group), leaderStart != started { return false }
        return exists(group)
    }

    /// Ends the group a killed tollgate left running, as recorded in `file`, and removes the record.
    ///
    /// Returns a sentence for the user when something was ended. A recorded id whose leader now has another start time
    /// belongs to an unrelated process and is left alone (an id is not reused while its group lives, so a group whose
    /// leader is gone but which still has members is the recorded one).
    public static func endSurvivors(recordedAt file: URL, graceSeconds: Int = 5) -> String? {
        guard let text = try? String(contentsOf: file, encoding: .utf8) else { return nil }
        defer { try? FileManager.default.removeItem(at: file) }
        guard isAlive(recordedAt: file), let group = pid_t(text.split(whereSeparator: \.isWhitespace)[0]) else {
            return nil
        }
        end(group: group, graceSeconds: graceSeconds)
        return "ended process group \(group), left running by a tollgate that was killed"
    }
}
