import Foundation
import Testing

/// Runs the git command line in tests, to check what GitKit wrote.
///
/// Hermetic: no system or user configuration.
enum GitCLI {
    /// Runs `git <arguments>` in `directory` and returns its standard output without the final newline.
    ///
    /// Records an issue and throws when git exits with a non-zero status.
    @discardableResult
    static func run(
        _ arguments: [String],
        in directory: URL,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> String {
        let result = try runAllowingFailure(arguments, in: directory)
        guard result.status == 0 else {
            let message = "git \(arguments.joined(separator: " ")) exited with \(result.status): \(result.error)"
            Issue.record(Comment(rawValue: message), sourceLocation: sourceLocation)
            throw CLIError(message: message)
        }
        return result.output
    }

    /// Runs `git <arguments>` in `directory` and returns its exit status, standard output and standard error.
    static func runAllowingFailure(
        _ arguments: [String],
        in directory: URL
    ) throws -> (status: Int32, output: String, error: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git"] + arguments
        process.currentDirectoryURL = directory
        var environment = ProcessInfo.processInfo.environment
        environment["GIT_CONFIG_NOSYSTEM"] = "1"
        environment["GIT_CONFIG_GLOBAL"] = "/dev/null"
        environment["GIT_AUTHOR_NAME"] = "CLI Author"
        environment["GIT_AUTHOR_EMAIL"] = "cli@example.com"
        environment["GIT_COMMITTER_NAME"] = "CLI Author"
        environment["GIT_COMMITTER_EMAIL"] = "cli@example.com"
        process.environment = environment
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        // `waitUntilExit` polls in 50 ms steps on Linux; a termination handler does not.
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        try process.run()
        // The commands used in tests write little to standard error, so reading the two pipes in turn cannot block.
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = error.fileHandleForReading.readDataToEndOfFile()
        finished.wait()
        var text = String(decoding: outputData, as: UTF8.self)
        if text.hasSuffix("\n") { text.removeLast() }
        return (process.terminationStatus, text, String(decoding: errorData, as: UTF8.self))
    }

    /// A git command that failed.
    struct CLIError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }
}
