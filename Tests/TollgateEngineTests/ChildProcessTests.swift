import Foundation
import Testing
import TollgateTestSupport

@testable import TollgateEngine

/// The process layer under the agent and the critic: real `/bin/sh` children, their exit, their output, and the
/// deadline that stops a whole process group.
@Suite(.runsProcesses)
struct ChildProcessTests {
    let directory: TemporaryDirectory
    let environment = ["PATH": "/usr/bin:/bin"]

    init() throws { directory = try TemporaryDirectory("process") }

    @Test func anExitStatusAndTheWorkingDirectoryAreKept() async throws {
        let output = directory.path("out.log")
        let process = ChildProcess.shell(
            "pwd; echo err >&2; exit 7",
            environment: environment,
            directory: directory.url,
            outputFile: output
        )
        #expect(try process.run() == .exited(7))
        let text = try String(contentsOf: output, encoding: .utf8)
        #expect(text == "\(directory.url.path)\nerr\n")
    }

    @Test func onlyTheGivenEnvironmentReachesTheChild() async throws {
        let output = directory.path("env.log")
        let process = ChildProcess.shell(
            "echo \"[$ONE][$HOME]\"",
            environment: environment.merging(["ONE": "1"]) { $1 },
            directory: directory.url,
            outputFile: output
        )
        #expect(try process.run().succeeded)
        #expect(try String(contentsOf: output, encoding: .utf8) == "[1][]\n")
    }

    @Test func aSignalIsReported() async throws {
        let process = ChildProcess.shell("kill -USR1 $$", environment: environment, directory: directory.url)
        #expect(try process.run() == .signalled(SIGUSR1))
    }

    @Test func aProcessThatIgnoresSIGTERMIsKilledWithItsGroupAfterTheGrace() async throws {
        // The grandchild writes a file if it outlives the group's SIGKILL.
        let marker = directory.path("survivor")
        let process = ChildProcess.shell(
            "trap '' TERM; (sleep 3; touch \(marker.path)) & sleep 30",
            environment: environment,
            directory: directory.url,
            timeoutSeconds: 1,
            graceSeconds: 1
        )
        #expect(try process.run() == .timedOut(seconds: 1))
        try await Task.sleep(for: .seconds(3))
        #expect(!FileManager.default.fileExists(atPath: marker.path))
    }

    /// A plain command by path is the group's leader itself (`exec`, no shell left between): what it writes as
    /// `$$` is the group the engine ends, and the probe the tests use sees its members until they are gone.
    @Test func aCommandByPathLeadsItsGroupAndTheProbeSeesItUntilItEnds() async throws {
        let script = directory.path("lead.sh")
        let ready = directory.path("lead.pid")
        try Data("#!/bin/sh\necho $$ > \"\(ready.path)\"\nsleep 600\n".utf8).write(to: script)
        #expect(chmod(script.path, 0o755) == 0)
        let process = try StreamingChildProcess.shell(
            script.path,
            environment: environment,
            directory: directory.url,
            input: nil,
            errorFile: nil
        )
        while (try? String(contentsOf: ready, encoding: .utf8))?.hasSuffix("\n") != true {
            try await Task.sleep(for: .milliseconds(10))
        }
        let written = try #require(
            pid_t(String(contentsOf: ready, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))
        )
        #expect(written == process.pid)
        // The script and its sleep, both in the group.
        #expect(ProcessGroupProbe.livingMembers(of: process.pid).count == 2)
        _ = process.terminate(graceSeconds: 1)
        #expect(await ProcessGroupProbe.ended(process.pid))
    }

    @Test func theRecordACommandReadsAsItRunsNamesItsOwnGroup() async throws {
        let record = directory.path("group.record")
        let seen = directory.path("seen")
        let process = ChildProcess.shell(
            "cat '\(record.path)' > '\(seen.path)'; echo \"$$\" >> '\(seen.path)'",
            environment: environment,
            directory: directory.url,
            runtimeRecord: record
        )
        #expect(try process.run() == .exited(0))
        let lines = try String(contentsOf: seen, encoding: .utf8).split(separator: "\n")
        // The record the command read names its own group (its shell's id) and the leader's start time.
        #expect(lines.count == 2, "\(lines)")
        #expect(lines.first?.split(separator: " ").first == lines.last, "\(lines)")
        #expect(try String(contentsOf: record, encoding: .utf8).isEmpty, "the record is emptied once it ends")
    }

    @Test func aGateWhoseWriterIsGoneRunsNothing() async throws {
        // As for a tollgate killed between the spawn and the record: the write end is closed, never written.
        let ran = directory.path("ran")
        var ends: [Int32] = [-1, -1]
        #expect(pipe(&ends) == 0)
        close(ends[1])
        let pid = try ProcessLauncher.spawn(
            arguments: ["/bin/sh", "-c", ChildProcess.gateLine + "echo ran > '\(ran.path)'"],
            environment: environment,
            directory: directory.url,
            input: nil,
            output: .inherited,
            error: .inherited,
            gate: ends[0]
        )
        close(ends[0])
        defer { ProcessGroups.unregister(pid) }
        var status: Int32 = 0
        #expect(waitpid(pid, &status, 0) == pid)
        #expect((status >> 8) & 0xff == 125)
        #expect(!FileManager.default.fileExists(atPath: ran.path))
    }

    @Test func aMissingDirectoryIsAFailedStartNotAHang() async throws {
        let process = ChildProcess.shell(
            "true",
            environment: environment,
            directory: directory.path("missing"),
            timeoutSeconds: 5
        )
        #expect(try process.run() != .exited(0))
    }

    @Test func streamingOutputArrivesBeforeTheProcessEnds() async throws {
        let child = try StreamingChildProcess.shell(
            "echo first; sleep 30",
            environment: environment,
            directory: directory.url,
            input: nil,
            errorFile: nil
        )
        let chunk = child.read(until: .now + .seconds(10))
        #expect(chunk == .data(Array("first\n".utf8)))
        #expect(child.read(until: .now + .milliseconds(100)) == .deadline)
        #expect(child.waitForExit(until: .now + .milliseconds(50)) == nil)
        #expect(child.terminate(graceSeconds: 1) == .signalled(SIGTERM))
        #expect(child.read(until: nil) == .endOfStream)
    }

    @Test func streamingInputAndTheExitStatusAreSeen() async throws {
        let input = try directory.write("in.txt", "hello\n")
        let errors = directory.path("err.log")
        let child = try StreamingChildProcess.shell(
            "tr a-z A-Z; echo oops >&2; exit 3",
            environment: environment,
            directory: directory.url,
            input: input,
            errorFile: errors
        )
        var bytes: [UInt8] = []
        reading: while true {
            switch child.read(until: .now + .seconds(10)) {
            case .data(let chunk): bytes += chunk
            case .endOfStream: break reading
            case .deadline: Issue.record("no output within 10 s"); break reading
            }
        }
        #expect(String(decoding: bytes, as: UTF8.self) == "HELLO\n")
        #expect(child.waitForExit(until: .now + .seconds(10)) == .exited(3))
        #expect(child.waitForExit(until: nil) == .exited(3))
        #expect(try String(contentsOf: errors, encoding: .utf8) == "oops\n")
    }
}
