import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The test servers' Python processes (the Gitea stand-in, the webhook receiver), forked from one Python process
/// that has already loaded their scripts (`Tests/GiteaServer/zygote.py`).
///
/// A new interpreter loading the stand-in costs about a fifth of a CPU second and the suite starts some two hundred
/// of them on a two-core machine; a fork costs milliseconds. The zygote starts with the first server a test process
/// asks for and ends when that process does (its stdin is a pipe from here). A server started through it is the
/// same script running the same `main()`, its stdin and stdout a Unix socket connection instead of pipes; where
/// the zygote cannot start, servers are started as processes of their own, as before.
public final class PythonZygote: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// The one zygote of this test process, or nil when it could not start (or `TOLLGATE_TEST_NO_ZYGOTE` is set:
    /// every server a process of its own, to compare).
    public static let shared: PythonZygote? =
        ProcessInfo.processInfo.environment["TOLLGATE_TEST_NO_ZYGOTE"] == nil ? try? PythonZygote() : nil

    private let socketPath: String
    /// The zygote's stdin: open as long as this process lives, so its end is the zygote's end.
    private let lifeline: FileHandle
    private let process: Process

    private static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Tests/GiteaServer", isDirectory: true)

    private init() throws {
        socketPath = TemporaryDirectory.root.appendingPathComponent("tollgate-zygote-\(getpid()).sock").path
        unlink(socketPath)
        let process = Process()
        Python.configure(
            process,
            arguments: [
                Self.folder.appendingPathComponent("zygote.py").path, socketPath,
                Self.folder.appendingPathComponent("gitea_server.py").path,
                Self.folder.appendingPathComponent("hook_receiver.py").path,
            ]
        )
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var ready = Data()
        while !ready.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw Failure(description: "the Python zygote exited before it was ready") }
            ready.append(chunk)
        }
        _ = fcntl(input.fileHandleForWriting.fileDescriptor, F_SETFD, FD_CLOEXEC)
        self.process = process
        self.lifeline = input.fileHandleForWriting
    }

    /// Starts `script` (`gitea_server` or `hook_receiver`) with `arguments`, its stderr appended to `stderrPath`.
    /// - Returns: the connection, the server's stdin and stdout; the caller closes it.
    public func start(script: String, arguments: [String], stderrPath: String) throws -> Int32 {
        // Close-on-exec: a binary a test starts must not hold a server's connection (or the zygote's lifeline).
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let path = Array(socketPath.utf8)
        guard path.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(descriptor)
            throw Failure(description: "the zygote's socket path is too long: \(socketPath)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { bytes in
            bytes.copyBytes(from: path)
            bytes[path.count] = 0
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw Failure(description: "cannot reach the Python zygote at \(socketPath): \(reason)")
        }
        let request: [String: Any] = ["script": script, "args": arguments, "stderr": stderrPath]
        var line = try JSONSerialization.data(withJSONObject: request)
        line.append(UInt8(ascii: "\n"))
        let sent = line.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == line.count else {
            close(descriptor)
            throw Failure(description: "cannot send to the Python zygote: \(String(cString: strerror(errno)))")
        }
        return descriptor
    }

    /// Ends a server started by ``start(script:arguments:stderrPath:)``: its stdin closes, and it has exited once
    /// its end of the connection closes (within `timeout` seconds, or it is killed: `pid` from its first line).
    public static func stop(_ descriptor: Int32, pid: Int32?, timeout: Double = 2) {
        Glibc.shutdown(descriptor, Int32(SHUT_WR))
        if !drain(descriptor, seconds: timeout), let pid, pid > 0 {
            kill(pid, SIGKILL)
            _ = drain(descriptor, seconds: 5)
        }
        close(descriptor)
    }

    /// Reads and drops what `descriptor` still sends until its other end closes; false after `seconds`.
    private static func drain(_ descriptor: Int32, seconds: Double) -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return false }
            var wanted = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let milliseconds = Int32(
                max(1, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000)
            )
            let ready = poll(&wanted, 1, milliseconds)
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { return false }
            if read(descriptor, &buffer, buffer.count) <= 0 { return true }
        }
    }
}
