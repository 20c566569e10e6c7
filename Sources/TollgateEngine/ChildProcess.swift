import Foundation
import TollgateCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A command run in its own process group, with a deadline: SIGTERM to the group, a grace period, then SIGKILL.
///
/// Spawned with `posix_spawn` and reaped by a thread blocked in `waitpid`, which wakes the caller through a
/// semaphore: no polling (Foundation's `Process.waitUntilExit()` polls in 50 ms steps on Linux).
public struct ChildProcess: Sendable {
    /// How a process ended.
    public enum Termination: Sendable, Equatable, CustomStringConvertible {
        case exited(Int32)
        case signalled(Int32)
        /// Killed by us after the deadline.
        case timedOut(seconds: Int)
        /// Ended by us because tollgate itself was interrupted by `signal`.
        case interrupted(signal: Int32)

        public var description: String {
            switch self {
            case .exited(let code): "exited with status \(code)"
            case .signalled(let signal): "was killed by signal \(signal)"
            case .timedOut(let seconds): "did not finish within \(seconds) s and was stopped"
            case .interrupted(let signal):
                "was stopped because tollgate was interrupted (\(ProcessGroups.name(of: signal)))"
            }
        }

        public var succeeded: Bool { self == .exited(0) }
    }

    public var arguments: [String]
    public var environment: [String: String]
    public var directory: URL
    /// Where stdout and stderr go (appended); nil inherits ours.
    public var outputFile: URL?
    /// Seconds before the process group gets SIGTERM; nil waits for ever.
    ///
    /// Stdin is always /dev/null.
    public var timeoutSeconds: Int?
    public var graceSeconds: Int
    /// Where the group's id and start time are kept while it runs, for the next command to end it should this
    /// process be killed outright (DESIGN §5); nil keeps no record.
    public var runtimeRecord: URL?
    /// Called every `heartbeatSeconds` while the process runs, with the time since it started.
    public var heartbeat: (@Sendable (Duration) -> Void)?
    public var heartbeatSeconds: Double = 1

    public init(
        arguments: [String],
        environment: [String: String],
        directory: URL,
        outputFile: URL? = nil,
        timeoutSeconds: Int? = nil,
        graceSeconds: Int = 5,
        runtimeRecord: URL? = nil
    ) {
        self.arguments = arguments
        self.environment = environment
        self.directory = directory
        self.outputFile = outputFile
        self.timeoutSeconds = timeoutSeconds
        self.graceSeconds = graceSeconds
        self.runtimeRecord = runtimeRecord
    }

    /// A shell command, run by `/bin/sh -c` as DESIGN §5 says.
    public static func shell(
        _ command: String,
        environment: [String: String],
        directory: URL,
        outputFile: URL? = nil,
        timeoutSeconds: Int? = nil,
        graceSeconds: Int = 5,
        runtimeRecord: URL? = nil
    ) -> ChildProcess {
        ChildProcess(
            arguments: ["/bin/sh", "-c", ShellQuoting.script(for: command)],
            environment: environment,
            directory: directory,
            outputFile: outputFile,
            timeoutSeconds: timeoutSeconds,
            graceSeconds: graceSeconds,
            runtimeRecord: runtimeRecord
        )
    }

    /// Runs the process to its end and says how it ended.
    ///
    /// Whatever the leader leaves running in its group is ended with it (SIGTERM, the grace period, SIGKILL), so no
    /// background child outlives the run.
    /// - Throws: `EngineError.spawnFailed` when the process cannot be started at all.
    public func run() throws -> Termination {
        // With a runtime record, the command waits behind a gate until the record names its group: a tollgate killed
        // between the spawn and the record would otherwise leave an agent that no later command knows of. The shell
        // reads a line from descriptor 3 before anything else; the write end dies with this process, so the gate
        // of a tollgate killed before the record reads nothing and the command never runs.
        var gate: [Int32] = [-1, -1]
        var arguments = arguments
        if runtimeRecord != nil, PrivacyMode.requested(by: environment) != .localOnly, arguments.count == 3,
            arguments[0] == "/bin/sh", arguments[1] == "-c", pipe(&gate) == 0
        {
            // Close-on-exec here: every spawn of the engine closes what is not its child's anyway.
            _ = (fcntl(gate[0], F_SETFD, FD_CLOEXEC), fcntl(gate[1], F_SETFD, FD_CLOEXEC))
            arguments[2] = Self.gateLine + arguments[2]
        }
        let gated = gate[0] >= 0
        let pid: pid_t
        do {
            pid = try ProcessLauncher.spawn(
                arguments: arguments,
                environment: environment,
                directory: directory,
                input: nil,
                output: outputFile.map { .file($0) } ?? .inherited,
                error: outputFile == nil ? .inherited : .standardOutput,
                gate: gated ? gate[0] : nil
            )
        } catch {
            if gated { _ = (close(gate[0]), close(gate[1])) }
            throw error
        }
        if gated { close(gate[0]) }
        if let runtimeRecord { Self.overwrite(runtimeRecord, with: ProcessGroups.runtimeRecord(for: pid)) }
        if gated {
            _ = write(gate[1], "\n", 1)
            close(gate[1])
        }
        defer {
            ProcessGroups.end(group: pid, graceSeconds: graceSeconds)
            ProcessGroups.unregister(pid)
            if let runtimeRecord { Self.overwrite(runtimeRecord, with: "") }
        }
        let reaper = ProcessReaper(pid: pid)
        let termination: Termination
        if let timeoutSeconds, !wait(for: reaper, deadline: .now() + .seconds(timeoutSeconds)) {
            kill(-pid, SIGTERM)
            if !reaper.wait(until: .now() + .seconds(graceSeconds)) {
                kill(-pid, SIGKILL)
                _ = reaper.wait(until: nil)
            }
            // The grace period is over: whatever of the group ignored SIGTERM goes now.
            kill(-pid, SIGKILL)
            termination = .timedOut(seconds: timeoutSeconds)
        } else {
            _ = wait(for: reaper, deadline: nil)
            termination = reaper.termination ?? .exited(-1)
        }
        if let signal = ProcessGroups.interruption { return .interrupted(signal: signal) }
        return termination
    }

    /// What a gated shell runs first: one line from the gate, or the end (125) when its writer died first.
    static let gateLine = "read -r tollgate_gate <&3 || exit 125; exec 3<&-; "

    /// Replaces the contents of `file` in place (no new file, no `fsync`): the runtime record is rewritten for every
    /// agent, and emptied when it ends (an empty record names no group), so a long job does not create and delete a
    /// file each phase.
    ///
    /// A record cut short by a crash names no group either, as a missing one did.
    private static func overwrite(_ file: URL, with text: String) {
        let descriptor = openOwnRegularFile(file.path)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        var bytes = Array(text.utf8)
        _ = bytes.withUnsafeMutableBytes { write(descriptor, $0.baseAddress, $0.count) }
    }

    /// Waits for the process until `deadline` (for ever when nil), beating the heartbeat meanwhile; true when it
    /// ended.
    private func wait(for reaper: ProcessReaper, deadline: DispatchTime?) -> Bool {
        guard let heartbeat else { return reaper.wait(until: deadline) }
        let started = ContinuousClock.now
        let interval = DispatchTimeInterval.milliseconds(Int(heartbeatSeconds * 1000))
        while true {
            let beat = DispatchTime.now() + interval
            let until = deadline.map { min($0, beat) } ?? beat
            if reaper.wait(until: until) { return true }
            if let deadline, DispatchTime.now() >= deadline { return false }
            heartbeat(ContinuousClock.now - started)
        }
    }
}
