import Foundation
import Testing
import TollgateTestSupport

/// `tollgate batch`, through the built executable, over a small repository made with the git command line.
@Suite(.runsProcesses)
struct BatchCommandTests {
    let binary: TollgateBinary
    let directory: TemporaryDirectory
    let repository: URL

    init() async throws {
        binary = try TollgateBinary()
        directory = try TemporaryDirectory("batch-command")
        repository = directory.path("repo")
        try FileManager.default.createDirectory(at: repository, withIntermediateDirectories: true)
        try await GitCLI.run(["init", "-q", "-b", "main"], in: repository)
        for (path, text) in [
            "ch/ship.md": "ship\n", "ch/low.md": "low\n", "ch/fail.md": "fail\n", "ch/deep/ship2.md": "ship\n",
            "notes.txt": "not a unit\n",
        ] {
            try directory.write("repo/" + path, text)
        }
        try await GitCLI.run(["add", "-A"], in: repository)
        try await GitCLI.run(["commit", "-q", "-m", "chapters"], in: repository)
    }

    /// A critic that reports 100 tokens to `$TOLLGATE_USAGE`, ships a file saying "ship", scores a file saying "low" below the threshold, cuts its stream
    /// mid-block on "cut" (degraded), ships "slow" after 30 s unless `runs.log.go` exists, and exits 3 on anything
    /// else; it logs each run's file in `runs.log` beside it.
    ///
    /// Run as `/bin/sh <path>`, never executed itself (a script written while another test spawns a process could
    /// be held open by it: "text file busy").
    func critic() throws -> String {
        let log = directory.path("runs.log").path
        return "/bin/sh "
            + (try directory.write(
                "critic.sh",
                """
                #!/bin/sh
                text=$(cat)
                echo "$TOLLGATE_CRITIQUE_ARTIFACT" >> '\(log)'
                if [ -n "$TOLLGATE_USAGE" ]; then printf '{"inputTokens": 60, "outputTokens": 40}' > "$TOLLGATE_USAGE"; fi
                case "$text" in
                  ship) score=9 ;;
                  low) score=5 ;;
                  cut) printf '<CRITIQUE_RUN version="1"><ROUND n="1"><PANELIST role="critic" score="9">'; exit 0 ;;
                  slow) if [ ! -e '\(log).go' ]; then echo $$ > '\(log).pid'; sleep 30; fi; score=9 ;;
                  *) echo "the critic broke" >&2; exit 3 ;;
                esac
                printf '<CRITIQUE_RUN version="1"><ROUND n="1"><PANELIST role="designer"><ARTIFACT><![CDATA[%s]]></ARTIFACT></PANELIST>' "$text"
                printf '<PANELIST role="critic" score="%s">' "$score"
                if [ "$score" = 5 ]; then printf '<MUST_FIX>Say more.</MUST_FIX>'; fi
                printf '</PANELIST><PANELIST role="brand" score="%s"></PANELIST>' "$score"
                printf '<PANELIST role="a11y" score="%s"></PANELIST><PANELIST role="copy" score="%s"></PANELIST>' "$score" "$score"
                printf '<ROUND_END n="1"></ROUND_END></ROUND>'
                if [ "$score" = 9 ]; then printf '<SHIP round="1"></SHIP>'; fi
                printf '</CRITIQUE_RUN>\\n'

                """
            ).path)
    }

    func tollgate(_ arguments: String...) async throws -> ProcessResult {
        try await binary.run(arguments, directory: directory.url, timeout: 120)
    }

    func git(_ arguments: String...) async throws -> String { try await GitCLI.run(arguments, in: repository) }

