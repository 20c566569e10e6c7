import Foundation
import TollgateTestSupport

/// A loopback port that listens but never accepts, with its accept queue already full, so a new connection
/// attempt gets no answer to its SYN and runs into the client's connect timeout.
///
/// It is a small Python process: it listens with a backlog of 0, fills the queue with its own connections,
/// prints the port, and exits when its stdin closes.
final class FullBacklogListener {
    let port: Int
    private let process: Process
    private let input: Pipe

    private static let script = """
        import socket, sys
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen(0)
        port = server.getsockname()[1]
        fillers = []
        for _ in range(4):
            client = socket.socket()
            client.setblocking(False)
            try:
                client.connect(("127.0.0.1", port))
            except BlockingIOError:
                pass
            fillers.append(client)
        print(port, flush=True)
        sys.stdin.read()
        """

    init() throws {
        let process = Process()
        Python.configure(process, arguments: ["-c", Self.script])
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        guard let port = Int(line.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            process.terminate()
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSLocalizedDescriptionKey: "no port from \(line)"])
        }
        self.port = port
        self.process = process
        self.input = input
    }

    /// Closes the listener's stdin, which ends it.
    func stop() {
        try? self.input.fileHandleForWriting.close()
        self.process.waitUntilExit()
    }
}
