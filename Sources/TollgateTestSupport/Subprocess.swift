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
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
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

    /// Waits for the end, killing the process (and its group) after `timeout` seconds.
    public func wait(timeout: Double) -> ProcessResult {
        var timedOut = false
        if finished.wait(timeout: .now() + timeout) == .timedOut {
            timedOut = true
            kill(process.processIdentifier, SIGKILL)
            finished.wait()
        }
        finished.signal()  // a later wait returns at once
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
    ) throws -> ProcessResult {
        try Subprocess(executable: executable, arguments: arguments, environment: environment, directory: directory)
            .wait(timeout: timeout)
    }
}

@available(*, unavailable)
extension Subprocess: Sendable {}
