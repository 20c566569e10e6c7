import Foundation

/// The git command line, for checking what the engine wrote as a user would: hermetic (no system or user
/// configuration), with a fixed author unless the caller names one.
public enum GitCLI {
    /// A git command that exited with a non-zero status.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String

        public init(description: String) {
            self.description = description
        }
    }

    /// Runs `git <arguments>` in `directory` and returns its standard output without the final newline.
    /// - Throws: ``Failure`` when git exits with a non-zero status.
    @discardableResult
    public static func run(
        _ arguments: [String],
        in directory: URL,
        author: (name: String, email: String) = ("CLI Author", "cli@example.com")
    ) async throws -> String {
        let result = try await runAllowingFailure(arguments, in: directory, author: author)
        guard result.status == 0 else {
            throw Failure(
                description: "git \(arguments.joined(separator: " ")) exited with \(result.status): \(result.stderr)"
            )
        }
        return result.trimmedStdout
    }

    /// Runs `git <arguments>` in `directory`, whatever its exit status.
    public static func runAllowingFailure(
        _ arguments: [String],
        in directory: URL,
        author: (name: String, email: String) = ("CLI Author", "cli@example.com")
    ) async throws -> ProcessResult {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("GIT_") }
        environment["GIT_CONFIG_NOSYSTEM"] = "1"
        environment["GIT_CONFIG_GLOBAL"] = "/dev/null"
        environment["GIT_TERMINAL_PROMPT"] = "0"  // a push that needs credentials fails instead of asking
        environment["GIT_AUTHOR_NAME"] = author.name
        environment["GIT_AUTHOR_EMAIL"] = author.email
        environment["GIT_COMMITTER_NAME"] = author.name
        environment["GIT_COMMITTER_EMAIL"] = author.email
        return try await Subprocess.run(
            executable: command.executable,
            arguments: command.leading + arguments,
            environment: environment,
            directory: directory,
            timeout: 60
        )
    }

    /// The `git` of the `PATH`, found once per test process as the shell finds it: the suite runs it thousands of
    /// times, and `/usr/bin/env git` would be a second process and a walk of the `PATH` each time.
    static let command: (executable: URL, leading: [String]) = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for folder in path.split(separator: ":") where folder.hasPrefix("/") {
            let candidate = URL(fileURLWithPath: String(folder)).appendingPathComponent("git")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return (candidate, []) }
        }
        return (URL(fileURLWithPath: "/usr/bin/env"), ["git"])
    }()

    /// The lines of `git <arguments>`, empty ones left out.
    public static func lines(_ arguments: [String], in directory: URL) async throws -> [String] {
        try await run(arguments, in: directory).split(separator: "\n").map(String.init)
    }
}
