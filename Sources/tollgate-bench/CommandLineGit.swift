import Foundation

/// Runs the git command line in one directory with `posix_spawnp` and `wait4`, as cheaply as a spawn gets.
///
/// Foundation's `Process.waitUntilExit()` polls in 50 ms steps on Linux, which would make the command line look
/// far slower than it is. Configuration is hermetic: no system or user git config; a fixed identity.
struct CommandLineGit {
    let directory: URL

    /// The environment for every git process.
    private let environment: [String: String] = {
        var values = ProcessInfo.processInfo.environment
        values["GIT_CONFIG_NOSYSTEM"] = "1"
        values["GIT_CONFIG_GLOBAL"] = "/dev/null"
        values["GIT_AUTHOR_NAME"] = "Bench Agent"
        values["GIT_AUTHOR_EMAIL"] = "agent@example.com"
        values["GIT_COMMITTER_NAME"] = "Bench Agent"
        values["GIT_COMMITTER_EMAIL"] = "agent@example.com"
        return values
    }()

    /// Runs `git -C <directory> <arguments>`, its output discarded (a failure is named by its exit status); throws
    /// unless it exits with 0.
    /// - Returns: the CPU seconds the process used.
    @discardableResult
    func run(_ arguments: String...) throws -> Double {
        let result = try Spawn.run(
            ["git", "-C", directory.path] + arguments,
            environment: environment,
            discardingErrors: true
        )
        guard result.status == 0 else {
            throw BenchError("git \(arguments.joined(separator: " ")) failed (exit status \(result.status))")
        }
        return result.cpuSeconds
    }
}
