import Foundation
import Testing
import TollgateCore
import TollgateEngine
import TollgateTestSupport

/// privacy.mode=local-only, proven on real children: the variable a job's child environment carries makes the
/// spawner fork the child into a user and network namespace of its own (DESIGN §11), so a server on the machine's
/// 127.0.0.1 is out of its reach while its own loopback works.
@Suite(.runsProcesses, .serialized)
struct LocalOnlyTests {
    let directory: TemporaryDirectory
    let standard = ["PATH": "/usr/bin:/bin"]
    var localOnly: [String: String] { standard.merging([PrivacyMode.environmentVariable: "local-only"]) { $1 } }

    init() throws { directory = try TemporaryDirectory("local-only") }

    /// Bash's /dev/tcp: exit 0 when the connection to 127.0.0.1:`port` was made, 1 when it was refused.
    func connect(_ port: UInt16) -> String { "exec bash -c 'exec 3<>/dev/tcp/127.0.0.1/\(port)' 2>/dev/null" }

    @Test func aServerOnTheMachinesLoopbackIsReachedInStandardAndNotInLocalOnly() async throws {
        let listener = try LoopbackListener()
        let open = ChildProcess.shell(connect(listener.port), environment: standard, directory: directory.url)
        #expect(try open.run() == .exited(0))
        #expect(listener.acceptedConnections() == 1)

        let closed = ChildProcess.shell(connect(listener.port), environment: localOnly, directory: directory.url)
        #expect(try closed.run() == .exited(1))
        #expect(listener.acceptedConnections() == 0, "the sandboxed child reached the machine's 127.0.0.1")
    }

    @Test func theSandboxHasOnlyItsOwnLoopbackAndItIsUp() async throws {
        // In its own namespace, the child lists its interfaces and serves itself on 127.0.0.1.
        let output = directory.path("net.log")
        let script = """
            import socket
            print(sorted(name for _, name in socket.if_nameindex()))
            server = socket.socket(); server.bind(("127.0.0.1", 0)); server.listen(1)
            client = socket.create_connection(server.getsockname(), timeout=5)
            print("own loopback answers")
            """
        try directory.write("net.py", script)
        let environment = ProcessInfo.processInfo.environment.merging([PrivacyMode.environmentVariable: "local-only"]) {
            $1
        }
        let process = ChildProcess.shell(
            "python3 net.py",
            environment: environment,
            directory: directory.url,
            outputFile: output
        )
        let termination = try process.run()
        let text = try String(contentsOf: output, encoding: .utf8)
        #expect(termination == .exited(0), "\(text)")
        #expect(text == "['lo']\nown loopback answers\n")
    }

    @Test func theStreamingChildIsSandboxedToo() async throws {
        let listener = try LoopbackListener()
        let process = try StreamingChildProcess.shell(
            "bash -c 'exec 3<>/dev/tcp/127.0.0.1/\(listener.port)' 2>/dev/null; echo status $?",
            environment: localOnly,
            directory: directory.url,
            input: nil,
            errorFile: nil
        )
        var output: [UInt8] = []
        while case .data(let bytes) = process.read(until: nil) { output += bytes }
        #expect(String(decoding: output, as: UTF8.self) == "status 1\n")
        #expect(process.waitForExit(until: nil) == .exited(0))
        #expect(listener.acceptedConnections() == 0)
    }

    @Test func theChildKeepsItsIdsWorkingDirectoryAndStreams() async throws {
        let output = directory.path("ids.log")
        let process = ChildProcess.shell(
            "id -u; id -g; pwd; echo err >&2; exit 3",
            environment: localOnly,
            directory: directory.url,
            outputFile: output
        )
        #expect(try process.run() == .exited(3))
        #expect(
            try String(contentsOf: output, encoding: .utf8)
                == "\(getuid())\n\(getgid())\n\(directory.url.path)\nerr\n"
        )
    }

}
