import Foundation

/// One of the Python servers of `Tests/GiteaServer` (the Gitea stand-in, the webhook receiver), started for a test.
///
/// Forked from the zygote (``PythonZygote``) when there is one, its input and output are one socket; otherwise it is
/// a process of its own with a pipe for each. Either way its errors go to a file, its first line of output says it is
/// ready, and it ends when its input is closed.
public final class PythonServer {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    private enum Server {
        case process(Process, exited: DispatchSemaphore)
        case forked(connection: Int32)
    }

    private var server: Server?
    /// Where the server's requests are written (its standard input).
    public let input: FileHandle
    /// Where its answers are read (its standard output).
    public let output: FileHandle
    /// A forked server's process id, which its ready line names; the zygote needs it to stop the server.
    public var pid: Int32?

    /// Starts `script`: the zygote's module of that name, or else the file `scriptURL` in a Python of its own.
    ///
    /// - Parameters:
    ///   - script: The script's module name, for example `gitea_server`.
    ///   - scriptURL: The script's file, run when there is no zygote.
    ///   - arguments: The script's command-line arguments.
    ///   - stderrPath: An existing file the server's errors are written to.
    public init(script: String, at scriptURL: URL, arguments: [String], stderrPath: String) throws {
        if let zygote = PythonZygote.shared,
            let connection = try? zygote.start(script: script, arguments: arguments, stderrPath: stderrPath)
        {
            server = .forked(connection: connection)
            input = FileHandle(fileDescriptor: connection, closeOnDealloc: false)
            output = input
            return
        }
        let process = Process()
        Python.configure(process, arguments: [scriptURL.path] + arguments)
        let inputPipe = Pipe()
        let outputPipe = Pipe()
        process.standardInput = inputPipe
        process.standardOutput = outputPipe
        guard let errors = FileHandle(forWritingAtPath: stderrPath) else {
            throw Failure(description: "cannot write the errors of python3 \(scriptURL.path) to \(stderrPath)")
        }
        process.standardError = errors
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        do {
            try process.run()
        } catch {
            throw Failure(description: "cannot start python3 \(scriptURL.path): \(error)")
        }
        server = .process(process, exited: exited)
        input = inputPipe.fileHandleForWriting
        output = outputPipe.fileHandleForReading
    }

    deinit {
        stop()
    }

    /// Ends the server: closes its input and waits for it to exit (after 2 s it is terminated); later calls do
    /// nothing.
    public func stop() {
        switch server {
        case .process(let process, let exited):
            try? input.close()
            if exited.wait(timeout: .now() + 2) == .timedOut {
                process.terminate()
                _ = exited.wait(timeout: .now() + 5)
            }
        case .forked(let connection):
            PythonZygote.stop(connection, pid: pid)
        case nil:
            break
        }
        server = nil
    }
}

@available(*, unavailable)
extension PythonServer: Sendable {}
