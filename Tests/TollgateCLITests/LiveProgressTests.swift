import Foundation
import Synchronization
import Testing
import TollgateTestSupport

@testable import TollgateCLI

/// Progress while an agent runs, and what a failed agent said last.
@Suite(.runsProcesses)
struct LiveProgressTests {
    @Test func withoutATerminalABeatIsALineEveryThirtySeconds() async {
        let lines = Mutex<[String]>([])
        let output = Output(out: { line in lines.withLock { $0.append(line) } }, err: { _ in })
        let live = LiveProgress(output: output, terminal: false)
        for second in 1...95 { live.beat(.seconds(second), "working on \(second)") }
        #expect(
            lines.withLock { $0 } == [
                "  agent still running after 30 s: working on 30",
                "  agent still running after 1 min 00 s: working on 60",
                "  agent still running after 1 min 30 s: working on 90",
            ]
        )
    }

    @Test func theClockReadsInSecondsThenMinutes() async {
        #expect(LiveProgress.clock(0) == "0 s")
        #expect(LiveProgress.clock(59) == "59 s")
        #expect(LiveProgress.clock(185) == "3 min 05 s")
    }

    @Test func quietIsTakenByRunAndResumeOnly() async throws {
        #expect(try Invocation.parse(["run", "d", "--quiet"]).quiet)
        #expect(try Invocation.parse(["resume", "--quiet"]).quiet)
        #expect(try !Invocation.parse(["run", "d"]).quiet)
        #expect(throws: UsageError.self) { try Invocation.parse(["status", "d", "--quiet"]) }
    }

    @Test func aFailedAgentsLastLinesAreInTheMessage() async throws {
        let job = try CLIJob("failure-tail")
        let agent = try job.script(
            "agent.sh",
            AgentScript.custom(
                "for i in 1 2 3 4 5 6 7; do echo \"line $i\"; done\necho 'fatal: no model key' >&2\nexit 3"
            )
        )
        try await job.initialize(["--agent", agent])
        let result = try await job.tollgate("run", job.path)
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("last lines of the agent's output"), "\(result.stderr)")
        #expect(result.stderr.contains("| fatal: no model key"))
        #expect(result.stderr.contains("| line 4"))
        #expect(!result.stderr.contains("| line 3"))
    }
}
