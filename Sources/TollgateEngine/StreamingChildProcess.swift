import Foundation
import TollgateCore

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
    private let reaper: ProcessReaper

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
            self.pid = try ProcessLauncher.spawn(
                arguments: arguments,
                environment: environment,
                directory: directory,
                input: input,
                output: .descriptor(pipeEnds[1]),
                error: errorFile.map { .file($0) } ?? .inherited
            )
        } catch {
            close(pipeEnds[0])
            close(pipeEnds[1])
            throw error
        }
        close(pipeEnds[1])
        self.readDescriptor = pipeEnds[0]
        self.reaper = ProcessReaper(pid: pid)
    }

    /// The signal that interrupted tollgate while this process ran, if one did (the group was ended for it).
    public var interruption: Int32? { ProcessGroups.interruption }

    /// A shell command, run by `/bin/sh -c`.
    public static func shell(
        _ command: String,
        environment: [String: String],
        directory: URL,
        input: URL?,
        errorFile: URL?
    ) throws -> StreamingChildProcess {
        try StreamingChildProcess(
            arguments: ["/bin/sh", "-c", ShellQuoting.script(for: command)],
            environment: environment,
            directory: directory,
            input: input,
            errorFile: errorFile
        )
    }

    deinit {
        if readDescriptor >= 0 { close(readDescriptor) }
        // Whatever is left of the group, leader or not, goes with the value.
        kill(-pid, SIGKILL)
        ProcessGroups.unregister(pid)
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
        var limit: DispatchTime?
        if let deadline {
            let left = deadline - ContinuousClock.now
            let (seconds, attoseconds) = max(left, .zero).components
            let nanoseconds = Int(clamping: seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
            limit = .now() + .nanoseconds(nanoseconds)
        }
        guard reaper.wait(until: limit) else { return nil }
        return reaper.termination
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
        if reaper.termination == nil {
            kill(-pid, SIGTERM)
            if !reaper.wait(until: .now() + .seconds(graceSeconds)) {
                kill(-pid, SIGKILL)
                _ = reaper.wait(until: nil)
            }
        }
        kill(-pid, SIGKILL)  // whatever is left of the group
        return reaper.termination
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
