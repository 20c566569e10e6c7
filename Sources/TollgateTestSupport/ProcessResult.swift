import Foundation

/// How a process a test ran ended: its exit status and everything it wrote.
public struct ProcessResult: Sendable, Equatable, CustomStringConvertible {
    /// The exit status, or 128 + the signal number when a signal ended it.
    public var status: Int32
    /// Whether the runner killed it after its timeout.
    public var timedOut: Bool
    public var stdout: String
    public var stderr: String

    public init(status: Int32, timedOut: Bool, stdout: String, stderr: String) {
        self.status = status
        self.timedOut = timedOut
        self.stdout = stdout
        self.stderr = stderr
    }

    /// Standard output and standard error together, for checking a message wherever it went.
    public var output: String { stdout + stderr }

    /// Standard output without its final newline.
    public var trimmedStdout: String {
        var text = stdout
        while text.hasSuffix("\n") { text.removeLast() }
        return text
    }

    public var description: String {
        "exit \(status)\(timedOut ? " (timed out)" : "")\n--- stdout\n\(stdout)--- stderr\n\(stderr)"
    }
}
