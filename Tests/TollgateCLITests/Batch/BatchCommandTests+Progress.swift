import Foundation
import Testing
import TollgateTestSupport

/// How `tollgate batch` shows its progress on a terminal and on a pipe, and what Ctrl-C leaves (DESIGN §11).
extension BatchCommandTests {
    /// The four units of the fixture and the states the test critic leaves them in.
    static let finalStates = [
        "ch/deep/ship2.md": "shipped", "ch/fail.md": "failed", "ch/low.md": "below threshold", "ch/ship.md": "shipped",
    ]

    @Test func onATerminalTheBlockIsRedrawnInPlaceAndFitsTheWidth() async throws {
        let columns = 50
        let arguments = [
            "batch", repository.path, "--files", "ch/**/*.md", "--critic", try critic(), "--jobs", "2",
            "--set", "budget.tokens.hard=100000", "--set", "critique.reserve.tokens=100",
        ]
        let result = try binary.runOnTerminal(arguments, directory: directory.url, columns: UInt16(columns))
        #expect(result.status == 1, "\(result.raw)")
        // Moved back and erased, once a change after the first (4 units: queued, running, finished each).
        #expect(result.raw.components(separatedBy: "\u{1B}[J").count - 1 == 12, "\(result.raw)")
        #expect(result.raw.contains("\u{1B}[4A"), "the cursor goes back up over the block")
        #expect(!result.raw.contains(" · queued"), "a plain progress line was printed on the terminal")

        let screen = result.screen(columns: columns)
        for (unit, state) in Self.finalStates {
            let rows = screen.filter { $0.hasPrefix("  \(state) ") && $0.contains(" \(unit)") }
            #expect(rows.count == 1, "\(unit) shown \(rows.count) times on: \(screen)")
        }
        #expect(screen.filter { $0.hasPrefix("[") && $0.contains("] queued") } == ["[4/4] queued 0, running 0, done 4"])
        #expect(screen.filter { $0.hasPrefix("  budget tokens [") }.count == 1, "\(screen)")
        #expect(screen.contains { $0.hasPrefix("batch ") && $0.contains(": 4 unit(s)") }, "\(screen)")
        let block = screen.prefix { !$0.hasPrefix("batch ") }
        #expect(block.count == 6 && block.allSatisfy { $0.count < columns }, "the block does not fit: \(screen)")
    }

    @Test func onAPipeEachChangeIsOnePlainLine() async throws {
        let result = try await tollgate("batch", repository.path, "--files", "ch/**/*.md", "--critic", try critic())
        #expect(result.status == 1, "\(result)")
        #expect(!result.stdout.contains("\u{1B}"), "escape sequences on a pipe")
        let lines = result.stdout.split(separator: "\n").filter { $0.contains(" · queued ") }
        #expect(lines.count == 12, "one line per change: \(result.stdout)")
    }

    @Test func ctrlCEndsTheRunningCriticKeepsWhatFinishedAndSaysHowToGoOn() async throws {
        let running = try await startWithASlowUnit()
        // ch/ship.md is critiqued and committed first; then ch/slow.md's critic sleeps (30 s) until stopped.
        let started = running.waitForOutput(timeout: 60) { $0.contains("running: ch/slow.md") }
        #expect(started, "\(running.outputSoFar)")
        // The shell's id in full: the file exists (empty) a moment before `echo` fills it.
        let criticPID = { () -> Int32? in
            (try? String(contentsOf: slowPID, encoding: .utf8)).flatMap {
                Int32($0.trimmingCharacters(in: .whitespacesAndNewlines))
            }
        }
        let criticStarted = running.waitForOutput(timeout: 60) { _ in criticPID() != nil }
        guard criticStarted else {
            // Seen once in a full run under load: say what the batch and its critics did, and stop it.
            let runs = (try? String(contentsOf: directory.path("runs.log"), encoding: .utf8)) ?? "(no runs.log)"
            kill(running.pid, SIGKILL)
            let result = await running.wait(timeout: 10)
            Issue.record("ch/slow.md's critic did not start in 60 s; critic runs: \(runs); tollgate: \(result)")
            return
        }
        let critic = try #require(criticPID())
        kill(running.pid, SIGINT)
        let result = await running.wait(timeout: 60)
        #expect(result.status == 130, "\(result)")
        #expect(!result.timedOut)
        let id = try #require(
            try await git("branch", "--list", "batch/*").split(separator: "/").last.map(String.init)
        )
        #expect(result.stderr.contains("--resume \(id)"), "\(result.stderr)")
        #expect(await ProcessGroupProbe.ended(critic), "the critic's process group outlived tollgate")
        let units = try #require(try await summary(id)["units"] as? [[String: Any]])
        #expect(units.map { $0["state"] as? String } == ["shipped", "queued"])
    }

    /// Where the test critic writes its shell's process id before it sleeps on a slow unit.
    var slowPID: URL { directory.path("runs.log.pid") }
}
