import Foundation
import Testing
import TollgateTestSupport

/// Budgets and privacy of `tollgate batch` (DESIGN §11), through the built executable.
extension BatchCommandTests {
    /// `tollgate batch REPO --files FILES --critic CRITIC <extra>` (the test critic by default).
    func batch(_ files: String, critic command: String? = nil, _ extra: String...) async throws -> ProcessResult {
        let arguments = ["batch", repository.path, "--files", files, "--critic", try command ?? critic()] + extra
        return try await binary.run(arguments, directory: directory.url, timeout: 120)
    }

    func summary(_ id: String) async throws -> [String: Any] {
        try await json(try git("show", "batch/\(id):critique/batch-\(id)/summary.json"))
    }

    /// The tokens a batch's committed summary says it spent.
    func tokensSpent(_ summary: [String: Any]) -> Double? {
        ((summary["budget"] as? [String: Any])?["spent"] as? [String: Double])?["tokens"]
    }

    func critiqued() throws -> [Substring] {
        try String(contentsOf: directory.path("runs.log"), encoding: .utf8).split(separator: "\n")
    }

    @Test func aHardCapBlocksTheRestKeepsWhatFinishedAndAResumeAfterRaisingItGoesOn() async throws {
        try directory.write("repo/ch/ship3.md", "ship\n")
        try await GitCLI.run(["add", "-A"], in: repository)
        try await GitCLI.run(["commit", "-q", "-m", "a third unit"], in: repository)
        // Each critic reserves 100 tokens and reports 100: two fit under 250, the third would not.
        let first = try await batch(
            "**/ship*.md",
            "--jobs",
            "1",
            "--set",
            "budget.tokens.hard=250",
            "--set",
            "critique.reserve.tokens=100"
        )
        #expect(first.status == 4, "\(first)")
        let id = try batchID(first)
        #expect(first.stdout.contains("3 unit(s), 2 shipped, 0 below threshold, 0 degraded, 0 failed, 1 blocked"))
        #expect(
            first.stdout.contains("[2/3] blocked: ch/ship3.md · queued 0, running 0, done 2, blocked 1"),
            "a blocked unit is not done: \(first.stdout)"
        )
        #expect(first.stdout.contains("tokens [################....] spent 200 tokens; hard 250 tokens"))
        for words in [
            "budget.tokens.hard is 250 tokens", "spent 200 tokens", "the next run reserves 100 tokens",
            "--resume \(id) --set budget.tokens.hard=300`", "the spend so far is kept",
        ] {
            #expect(first.stderr.contains(words), "'\(words)' missing from: \(first.stderr)")
        }
        let blocked = try await summary(id)
        let units = try #require(blocked["units"] as? [[String: Any]])
        #expect(units.map { $0["state"] as? String } == ["shipped", "shipped", "blocked"])
        #expect(tokensSpent(blocked) == 200)
        #expect((blocked["blocked"] as? String)?.contains("budget.tokens.hard") == true)
        #expect(try critiqued().count == 2)

        let resumed = try await tollgate("batch", repository.path, "--resume", id, "--set", "budget.tokens.hard=300")
        #expect(resumed.status == 0, "\(resumed)")
        #expect(resumed.stdout.contains("3 unit(s), 3 shipped"), "\(resumed)")
        let done = try await summary(id)
        #expect(tokensSpent(done) == 300)
        #expect(done["blocked"] == nil)
        let runs = try critiqued()
        #expect(runs.count == 3 && runs.last?.hasSuffix("ch/ship3.md") == true, "no unit critiqued twice: \(runs)")
    }

    @Test func aCapWithNoReservationStartsNothingAndSaysWhichReservationToSet() async throws {
        let result = try await batch("ch/ship.md", "--set", "budget.tokens.hard=250")
        #expect(result.status == 4, "\(result)")
        #expect(result.stderr.contains("critique.reserve.tokens is 0"), "\(result.stderr)")
        #expect(result.stderr.contains("--set critique.reserve.tokens=1000"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory.path("runs.log").path), "a critic ran uncapped")
    }

    @Test func aCriticThatReportsNothingIsChargedItsReservationWithAWarning() async throws {
        let silent = "/bin/sh -c 'unset TOLLGATE_USAGE; exec \(try critic())'"
        let result = try await batch(
            "ch/ship.md",
            critic: silent,
            "--set",
            "budget.tokens.hard=1000",
            "--set",
            "critique.reserve.tokens=150"
        )
        #expect(result.status == 0, "\(result)")
        #expect(result.stderr.contains("reported no tokens; it is charged its reservation (150 tokens)"), "\(result)")
        await #expect(tokensSpent(try summary(try batchID(result))) == 150)
    }

    @Test func inLocalOnlyTheCriticCannotReachTheMachinesLoopback() async throws {
        let listener = try LoopbackListener()
        let capture = directory.path("probe")
        let probe = try directory.write(
            "probe.sh",
            """
            if bash -c 'exec 3<>/dev/tcp/127.0.0.1/\(listener.port)' 2>/dev/null; then r=reached; else r=unreachable; fi
            echo "$r $TOLLGATE_PRIVACY_MODE" > '\(capture.path)'
            exec \(try critic())

            """
        )
        let result = try await batch("ch/ship.md", critic: "/bin/sh \(probe.path)", "--set", "privacy.mode=local-only")
        #expect(result.status == 0, "\(result)")
        #expect(try String(contentsOf: capture, encoding: .utf8) == "unreachable local-only\n")
        #expect(listener.acceptedConnections() == 0, "the local-only critic reached the machine's 127.0.0.1")
    }
}

