import Foundation

/// Runs the git command line in tests, with a hermetic environment (no user or system config).
enum FixtureGit {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs `git args` in `directory` and returns its standard output without the trailing newline.
    @discardableResult
    static func run(_ arguments: [String], in directory: URL, home: URL) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git"] + arguments
        process.currentDirectoryURL = directory
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("GIT_") }
        environment["HOME"] = home.path
        environment["GIT_CONFIG_NOSYSTEM"] = "1"
        environment["GIT_TERMINAL_PROMPT"] = "0"
        environment["GIT_AUTHOR_NAME"] = "Test Author"
        environment["GIT_AUTHOR_EMAIL"] = "author@example.com"
        environment["GIT_COMMITTER_NAME"] = "Test Author"
        environment["GIT_COMMITTER_EMAIL"] = "author@example.com"
        process.environment = environment
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        let outData = output.fileHandleForReading.readDataToEndOfFile()
        let errData = errors.fileHandleForReading.readDataToEndOfFile()
        exited.wait()
        let text = String(decoding: outData, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw Failure(
                description: "git \(arguments.joined(separator: " ")) failed (\(process.terminationStatus)): "
                    + String(decoding: errData, as: UTF8.self)
            )
        }
        return text.hasSuffix("\n") ? String(text.dropLast()) : text
    }
}
