import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A command run in its own process group whose standard output is read as it comes, chunk by chunk.
///
/// The caller drives it: ``read(until:)`` waits for the next chunk (or a deadline), ``waitForExit(until:)`` waits
/// for the process once its output has ended, and ``terminate(graceSeconds:)`` stops the whole group (SIGTERM, a
/// grace period, then SIGKILL). A thread blocked in `waitpid` reaps the process and wakes the caller through a
/// semaphore, so nothing polls. A process still running when the value is released is killed with its group.
public final class StreamingChildProcess {
    /// What one read returned.
    public enum Chunk: Equatable {
        /// Bytes from standard output.
        case data([UInt8])
        /// The deadline passed before any byte came.
        case deadline
        /// Standard output is closed: every writer ended or closed it.
        case endOfStream
    }

    /// The process id (also the id of its process group).
    public let pid: pid_t
    private var readDescriptor: Int32
    private let reaped = DispatchSemaphore(value: 0)
    private let status = ReapedStatus()

    /// Starts `arguments` in `directory` with exactly `environment`.
    ///
    /// - Parameters:
    ///   - input: the file on standard input; `/dev/null` when nil.
    ///   - errorFile: where standard error goes (appended); inherited from this process when nil.
    /// - Throws: `EngineError.spawnFailed` when the process cannot be started.
    public init(arguments: [String], environment: [String: String], directory: URL, input: URL?, errorFile: URL?) throws
    {
        var pipeEnds: [Int32] = [-1, -1]
        guard pipe(&pipeEnds) == 0 else {
            throw EngineError.spawnFailed(
                command: arguments.joined(separator: " "),
                reason: "no pipe: \(String(cString: strerror(errno)))"
            )
        }
        // Close-on-exec, so other processes spawned meanwhile do not inherit either end (dup2 clears it on fd 1).
        _ = fcntl(pipeEnds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(pipeEnds[1], F_SETFD, FD_CLOEXEC)
        do {
            self.pid = try Self.spawn(
                arguments: arguments,
                environment: environment,
                directory: directory,
                input: input,
                errorFile: errorFile,
                writeEnd: pipeEnds[1]
            )
        } catch {
            close(pipeEnds[0])
            close(pipeEnds[1])
            throw error
        }
        close(pipeEnds[1])
        self.readDescriptor = pipeEnds[0]
        let pid = self.pid
        let status = self.status
        let reaped = self.reaped
        Thread.detachNewThread {
            var raw: Int32 = 0
            while waitpid(pid, &raw, 0) == -1 && errno == EINTR {}
            status.set(raw)
            reaped.signal()
        }
    }

    /// A shell command, run by `/bin/sh -c`.
    public static func shell(
        _ command: String,
        environment: [String: String],
        directory: URL,
        input: URL?,
        errorFile: URL?
    ) throws -> StreamingChildProcess {
        try StreamingChildProcess(
            arguments: ["/bin/sh", "-c", command],
            environment: environment,
            directory: directory,
            input: input,
            errorFile: errorFile
        )
    }

    deinit {
        if readDescriptor >= 0 { close(readDescriptor) }
        if status.get() == nil {
            kill(-pid, SIGKILL)
        }
    }

    /// Waits for the next chunk of standard output, at most until `deadline` (for ever when nil).
    public func read(until deadline: ContinuousClock.Instant?) -> Chunk {
        guard readDescriptor >= 0 else { return .endOfStream }
        while true {
            var timeout: Int32 = -1
            if let deadline {
                let left = deadline - ContinuousClock.now
                if left <= .zero { return .deadline }
                let (seconds, attoseconds) = left.components
                let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1
                timeout = Int32(clamping: milliseconds)
            }
            var descriptor = pollfd(fd: readDescriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, timeout)
            if ready == -1 {
                if errno == EINTR { continue }
                return .endOfStream
            }
            if ready == 0 { continue }  // the deadline check at the top decides
            var buffer = [UInt8](repeating: 0, count: 65_536)
            let count = buffer.withUnsafeMutableBytes { systemRead(readDescriptor, $0.baseAddress, $0.count) }
            if count > 0 { return .data(Array(buffer[0..<count])) }
            if count == -1 && (errno == EINTR || errno == EAGAIN) { continue }
            close(readDescriptor)
            readDescriptor = -1
            return .endOfStream
        }
    }

    /// Waits for the process to exit, at most until `deadline`; nil when it is still running then.
    public func waitForExit(until deadline: ContinuousClock.Instant?) -> ChildProcess.Termination? {
        if let deadline {
            let left = deadline - ContinuousClock.now
            let (seconds, attoseconds) = max(left, .zero).components
            let nanoseconds = Int(clamping: seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
            guard reaped.wait(timeout: .now() + .nanoseconds(nanoseconds)) == .success else { return nil }
        } else {
            reaped.wait()
        }
        reaped.signal()  // a later wait returns at once
        return termination
    }

    /// Stops the process group: SIGTERM, a grace period, then SIGKILL.
    ///
    /// Returns once the process is reaped (SIGKILL follows when it has not exited `graceSeconds` after SIGTERM). Standard output is closed, so grandchildren that keep it open cannot hold us.
    @discardableResult
    public func terminate(graceSeconds: Int) -> ChildProcess.Termination? {
        if readDescriptor >= 0 {
            close(readDescriptor)
            readDescriptor = -1
        }
        if status.get() == nil {
            kill(-pid, SIGTERM)
            if reaped.wait(timeout: .now() + .seconds(graceSeconds)) == .timedOut {
                kill(-pid, SIGKILL)
                reaped.wait()
            }
            reaped.signal()
        }
        kill(-pid, SIGKILL)  // whatever is left of the group
        return termination
    }

    private var termination: ChildProcess.Termination? {
        guard let raw = status.get() else { return nil }
        if raw & 0x7f == 0 { return .exited((raw >> 8) & 0xff) }
        return .signalled(raw & 0x7f)
    }

    private static func spawn(
        arguments: [String],
        environment: [String: String],
        directory: URL,
        input: URL?,
        errorFile: URL?,
        writeEnd: Int32
    ) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, input?.path ?? "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 1)
        if let errorFile {
            posix_spawn_file_actions_addopen(&actions, 2, errorFile.path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
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

        // As in ChildProcess: a tiny shell changes directory and execs the command, so this process keeps its own.
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
            throw EngineError.spawnFailed(
                command: arguments.joined(separator: " "),
                reason: String(cString: strerror(rc))
            )
        }
        return pid
    }
}

@available(*, unavailable)
extension StreamingChildProcess: Sendable {}

/// `read(2)`, named apart from the method of the same name.
private func systemRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    #if canImport(Glibc)
        Glibc.read(descriptor, buffer, count)
    #else
        Darwin.read(descriptor, buffer, count)
    #endif
}

/// The raw wait status, handed from the reaping thread to the reader; nil until the process is reaped.
private final class ReapedStatus: Sendable {
    private let value = Mutex<Int32?>(nil)

    func set(_ raw: Int32) { value.withLock { $0 = raw } }

    func get() -> Int32? { value.withLock { $0 } }
}