/// `budget.seconds.hard` over a batch's critics (DESIGN §11), through the built executable.
extension BatchCommandTests {
    @Test func aCriticIsStoppedWhereTheSecondsCapLeftItAndSaysItWasTheBudget() async throws {
        try directory.write("repo/ch/slow.md", "slow\n")
        try await GitCLI.run(["add", "-A"], in: repository)
        try await GitCLI.run(["commit", "-q", "-m", "a slow unit"], in: repository)
        // The slow unit's critic sleeps 30 s, far within its own 240 s timeout: the 2 s cap is what stops it.
        let result = try await batch("ch/slow.md", "--set", "budget.seconds.hard=2")
        #expect(result.status == 1, "\(result)")
        let id = try batchID(result)
        #expect(result.stdout.contains("1 unit(s), 0 shipped, 0 below threshold, 0 degraded, 1 failed"), "\(result)")
        for words in [
            "budget: ch/slow.md: the critic was stopped after 2 s by the budget: budget.seconds.hard (2 s) left it 2 s "
                + "of its own 240 s timeout", "--resume \(id) --set budget.seconds.hard=240`",
        ] {
            #expect(result.stderr.contains(words), "'\(words)' missing from: \(result.stderr)")
        }
        let report = try await git("show", "batch/\(id):critique/batch-\(id)/units/ch/slow.md/report.md")
        #expect(report.contains("stopped after 2 s by the budget: budget.seconds.hard"), "\(report)")
        // The critic's whole process group was ended.
        let pid = try #require(
            Int32(
                String(contentsOf: directory.path("runs.log.pid"), encoding: .utf8)
                    .trimmingCharacters(in: .whitespacesAndNewlines)
            )
        )
        #expect(await ProcessGroupProbe.ended(pid), "the critic stopped by the budget is still running")
    }

    @Test func aReviserIsStoppedWhereTheSecondsCapLeftItAndSaysItWasTheBudget() async throws {
        let pidFile = directory.path("reviser.pid")
        let reviser = try directory.write("slow-reviser.sh", "echo $$ > '\(pidFile.path)'\nexec sleep 30\n")
        // The low unit's critic is quick and below the threshold; its reviser sleeps far within the loop's time,
        // so the 3 s cap is what stops it.
        let result = try await batch(
            "ch/low.md",
            "--revise",
            "/bin/sh \(reviser.path)",
            "--set",
            "budget.seconds.hard=3"
        )
        #expect(result.status == 1, "\(result)")
        for words in ["budget: ch/low.md: the reviser was stopped after", "by the budget: budget.seconds.hard (3 s)"] {
            #expect(result.stderr.contains(words), "'\(words)' missing from: \(result.stderr)")
        }
        let id = try batchID(result)
        let report = try await git("show", "batch/\(id):critique/batch-\(id)/units/ch/low.md/report.md")
        #expect(report.contains("the reviser was stopped after"), "\(report)")
        let pid = try #require(
            Int32(String(contentsOf: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))
        )
        #expect(kill(pid, 0) == -1, "the reviser stopped by the budget is still running")
    }

    @Test func aUnitRefusedWhileOthersHoldTheBudgetWaitsForThemInsteadOfBlockingTheBatch() async throws {
        // Each critic reserves 100 tokens but reports 10: two reservations do not fit under 150 at once, so the second
        // unit to reserve is refused while the first runs; once the first is charged its 10, both fit.
        let cheap = try directory.write(
            "cheap.sh",
            """
            usage="$TOLLGATE_USAGE"
            \(try critic())
            printf '{"inputTokens": 10}' > "$usage"

            """
        )
        let result = try await batch(
            "ch/ship.md",
            critic: "/bin/sh \(cheap.path)",
            "--files",
            "ch/deep/ship2.md",
            "--jobs",
            "2",
            "--set",
            "budget.tokens.hard=150",
            "--set",
            "critique.reserve.tokens=100"
        )
        #expect(result.status == 0, "a unit refused while another held the budget blocked the batch: \(result)")
        #expect(result.stdout.contains("2 unit(s), 2 shipped"), "\(result)")
        await #expect(tokensSpent(try summary(try batchID(result))) == 20)
        #expect(try critiqued().count == 2)
    }
}
