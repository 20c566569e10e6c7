import Foundation
import Synchronization

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

        public var description: String {
            switch self {
            case .exited(let code): "exited with status \(code)"
            case .signalled(let signal): "was killed by signal \(signal)"
            case .timedOut(let seconds): "did not finish within \(seconds) s and was stopped"
            }
        }

        public var succeeded: Bool { self == .exited(0) }
    }

    public var arguments: [String]
    public var environment: [String: String]
    public var directory: URL
    /// Where stdout and stderr go (appended); nil inherits ours.
    public var outputFile: URL?
    /// Seconds before the process group gets SIGTERM; nil waits for ever. Stdin is always /dev/null.
    public var timeoutSeconds: Int?
    public var graceSeconds: Int

    public init(
        arguments: [String], environment: [String: String], directory: URL, outputFile: URL? = nil,
        timeoutSeconds: Int? = nil, graceSeconds: Int = 5
    ) {
        self.arguments = arguments
        self.environment = environment
        self.directory = directory
        self.outputFile = outputFile
        self.timeoutSeconds = timeoutSeconds
        self.graceSeconds = graceSeconds
    }

    /// A shell command, run by `/bin/sh -c` as DESIGN §5 says.
    public static func shell(
        _ command: String, environment: [String: String], directory: URL, outputFile: URL? = nil,
        timeoutSeconds: Int? = nil, graceSeconds: Int = 5
    ) -> ChildProcess {
        ChildProcess(
            arguments: ["/bin/sh", "-c", command], environment: environment, directory: directory,
            outputFile: outputFile, timeoutSeconds: timeoutSeconds, graceSeconds: graceSeconds)
    }

    /// Runs the process to its end and says how it ended.
    /// - Throws: `EngineError.spawnFailed` when the process cannot be started at all.
    public func run() throws -> Termination {
        let pid = try spawn()
        let reaped = DispatchSemaphore(value: 0)
        let status = StatusBox()
        Thread.detachNewThread {
            var raw: Int32 = 0
            while waitpid(pid, &raw, 0) == -1 && errno == EINTR {}
            status.set(raw)
            reaped.signal()
        }
        var timedOut = false
        if let timeoutSeconds {
            if reaped.wait(timeout: .now() + .seconds(timeoutSeconds)) == .timedOut {
                timedOut = true
                kill(-pid, SIGTERM)
                if reaped.wait(timeout: .now() + .seconds(graceSeconds)) == .timedOut {
                    kill(-pid, SIGKILL)
                    reaped.wait()
                }
            }
        } else {
            reaped.wait()
        }
        if timedOut, let timeoutSeconds { return .timedOut(seconds: timeoutSeconds) }
        let raw = status.get()
        if raw & 0x7f == 0 { return .exited((raw >> 8) & 0xff) }
        return .signalled(raw & 0x7f)
    }

    private func spawn() throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if let outputFile {
            posix_spawn_file_actions_addopen(&actions, 1, outputFile.path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setpgroup(&attributes, 0)
        var defaultSignals = sigset_t()
        sigemptyset(&defaultSignals)
        sigaddset(&defaultSignals, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaultSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF))

        // posix_spawn has no portable "chdir" action; a tiny shell changes directory and then execs the command,
        // rather than this process changing its own directory under other threads.
        let argv = ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", directory.path] + arguments
        var cArguments: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        var cEnvironment: [UnsafeMutablePointer<CChar>?] =
            environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in cArguments { free(pointer) }
            for pointer in cEnvironment { free(pointer) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, "/bin/sh", &actions, &attributes, &cArguments, &cEnvironment)
        guard rc == 0 else {
            throw EngineError.spawnFailed(command: arguments.joined(separator: " "), reason: String(cString: strerror(rc)))
        }
        return pid
    }
}

/// The exit status handed from the reaping thread to the waiting caller.
private final class StatusBox: Sendable {
    private let value = Mutex<Int32>(0)

    func set(_ raw: Int32) { value.withLock { $0 = raw } }

    func get() -> Int32 { value.withLock { $0 } }
}
