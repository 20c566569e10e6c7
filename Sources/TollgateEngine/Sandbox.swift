import CSandbox
import Foundation
import TollgateCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The local-only sandbox (DESIGN §11): a child forked by the C shim into a user and network namespace of its own,
/// whose only interface is its loopback, up.
///
/// Entered in the child before `exec`, so nothing of the command ever
/// runs with the machine's network; where the kernel refuses, nothing runs and the error says why.
enum Sandbox {
    /// Spawns `/bin/sh` with `arguments` (NULL-terminated, `argv[0]` included) in the sandbox and returns its pid,
    /// which is also its process group's id.
    /// - Throws: `EngineError.spawnFailed` naming the refused step, the kernel's reason and what to change.
    static func spawn(
        arguments: [UnsafeMutablePointer<CChar>?],
        environment: [UnsafeMutablePointer<CChar>?],
        input: URL?,
        output: ProcessLauncher.Sink,
        error: ProcessLauncher.Sink,
        command: String
    ) throws -> pid_t {
        var opened: [Int32] = []
        defer { for descriptor in opened { close(descriptor) } }
        func openFile(_ path: String, _ flags: Int32) throws -> Int32 {
            // A file written to is never written through a link an agent left at its path.
            let writing = flags & O_ACCMODE != O_RDONLY
            if writing { removeUnlessOwnRegularFile(path) }
            let descriptor = open(path, flags | O_CLOEXEC | (writing ? O_NOFOLLOW : 0), 0o644)
            guard descriptor >= 0 else {
                throw EngineError.spawnFailed(command: command, reason: "\(path): \(String(cString: strerror(errno)))")
            }
            opened.append(descriptor)
            return descriptor
        }
        func descriptor(for sink: ProcessLauncher.Sink) throws -> Int32 {
            switch sink {
            case .inherited: -1
            case .file(let url): try openFile(url.path, O_WRONLY | O_CREAT | O_APPEND)
            case .descriptor(let source): source
            case .standardOutput: -2
            }
        }
        let inputDescriptor = try openFile(input?.path ?? "/dev/null", O_RDONLY)
        let outputDescriptor = try descriptor(for: output)
        let errorDescriptor = try descriptor(for: error)
        var stage: Int32 = 0
        var code: Int32 = 0
        let pid = tollgate_spawn_isolated(
            "/bin/sh",
            arguments,
            environment,
            inputDescriptor,
            outputDescriptor,
            errorDescriptor,
            &stage,
            &code
        )
        guard pid > 0 else {
            let reason = String(cString: strerror(code))
            let failed = SandboxDiagnosis.Stage(rawValue: stage) ?? .fork
            throw EngineError.spawnFailed(
                command: command,
                reason: SandboxDiagnosis.message(
                    stage: failed,
                    errno: code,
                    reason: reason,
                    settings: kernelSettings()
                )
            )
        }
        return pid
    }

    /// The kernel settings that decide whether user namespaces are allowed, read from `/proc/sys`.
    static func kernelSettings() -> SandboxDiagnosis.KernelSettings {
        func value(_ name: String) -> Int? {
            guard let text = try? String(contentsOfFile: "/proc/sys/" + name, encoding: .utf8) else { return nil }
            return Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return SandboxDiagnosis.KernelSettings(
            unprivilegedUsernsClone: value("kernel/unprivileged_userns_clone"),
            maxUserNamespaces: value("user/max_user_namespaces"),
            apparmorRestrict: value("kernel/apparmor_restrict_unprivileged_userns")
        )
    }
}