    /// The batch id a plain run printed on its last lines.
    func batchID(_ result: ProcessResult) throws -> String {
        let line = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("batch ") })
        return String(line.dropFirst("batch ".count).prefix { $0 != ":" })
    }

    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func unitsShipFallBelowOrFailAndEveryResultIsOnTheBatchBranchAlone() async throws {
        let head = try await git("rev-parse", "HEAD")
        let result = try await tollgate(
            "batch",
            repository.path,
            "--files",
            "ch/*.md",
            "--files",
            "ch/**/ship2.md",
            "--critic",
            try critic(),
            "--jobs",
            "2"
        )
        #expect(result.status == 1, "\(result)")
        let id = try batchID(result)
        #expect(result.stdout.contains("4 unit(s), 2 shipped, 1 below threshold, 0 degraded, 1 failed"), "\(result)")
        for line in [
            "queued: ch/fail.md", "running: ch/low.md", "shipped: ch/ship.md (composite 9.0)",
            "below threshold: ch/low.md (composite 5.0)", "failed: ch/fail.md",
        ] {
            #expect(result.stdout.contains(line), "\(line)")
        }
        #expect(!result.stdout.contains("notes.txt"))

        // The user's branch, index and working tree: untouched.
        #expect(try await git("rev-parse", "HEAD") == head)
        #expect(try await git("symbolic-ref", "--short", "HEAD") == "main")
        #expect(try await git("status", "--porcelain").isEmpty)

        let branch = "batch/\(id)"
        let folder = "critique/batch-\(id)"
        let summary = try await json(try git("show", "\(branch):\(folder)/summary.json"))
        #expect(summary["batch"] as? String == id)
        let units = try #require(summary["units"] as? [[String: Any]])
        #expect(units.map { $0["unit"] as? String } == ["ch/deep/ship2.md", "ch/fail.md", "ch/low.md", "ch/ship.md"])
        #expect(units.map { $0["state"] as? String } == ["shipped", "failed", "below_threshold", "shipped"])
        #expect(units[2]["mustFix"] as? Int == 1)
        #expect(units[3]["finalComposite"] as? Double == 9)
        let counts = try #require(summary["counts"] as? [String: Int])
        #expect(counts["shipped"] == 2 && counts["failed"] == 1 && counts["below_threshold"] == 1)
        let report = try await git("show", "\(branch):\(folder)/report.md")
        #expect(report.contains("| below threshold | 5.0 | 5.0 | 1 | 0 |"), "\(report)")
        let files = try await git("ls-tree", "-r", "--name-only", branch).split(separator: "\n").map(String.init)
        for name in ["transcript.ndjson", "summary.json", "report.md"] {
            #expect(files.contains("\(folder)/units/ch/low.md/\(name)"), "\(name)")
        }
        #expect(files.contains("\(folder)/units/ch/fail.md/report.md"))
        // Every commit on the branch names the batch; the branch starts at the user's HEAD.
        #expect(try await git("merge-base", branch, "main") == head)
        let messages = try await git("log", "--format=%B%x00", "\(head)..\(branch)").split(separator: "\0")
        #expect(messages.count == 5, "one start commit and one a unit: \(messages)")
        #expect(messages.allSatisfy { $0.contains("Tollgate-Batch: \(id)") })
        // The worktree is inside .git, on the batch branch.
        let worktree = repository.appendingPathComponent(".git/tollgate/worktrees/batch-\(id)")
        #expect(try await GitCLI.run(["symbolic-ref", "--short", "HEAD"], in: worktree) == branch)
    }

    @Test func everyUnitShippedExitsZeroAndJSONIsOneEventALine() async throws {
        let result = try await tollgate(
            "batch",
            repository.path,
            "--files",
            "**/ship*.md",
            "--critic",
            try critic(),
            "--json"
        )
        #expect(result.status == 0, "\(result)")
        let events = try result.stdout.split(separator: "\n").map { try json(String($0)) }
        let states: [String] = events.compactMap { event in
            event["event"] as? String == "unit" ? event["state"] as? String : nil
        }
        #expect(states.filter { $0 == "shipped" }.count == 2)
        let last = try #require(events.last)
        #expect(last["event"] as? String == "finished")
        #expect((last["counts"] as? [String: Int])?["shipped"] == 2)
        #expect((last["branch"] as? String)?.hasPrefix("batch/") == true)
    }

    @Test func aResumedBatchSkipsTheUnitsItFinished() async throws {
        let first = try await tollgate("batch", repository.path, "--files", "ch/*.md", "--critic", try critic())
        #expect(first.status == 1, "\(first)")
        let id = try batchID(first)
        let runs = try String(contentsOf: directory.path("runs.log"), encoding: .utf8)
        #expect(runs.split(separator: "\n").count == 3)
        let again = try await tollgate("batch", repository.path, "--resume", id)
        #expect(again.status == 1, "\(again)")
        #expect(again.stdout.contains("3 unit(s), 1 shipped, 1 below threshold, 0 degraded, 1 failed"), "\(again)")
        #expect(try String(contentsOf: directory.path("runs.log"), encoding: .utf8) == runs, "no unit critiqued twice")
    }

    @Test func aStreamCutMidBlockIsADegradedUnit() async throws {
        try directory.write("repo/ch/cut.md", "cut\n")
        try await GitCLI.run(["add", "-A"], in: repository)
        try await GitCLI.run(["commit", "-q", "-m", "a unit the critic cuts short"], in: repository)
        let result = try await tollgate("batch", repository.path, "--files", "ch/cut.md", "--critic", try critic())
        #expect(result.status == 1, "\(result)")
        #expect(result.stdout.contains("degraded: ch/cut.md"), "\(result)")
        #expect(result.stdout.contains("1 unit(s), 0 shipped, 0 below threshold, 1 degraded, 0 failed"))
    }

    /// Commits a unit the test critic is slow on and starts a batch of it after `ch/ship.md`, one unit at a time.
    func startWithASlowUnit() async throws -> Subprocess {
        try directory.write("repo/ch/slow.md", "slow\n")
        try await GitCLI.run(["add", "-A"], in: repository)
        try await GitCLI.run(["commit", "-q", "-m", "a slow unit"], in: repository)
        let running = try binary.start(
            ["batch", repository.path, "--files", "ch/s*.md", "--critic", try critic(), "--jobs", "1"],
            directory: directory.url
        )
        return running
    }

    @Test func aBatchKilledMidwayResumesWithoutCritiquingAFinishedUnitTwice() async throws {
        let running = try await startWithASlowUnit()
        // ch/ship.md is critiqued and committed first; ch/slow.md then runs for 30 s: kill tollgate once its critic
        // has started (it writes its pid before it sleeps), not merely once ch/ship.md is in.
        let deadline = Date().addingTimeInterval(60)
        let slowStarted = directory.path("runs.log.pid")
        var id: String?
        while Date() < deadline, id == nil || !FileManager.default.fileExists(atPath: slowStarted.path) {
            try await Task.sleep(for: .milliseconds(100))
            guard let branch = try await git("branch", "--list", "batch/*").split(separator: "/").last.map(String.init),
                let summary = try? await git("show", "batch/\(branch):critique/batch-\(branch)/summary.json"),
                summary.contains("\"state\" : \"shipped\"")
            else { continue }
            id = branch
        }
        kill(running.pid, SIGKILL)
        _ = await running.wait(timeout: 10)
        let batch = try #require(id)
        try directory.write("runs.log.go", "")
        let resumed = try await tollgate("batch", repository.path, "--resume", batch)
        #expect(resumed.status == 0, "\(resumed)")
        #expect(resumed.stdout.contains("2 unit(s), 2 shipped"), "\(resumed)")
        let runs = try String(contentsOf: directory.path("runs.log"), encoding: .utf8).split(separator: "\n")
        #expect(runs.filter { $0.hasSuffix("ch/ship.md") }.count == 1, "\(runs)")
        #expect(runs.filter { $0.hasSuffix("ch/slow.md") }.count == 2, "\(runs)")
    }

    /// A reviser that turns a unit saying "low" into one saying "ship", after checking it got revise mode's
    /// environment and the critic's must-fix item.
    func reviser() throws -> String {
        "/bin/sh "
            + (try directory.write(
                "reviser.sh",
                """
                #!/bin/sh
                [ "$TOLLGATE_MODE" = revise ] || exit 5
                grep -q 'Say more.' "$TOLLGATE_FEEDBACK" || exit 6
                [ "$(cat "$TOLLGATE_WORKSPACE/$TOLLGATE_UNIT")" = low ] || exit 7
                printf 'ship\\n' > "$TOLLGATE_WORKSPACE/$TOLLGATE_UNIT"

                """
            ).path)
    }

    @Test func aRevisedUnitShipsAndItsRevisionIsCommittedOnTheBatchBranchOnly() async throws {
        let id = try await revisedBatch(files: "ch/low.md")
        let summary = try await json(try git("show", "batch/\(id):critique/batch-\(id)/summary.json"))
        let units = try #require(summary["units"] as? [[String: Any]])
        #expect(units.map { $0["state"] as? String } == ["shipped", "shipped"])
        #expect(units.map { $0["iterations"] as? Int } == [1, 0])
        #expect(units.first?["firstComposite"] as? Double == 5)
        #expect(units.first?["finalComposite"] as? Double == 9)
        #expect(try await git("show", "batch/\(id):ch/low.md") == "ship")
        #expect(try await git("show", "batch/\(id):ch/ship.md") == "ship")
        #expect(try String(contentsOf: repository.appendingPathComponent("ch/low.md"), encoding: .utf8) == "low\n")
        #expect(try await git("status", "--porcelain").isEmpty)
        let report = try await git("show", "batch/\(id):critique/batch-\(id)/units/ch/low.md/report.md")
        #expect(report.contains("Stop reason: shipped"), "\(report)")
    }

    @Test func aReviserThatFailsKeepsTheOriginal() async throws {
        let result = try await tollgate(
            "batch",
            repository.path,
            "--files",
            "ch/low.md",
            "--critic",
            try critic(),
            "--revise",
            "exit 9"
        )
        #expect(result.status == 1, "\(result)")
        let id = try batchID(result)
        #expect(try await git("show", "batch/\(id):ch/low.md") == "low")
        let summary = try await json(try git("show", "batch/\(id):critique/batch-\(id)/summary.json"))
        let unit = try #require((summary["units"] as? [[String: Any]])?.first)
        #expect(unit["state"] as? String == "below_threshold")
        let report = try await git("show", "batch/\(id):critique/batch-\(id)/units/ch/low.md/report.md")
        #expect(report.contains("Stop reason: error: the reviser exited with status 9"), "\(report)")
    }

    /// A batch (with a second "low" unit committed first) whose "low" units in `files` were revised to ship: its id.
    func revisedBatch(files: String = "ch/low*.md") async throws -> String {
        try directory.write("repo/ch/low2.md", "low\n")
        try await GitCLI.run(["add", "-A"], in: repository)
        try await GitCLI.run(["commit", "-q", "-m", "a second low unit"], in: repository)
        let arguments = ["batch", repository.path, "--files", files, "--files", "ch/ship.md", "--critic", try critic()]
        let result = try await binary.run(
            arguments + ["--revise", try reviser()],
            directory: directory.url,
            timeout: 120
        )
        #expect(result.status == 0, "\(result)")
        return try batchID(result)
    }

    @Test func acceptLandsEveryRevisionAsOneCommitAndRollbackRevertsItBothSafeToRepeat() async throws {
        let id = try await revisedBatch()
        let before = try await git("rev-parse", "HEAD")
        let accept = try await tollgate("batch", repository.path, "--accept", id)
        #expect(accept.status == 0, "\(accept)")
        #expect(accept.stdout.contains("accepted on main in commit"), "\(accept)")
        #expect(try await git("rev-parse", "HEAD~1") == before)
        #expect(try await git("diff", "--name-only", "HEAD~1", "HEAD") == "ch/low.md\nch/low2.md")
        let message = try await git("log", "-1", "--format=%B")
        #expect(message.contains("Tollgate-Batch: \(id)"))
        #expect(message.contains("Tollgate-Unit: ch/low.md") && message.contains("Tollgate-Unit: ch/low2.md"))
        #expect(try String(contentsOf: repository.appendingPathComponent("ch/low.md"), encoding: .utf8) == "ship\n")
        #expect(try await git("status", "--porcelain").isEmpty)
        let accepted = try await git("rev-parse", "HEAD")

        let again = try await tollgate("batch", repository.path, "--accept", id)
        #expect(again.status == 0, "\(again)")
        #expect(again.stdout.contains("already accepted"), "\(again)")
        #expect(try await git("rev-parse", "HEAD") == accepted)

        let rollback = try await tollgate("batch", repository.path, "--rollback", id)
        #expect(rollback.status == 0, "\(rollback)")
        #expect(try await git("rev-parse", "HEAD~1") == accepted)
        #expect(try await git("show", "HEAD:ch/low.md") == "low")
        #expect(try String(contentsOf: repository.appendingPathComponent("ch/low2.md"), encoding: .utf8) == "low\n")
        let rolledBack = try await git("rev-parse", "HEAD")
        let twice = try await tollgate("batch", repository.path, "--rollback", id)
        #expect(twice.status == 0, "\(twice)")
        #expect(twice.stdout.contains("already rolled back"), "\(twice)")
        #expect(try await git("rev-parse", "HEAD") == rolledBack)
        #expect(try await git("branch", "--list", "batch-*").isEmpty, "no scratch branch left")
    }

    @Test func acceptOfOneUnitLandsThatUnitAlone() async throws {
        let id = try await revisedBatch()
        let accept = try await tollgate("batch", repository.path, "--accept", id, "--unit", "ch/low2.md")
        #expect(accept.status == 0, "\(accept)")
        #expect(try await git("diff", "--name-only", "HEAD~1", "HEAD") == "ch/low2.md")
        #expect(try await git("show", "HEAD:ch/low.md") == "low")
        await #expect(!(try git("log", "-1", "--format=%B").contains("Tollgate-Unit: ch/low.md")))
        let unknown = try await tollgate("batch", repository.path, "--accept", id, "--unit", "ch/nope.md")
        #expect(unknown.status == 64, "\(unknown)")
        #expect(unknown.stderr.contains("has no unit ch/nope.md"))
        let unrevised = try await tollgate("batch", repository.path, "--accept", id, "--unit", "ch/ship.md")
        #expect(unrevised.status == 64, "\(unrevised)")
        #expect(unrevised.stderr.contains("nothing to accept"))
        let norollback = try await tollgate("batch", repository.path, "--rollback", "nope")
        #expect(norollback.status == 64, "\(norollback)")
    }

    @Test(arguments: [
        (["batch", "REPO", "--critic", "x"], "batch needs the units: --files GLOB"),
        (["batch", "REPO", "--files", "ch/*.md"], "batch needs a critic: --critic CMD"),
        (
            ["batch", "REPO", "--files", "ch/*.md", "--critic", "x", "--jobs", "0"],
            "--jobs takes a whole number from 1 to 64, got '0'"
        ),
        (["batch", "REPO", "--files", "ch/*.md", "--critic", "x", "--jobs", "many"], "--jobs takes a whole number"),
        (["batch", "REPO", "--files", "*.py", "--critic", "x"], "no tracked file at HEAD matches --files *.py"),
        (["batch", "REPO", "--files", "/ch/*.md", "--critic", "x"], "is not a glob of repository paths"),
        (["batch", "NOREPO", "--files", "ch/*.md", "--critic", "x"], "is not a git repository"),
        (["batch", "REPO", "--resume", "nope"], "no batch nope in this repository"),
        (["batch", "REPO", "--accept", "nope"], "no batch nope in this repository"),
        (["batch", "REPO", "--accept", "a", "--rollback", "b"], "give one of --resume, --accept and --rollback"),
        (["batch", "REPO", "--unit", "x", "--resume", "b"], "--unit names the units --accept lands"),
        (["batch", "REPO", "--resume", "x", "--critic", "y"], "give no --files, --critic or --revise"),
        (
            ["batch", "REPO", "--files", "ch/*.md", "--critic", "x", "--set", "critique.threshold=7"],
            "--set takes budget.*, critique.reserve.*, agent.reserve.*, privacy.mode and telemetry.enabled"
        ),
        (
            ["batch", "REPO", "--files", "ch/*.md", "--critic", "x", "--set", "budget.tokens.hard=many"],
            "bad batch setting"
        ),
        (
            ["batch", "REPO", "--accept", "a", "--set", "budget.tokens.hard=9"],
            "give no --files, --critic, --revise, --jobs or --set"
        ),
    ])
    func usageErrorsExit64WithAMessageSayingWhatToDo(arguments: [String], message: String) async throws {
        let notRepository = directory.path("plain")
        try FileManager.default.createDirectory(at: notRepository, withIntermediateDirectories: true)
        let resolved = arguments.map {
            $0 == "REPO" ? repository.path : $0 == "NOREPO" ? notRepository.path : $0
        }
        let result = try await binary.run(resolved, directory: directory.url)
        #expect(result.status == 64, "\(result)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(try await git("branch", "--list", "batch/*").isEmpty, "a refused batch makes no branch")
    }
}
