import Foundation
import TollgateCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Starts a command with `posix_spawn` in its own process group, in a given directory, with exactly the given
/// environment and standard streams: the one place both ``ChildProcess`` and ``StreamingChildProcess`` spawn from.
enum ProcessLauncher {
    /// `posix_spawn_file_actions_addclosefrom_np` (glibc 2.34 and later), looked up at run time: Swift's Glibc
    /// module does not declare it, and an older C library simply lacks it.
    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32
    private static let closeFrom: CloseFrom? = dlsym(
        UnsafeMutableRawPointer(bitPattern: 0),  // RTLD_DEFAULT
        "posix_spawn_file_actions_addclosefrom_np"
    ).map { unsafeBitCast($0, to: CloseFrom.self) }

    /// `posix_spawn_file_actions_addchdir_np` (glibc 2.29 and later), looked up the same way: with it the child
    /// starts in its directory without a shell in between.
    private typealias AddChdir =
        @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, UnsafePointer<CChar>?) -> Int32
    private static let addChdir: AddChdir? = dlsym(
        UnsafeMutableRawPointer(bitPattern: 0),  // RTLD_DEFAULT
        "posix_spawn_file_actions_addchdir_np"
    ).map { unsafeBitCast($0, to: AddChdir.self) }

    /// Where one of the child's standard output streams goes.
    enum Sink {
        /// This process's own stream.
        case inherited
        /// A file, created when missing and appended to.
        case file(URL)
        /// An open descriptor of this process (a pipe's write end).
        case descriptor(Int32)
        /// Wherever standard output goes (for standard error only).
        case standardOutput
    }

    /// Spawns `arguments` and returns its process id, which is also the id of its new process group, registered as
    /// live (``ProcessGroups``): the caller unregisters it once it is ended.
    ///
    /// Every signal is reset to its default and unblocked in the child. With `gate`, the read end of a pipe, the child
    /// has it as descriptor 3 (not in the local-only sandbox, which passes the standard streams alone).
    /// - Throws: `EngineError.spawnFailed` when the process cannot be started.
    static func spawn(
        arguments: [String],
        environment: [String: String],
        directory: URL,
        input: URL?,
        output: Sink,
        error: Sink,
        gate: Int32? = nil
    ) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, input?.path ?? "/dev/null", O_RDONLY, 0)
        for (descriptor, sink) in [(Int32(1), output), (Int32(2), error)] {
            switch sink {
            case .inherited: break
            case .file(let url):
                // Never appended through a link an agent left at the log's path.
                removeUnlessOwnRegularFile(url.path)
                posix_spawn_file_actions_addopen(
                    &actions,
                    descriptor,
                    url.path,
                    O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW,
                    0o644
                )
            case .descriptor(let source): posix_spawn_file_actions_adddup2(&actions, source, descriptor)
            case .standardOutput: posix_spawn_file_actions_adddup2(&actions, 1, descriptor)
            }
        }
        // Nothing but the three standard streams reaches the child: a descriptor inherited from whoever started
        // tollgate (a pipe its parent waits on) would otherwise be held open by the agent and its background
        // children after tollgate is gone.
        // A gate (a pipe's read end) is the child's descriptor 3, and the only one beyond the standard streams.
        if let gate { posix_spawn_file_actions_adddup2(&actions, gate, 3) }
        _ = closeFrom?(&actions, gate == nil ? 3 : 4)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setpgroup(&attributes, 0)
        // The child starts with every signal at its default action and none blocked, whatever this process (or
        // the thread that spawns) ignores or blocks: an agent must die of the SIGTERM its deadline sends.
        var defaultSignals = sigset_t()
        sigfillset(&defaultSignals)
        posix_spawnattr_setsigdefault(&attributes, &defaultSignals)
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        posix_spawnattr_setsigmask(&attributes, &unblocked)
        posix_spawnattr_setflags(
            &attributes,
            Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)
        )

        // posix_spawn has no portable "chdir" action: glibc's is used when there is one and the command is a path
        // (a bare name is looked up in the child's PATH by the shell); otherwise a tiny shell changes directory and
        // then execs the command, rather than this process changing its own directory under other threads. The
        // local-only sandbox forks and execs by itself, without the spawn's actions, so it always gets the shell.
        let sandboxed = PrivacyMode.requested(by: environment) == .localOnly
        var argv = ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", directory.path] + arguments
        if !sandboxed, let addChdir, let command = arguments.first, command.contains("/"),
            FileManager.default.fileExists(atPath: directory.path),
            addChdir(&actions, directory.path) == 0
        {
            argv = arguments
        }
        var cArguments: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        var cEnvironment: [UnsafeMutablePointer<CChar>?] =
            environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in cArguments { free(pointer) }
            for pointer in cEnvironment { free(pointer) }
        }
        // Between the spawn and the registration the child runs but is no live group yet: an interrupt then must
        // wait for it, not exit as if nothing ran (ProcessGroups). The child's group is registered here.
        ProcessGroups.spawnStarts()
        var started: pid_t?
        defer { ProcessGroups.spawnEnds(registering: started) }
        // privacy.mode=local-only (DESIGN §11) travels in the child's environment: such a child is forked into a
        // user and network namespace of its own instead, or does not start at all.
        if sandboxed {
            let pid = try Sandbox.spawn(
                arguments: cArguments,
                environment: cEnvironment,
                input: input,
                output: output,
                error: error,
                command: arguments.joined(separator: " ")
            )
            started = pid
            return pid
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, &attributes, &cArguments, &cEnvironment)
        guard rc == 0 else {
            throw EngineError.spawnFailed(
                command: arguments.joined(separator: " "),
                reason: String(cString: strerror(rc))
            )
        }
        started = pid
        return pid
    }
}
