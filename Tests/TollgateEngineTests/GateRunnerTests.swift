import Foundation
import Testing
import TollgateCore
import TollgateEngine
import TollgateTestSupport

/// The gate runner with real `/bin/sh` gates: order, every gate running after a failure, exit statuses, signals,
/// time limits, the output's size, digest and redacted end, resuming from recorded results, and the callbacks.
@Suite(.runsProcesses)
struct GateRunnerTests {
    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory("gate-runner")
    }

    var logs: URL { directory.path("logs") }

    func context(redacting: [String] = []) -> GateRunner.Context {
        GateRunner.Context(
            directory: directory.url,
            environment: ["PATH": "/usr/bin:/bin"],
            log: GateRunner.Context.logFiles(in: logs),
            redacting: redacting
        )
    }

    func log(_ number: Int) throws -> String {
        try String(contentsOf: logs.appendingPathComponent("gate-\(number).log"), encoding: .utf8)
    }

    @Test func everyGateRunsInOrderAfterAFailure() async throws {
        let order = directory.path("order.txt").path
        let runner = GateRunner(
            gates: [
                GateSpec(name: "one", command: "echo one >> '\(order)'; echo out; echo err >&2"),
                GateSpec(name: "two", command: "echo two >> '\(order)'; exit 3"),
                GateSpec(name: "three", command: "echo \"$TOLLGATE_GATE $(pwd -P)\" >> '\(order)'"),
            ],
            defaultTimeoutSeconds: 30
        )
        var events: [String] = []
        let results = try runner.run(
            context(),
            started: { index, gate in events.append("start \(index) \(gate.name)") },
            finished: { index, result in events.append("end \(index) \(result.passed)") }
        )
        #expect(results.map(\.name) == ["one", "two", "three"])
        #expect(results.map(\.passed) == [true, false, true])
        #expect(results.map(\.exitCode) == [0, 3, 0])
        #expect(
            events == ["start 0 one", "end 0 true", "start 1 two", "end 1 false", "start 2 three", "end 2 true"]
        )
        let lines = try String(contentsOfFile: order, encoding: .utf8).split(separator: "\n")
        #expect(lines == ["one", "two", "three \(directory.url.resolvingSymlinksInPath().path)"])
        #expect(results[0].outputTail == "out\nerr")
        #expect(results[0].outputBytes == 8)
        #expect(results[0].outputSHA256 == SHA256.hex(of: "out\nerr\n".utf8))
        #expect(try log(1) == "$ \(runner.gates[0].command)\nout\nerr\n")
        #expect(try log(2).hasSuffix("[the gate exited with status 3]\n"))
    }

    @Test func stoppingAtTheFirstFailureLeavesTheRestUnrun() async throws {
        let runner = GateRunner(
            gates: [GateSpec(command: "false"), GateSpec(command: "touch ran")],
            defaultTimeoutSeconds: 30,
            stopsAtFirstFailure: true
        )
        let results = try runner.run(context())
        #expect(results.map(\.name) == ["false"])
        #expect(!FileManager.default.fileExists(atPath: directory.path("ran").path))
    }

    @Test func aGatePastItsTimeIsStopped() async throws {
        let runner = GateRunner(
            gates: [GateSpec(name: "slow", command: "echo waiting; sleep 30", timeoutSeconds: 1)],
            defaultTimeoutSeconds: 30,
            graceSeconds: 1
        )
        let result = try #require(try runner.run(context()).first)
        #expect(!result.passed)
        #expect(result.timedOut)
        #expect(result.exitCode == nil)
        #expect(result.timeoutSeconds == 1)
        #expect(result.outputTail == "waiting")
        #expect(GateRunner.ending(of: result) == "the gate did not finish within 1 s and was stopped")
    }

    @Test func aSignalIsReportedAsSuch() async throws {
        let runner = GateRunner(gates: [GateSpec(name: "k", command: "kill -9 $$")], defaultTimeoutSeconds: 30)
        let result = try #require(try runner.run(context()).first)
        #expect(result.signal == 9)
        #expect(result.exitCode == nil)
        #expect(!result.passed && !result.timedOut)
    }

    /// A link left where a gate's log goes (by an agent that knows the name) is replaced: the gate's output goes
    /// to a log of tollgate's own, and the linked file stays as it was.
    @Test func aLinkAtALogsPathIsReplacedNotAppendedThrough() async throws {
        let victim = try directory.write("victim.txt", "precious\n")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            at: logs.appendingPathComponent("gate-1.log"),
            withDestinationURL: victim
        )
        let runner = GateRunner(gates: [GateSpec(name: "say", command: "echo gate-output")], defaultTimeoutSeconds: 30)
        let result = try #require(try runner.run(context()).first)
        #expect(result.passed)
        #expect(try String(contentsOf: victim, encoding: .utf8) == "precious\n")
        #expect(try log(1).contains("gate-output"))
        let kind = try FileManager.default.attributesOfItem(atPath: logs.appendingPathComponent("gate-1.log").path)
        #expect(kind[.type] as? FileAttributeType == .typeRegular)
    }

    @Test func theOutputsEndIsCutAtALineAndRedacted() async throws {
        let runner = GateRunner(
            gates: [
                GateSpec(
                    name: "big",
                    command: "i=0; while [ $i -lt 300 ]; do echo line $i token-s3cret; i=$((i+1)); done"
                )
            ],
            defaultTimeoutSeconds: 30,
            tailBytes: 100
        )
        let result = try #require(try runner.run(context(redacting: ["token-s3cret", ""])).first)
        #expect(result.outputTail.hasPrefix("…line "))
        #expect(result.outputTail.hasSuffix("line 299 [REDACTED]"))
        #expect(!result.outputTail.contains("s3cret"))
        #expect(result.outputTail.utf8.count <= 100 + "…".utf8.count)
        let whole = String(try log(1).split(separator: "\n", maxSplits: 1)[1])
        #expect(result.outputBytes == whole.utf8.count)
        #expect(result.outputSHA256 == SHA256.hex(of: whole.utf8))
    }

    @Test func recordedResultsAreNotRunAgain() async throws {
        let count = directory.path("count.txt").path
        let runner = GateRunner(
            gates: [
                GateSpec(name: "a", command: "echo a >> '\(count)'"),
                GateSpec(name: "b", command: "echo b >> '\(count)'"),
            ],
            defaultTimeoutSeconds: 30
        )
        let recorded = GateResult(
            name: "a",
            command: "echo a",
            passed: true,
            exitCode: 0,
            timeoutSeconds: 30,
            durationMs: 7
        )
        let results = try runner.run(context(), recorded: [recorded])
        #expect(results.first == recorded)
        #expect(try String(contentsOfFile: count, encoding: .utf8) == "b\n")
        // A record of another gate at that place is no record of this one.
        let other = GateResult(name: "z", command: "z", passed: true, exitCode: 0, timeoutSeconds: 30, durationMs: 1)
        _ = try runner.run(context(), recorded: [other])
        #expect(try String(contentsOfFile: count, encoding: .utf8) == "b\na\nb\n")
    }

    @Test func aGateInAMissingFolderFailsSayingSo() async throws {
        var context = context()
        context.directory = directory.path("missing-folder")
        let runner = GateRunner(gates: [GateSpec(name: "x", command: "true")], defaultTimeoutSeconds: 30)
        let result = try #require(try runner.run(context).first)
        #expect(!result.passed)
        #expect(result.exitCode.map { $0 != 0 } == true)
        #expect(result.outputTail.contains("missing-folder"))
    }
}
