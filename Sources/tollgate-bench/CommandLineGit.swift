import Foundation

/// Runs the git command line in one directory with `posix_spawnp` and `waitpid`, as cheaply as a spawn gets.
///
/// Foundation's `Process.waitUntilExit()` polls in 50 ms steps on Linux, which would make the command line look
/// far slower than it is. Configuration is hermetic: no system or user git config; a fixed identity.
struct CommandLineGit {
    let directory: URL

    /// The environment for every git process.
    private let environment: [String] = {
        var values = ProcessInfo.processInfo.environment
        values["GIT_CONFIG_NOSYSTEM"] = "1"
        values["GIT_CONFIG_GLOBAL"] = "/dev/null"
        values["GIT_AUTHOR_NAME"] = "Bench Agent"
        values["GIT_AUTHOR_EMAIL"] = "agent@example.com"
        values["GIT_COMMITTER_NAME"] = "Bench Agent"
        values["GIT_COMMITTER_EMAIL"] = "agent@example.com"
        return values.map { "\($0.key)=\($0.value)" }
    }()

    /// Runs `git -C <directory> <arguments>`, with standard output discarded; throws unless it exits with 0.
    func run(_ arguments: String...) throws {
        let argv = ["git", "-C", directory.path] + arguments
        let cArguments = argv.map { strdup($0) } + [nil]
        let cEnvironment = environment.map { strdup($0) } + [nil]
        defer {
            cArguments.forEach { free($0) }
            cEnvironment.forEach { free($0) }
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        var pid = pid_t()
        let code = posix_spawnp(&pid, "git", &actions, nil, cArguments, cEnvironment)
        guard code == 0 else { throw BenchError("cannot start git: \(String(cString: strerror(code)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw BenchError("waitpid failed: \(String(cString: strerror(errno)))") }
        }
        // Exited normally (no signal) with status 0.
        guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else {
            throw BenchError("git \(arguments.joined(separator: " ")) failed (wait status \(status))")
        }
    }
}
