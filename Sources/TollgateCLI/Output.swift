import Foundation

/// Where a command writes: standard output and standard error, or a capture in tests.
public struct Output: Sendable {
    public var out: @Sendable (String) -> Void
    public var err: @Sendable (String) -> Void

    public init(out: @escaping @Sendable (String) -> Void, err: @escaping @Sendable (String) -> Void) {
        self.out = out
        self.err = err
    }

    /// The process's own standard output and error, one line per call.
    ///
    /// Written with `write(2)`, not `FileHandle.write`, which traps when the reader has gone (`tollgate log |
    /// head -1`). A closed pipe ends that stream's output quietly and never the command: a job keeps running,
    /// and its record is in the job's log and state either way.
    public static let standard = Output(
        out: { line in StandardStream.output.write(line + "\n") },
        err: { line in StandardStream.error.write(line + "\n") }
    )
}

/// One of the process's standard streams, written whole with `write(2)`, silent once its reader has gone.
struct StandardStream: Sendable {
    static let output = StandardStream(descriptor: STDOUT_FILENO)
    static let error = StandardStream(descriptor: STDERR_FILENO)

    let descriptor: Int32

    /// Writes every byte of `text`, retrying short writes and interrupted calls; drops the rest on any other
    /// error (EPIPE when the reader closed, EBADF when the stream was closed before the start).
    func write(_ text: String) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return Foundation.write(descriptor, base + offset, buffer.count - offset)
            }
            if written > 0 {
                offset += written
            } else if written < 0 && errno == EINTR {
                continue
            } else {
                return
            }
        }
    }
}
