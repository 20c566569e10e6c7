import Foundation

/// A process started by a test: standard output and error go to files (so a background grandchild that keeps them
/// open cannot block the test), and the end is signalled by a termination handler, never by polling.
public final class Subprocess {
    /// A process that could not be started or did not end in time.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String

        public init(description: String) {
            self.description = description
        }
    }

    private let process: Process
    private let finished = DispatchSemaphore(value: 0)
    private let stdoutFile: URL
    private let stderrFile: URL
    public let commandLine: String

    /// Starts `executable` with `arguments`, exactly `environment`, in `directory`; standard input is empty.
    public init(executable: URL, arguments: [String], environment: [String: String], directory: URL) throws {
        let scratch = TemporaryDirectory.root.appendingPathComponent(
            "tollgate-subprocess-\(UUID().uuidString)"
        )
        stdoutFile = scratch.appendingPathExtension("out")
        stderrFile = scratch.appendingPathExtension("err")
        _ = FileManager.default.createFile(atPath: stdoutFile.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrFile.path, contents: nil)
        commandLine = ([executable.lastPathComponent] + arguments).joined(separator: " ")
        process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = environment
        process.currentDirectoryURL = directory
        process.standardInput = FileHandle.nullDevice
        let out = try FileHandle(forWritingTo: stdoutFile)
        let err = try FileHandle(forWritingTo: stderrFile)
        process.standardOutput = out
        process.standardError = err
        let finished = self.finished
        process.terminationHandler = { _ in finished.signal() }
        do {
            try process.run()
        } catch {
            throw Failure(description: "cannot start \(commandLine): \(error)")
        }
        // The child holds its own copies of the descriptors.
        try? out.close()
        try? err.close()
    }

    /// The process id.
    public var pid: Int32 { process.processIdentifier }

    /// What the process has written to standard output so far (it may still be writing).
    public var outputSoFar: String { (try? String(contentsOf: stdoutFile, encoding: .utf8)) ?? "" }

    /// Waits until standard output satisfies `condition` (polled every 20 ms: the output is a file), or the process
    /// ends, or `timeout` seconds pass; returns whether the condition held.
    public func waitForOutput(timeout: Double, until condition: (String) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition(outputSoFar) { return true }
            if !process.isRunning { return condition(outputSoFar) }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return false
    }

    /// Whether the process is still running.
    public var isRunning: Bool { process.isRunning }

    /// Waits for the end, killing the process after `timeout` seconds.
    ///
    /// The wait suspends the calling task instead of blocking its thread: Swift Testing runs tests on the
    /// concurrency pool, which has one thread per core, so a test blocked on a child process would keep every other
    /// test from running meanwhile (on two cores, two sleeping agents would stop the whole suite).
    public func wait(timeout: Double) async -> ProcessResult {
        let finished = self.finished
        let pid = process.processIdentifier
        let timedOut = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let thread = Thread {
                continuation.resume(returning: Self.awaitEnd(of: pid, finished: finished, timeout: timeout))
            }
            thread.name = "subprocess-wait"
            thread.start()
        }
        return result(timedOut: timedOut)
    }

    /// Waits for the end on the calling thread, killing the process after `timeout` seconds: for the places that
    /// cannot suspend (a `defer`, a `deinit`); everywhere else use ``wait(timeout:)``.
    public func waitBlocking(timeout: Double) -> ProcessResult {
        result(timedOut: Self.awaitEnd(of: process.processIdentifier, finished: finished, timeout: timeout))
    }

    /// Blocks until `finished` is signalled or `timeout` seconds pass, then kills `pid`; returns whether it timed out.
    private static func awaitEnd(of pid: Int32, finished: DispatchSemaphore, timeout: Double) -> Bool {
        var timedOut = false
        if finished.wait(timeout: .now() + timeout) == .timedOut {
            timedOut = true
            kill(pid, SIGKILL)
            finished.wait()
        }
        finished.signal()  // a later wait returns at once
        return timedOut
    }

    /// The ended process's status and output; the output files are removed.
    private func result(timedOut: Bool) -> ProcessResult {
        let status: Int32 =
            process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        let stdout = (try? String(contentsOf: stdoutFile, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOf: stderrFile, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(at: stdoutFile)
        try? FileManager.default.removeItem(at: stderrFile)
        return ProcessResult(status: status, timedOut: timedOut, stdout: stdout, stderr: stderr)
    }

    /// Runs a process to its end.
    public static func run(
        executable: URL,
        arguments: [String],
        environment: [String: String],
        directory: URL,
        timeout: Double = 60
    ) async throws -> ProcessResult {
        try await Subprocess(
            executable: executable,
            arguments: arguments,
            environment: environment,
            directory: directory
        ).wait(timeout: timeout)
    }
}

@available(*, unavailable)
extension Subprocess: Sendable {}
