import Foundation
import Testing
import TollgateCLI
import TollgateTestSupport

/// The built executable, driven as a user drives it: the commands, their output and their exit statuses.
@Suite(.runsProcesses)
struct BinaryTests {
    @Test func aGuidedJobGoesFromInitToCompletedThroughReviews() async throws {
        let job = try CLIJob("cli-e2e")
        let created = try await job.tollgate(
            "init",
            job.path,
            "--autonomy",
            "guided",
            "--agent",
            "tollgate example-agent",
            "--description",
            "Report"
        )
        #expect(created.status == 0, "\(created)")
        #expect(created.stdout.contains("created job job"))
        #expect(created.stdout.contains("tollgate run \(job.path)"))
        #expect(try await job.status()["status"] as? String == "created")

        let run = try await job.tollgate("run", job.path)
        #expect(run.status == 3, "\(run)")
        #expect(run.stdout.contains("frozen awaiting review"))
        #expect(run.stdout.contains("tollgate review \(job.path) approve"))

        let status = try await job.status()
        #expect(status["status"] as? String == "pending_review")
        #expect(status["phase"] as? Int == 1)
        #expect(status["phaseType"] as? String == "strategic")
        #expect(status["revision"] as? Int == 1)
        #expect(status["branch"] as? String == "phase-1-strategic")
        #expect(status["autonomy"] as? String == "guided")
        let review = try #require(status["review"] as? [String: Any])
        #expect(review["host"] as? String == "local")
        #expect(review["id"] as? Int == 1)
        #expect((review["path"] as? String)?.isEmpty == false)
        await #expect(review["head"] as? String == (try job.git("rev-parse", "phase-1-strategic")))

        // A second run while frozen does nothing and says so.
        let again = try await job.tollgate("run", job.path)
        #expect(again.status == 3)
        #expect(again.stdout.contains("frozen awaiting review"))

        let changes = try await job.tollgate(
            "review",
            job.path,
            "request-changes",
            "--comment",
            "plan.md:3:Name the audience",
            "--as",
            "ann"
        )
        #expect(changes.status == 0, "\(changes)")
        #expect(changes.stdout.contains("requested changes"))
        let revised = try await job.tollgate("resume", job.path)
        #expect(revised.status == 3, "\(revised)")
        #expect(try await job.status()["revision"] as? Int == 2)
        #expect(try await job.git("show", "phase-1-strategic:plan.md").contains("Name the audience"))

        #expect(try await job.tollgate("review", job.path, "approve", "--as", "ann").status == 0)
        let toFinal = try await job.tollgate("resume", job.path)
        #expect(toFinal.status == 3, "\(toFinal)")
        let final = try await job.status()
        #expect(final["phase"] as? Int == 3)
        #expect((final["freezeReason"] as? String)?.contains("final review") == true)

        #expect(try await job.tollgate("review", job.path, "approve", "--as", "bob").status == 0)
        let done = try await job.tollgate("resume", job.path)
        #expect(done.status == 0, "\(done)")
        #expect(done.stdout.contains("job completed"))
        let completed = try await job.status()
        #expect(completed["status"] as? String == "completed")
        #expect(completed["review"] is NSNull)
        #expect(completed["mergedPhases"] as? Int == 3)

        // After the end, run and resume say the job is done and exit 0.
        #expect(try await job.tollgate("run", job.path).status == 0)

        let events = try await job.events()
        #expect(events.map { $0["seq"] as? Int } == (1...events.count).map { $0 })
        #expect(events.last?["type"] as? String == "job.completed")
        let text = try await job.tollgate("log", job.path)
        #expect(text.status == 0)
        #expect(text.stdout.contains("job.completed"))
        let config = try await job.tollgate("config", job.path)
        #expect(config.status == 0)
        #expect(config.stdout.contains("autonomy"))
        #expect(config.stdout.contains("--autonomy"))
    }

    @Test func aStaleApprovalIsNotMergedAndStatusSaysTheReviewWasAskedAgain() async throws {
        let job = try CLIJob("cli-stale")
        try await job.initialize(["--autonomy", "guided", "--agent", "tollgate example-agent"])
        #expect(try await job.tollgate("run", job.path).status == 3)

        // Nothing decided yet: exit 3 and where the review is.
        let undecided = try await job.tollgate("resume", job.path)
        #expect(undecided.status == 3, "\(undecided)")
        #expect(undecided.stdout.contains("no verdict yet"))
        #expect(undecided.stdout.contains("tollgate/state:reviews.json#1"))

        #expect(try await job.tollgate("review", job.path, "approve", "--as", "ann").status == 0)
        try Data("A reviewer's note.\n".utf8).write(to: job.root.appendingPathComponent("note.md"))
        let rita = (name: "Rita Reviewer", email: "rita@example.com")
        try await GitCLI.run(["add", "note.md"], in: job.root, author: rita)
        try await GitCLI.run(["commit", "-q", "-m", "A note"], in: job.root, author: rita)
        let head = try await job.git("rev-parse", "HEAD")

        let stale = try await job.tollgate("resume", job.path)
        #expect(stale.status == 3, "\(stale)")
        #expect(stale.stdout.contains("older commit"))
        #expect(try await job.git("log", "--format=%s", "main").contains("Phase 1") == false)
        let status = try await job.status()
        #expect(status["status"] as? String == "pending_review")
        #expect((status["review"] as? [String: Any])?["head"] as? String == head)
        // A user who looks later must see that the review was asked again for the new head.
        let text = try await job.tollgate("status", job.path)
        #expect(
            text.stdout.contains("re-requested") || text.stdout.contains("asked again"),
            "status does not say the review was re-requested:\n\(text.stdout)"
        )

        #expect(try await job.tollgate("review", job.path, "approve", "--as", "ann").status == 0)
        #expect(try await job.tollgate("resume", job.path).status == 3)
        let squash = try await job.git("log", "--format=%B", "--grep=Tollgate-Phase: 1-strategic", "main")
        #expect(squash.contains("Co-authored-by: Rita Reviewer <rita@example.com>"))
        #expect(squash.contains("Reviewed-by: ann"))
    }

    @Test func statusAndLogWorkOnACloneAndSayHowToContinue() async throws {
        let job = try CLIJob("cli-clone")
        try await job.initialize(["--autonomy", "guided", "--agent", "tollgate example-agent"])
        #expect(try await job.tollgate("run", job.path).status == 3)
        let clone = job.directory.path("clone")
        try await GitCLI.run(["clone", "--quiet", job.path, clone.path], in: job.directory.url)
        let status = try await job.tollgate("status", clone.path)
        #expect(status.status == 0, "\(status)")
        #expect(status.stdout.contains("pending_review") && status.stdout.contains("a clone"), "\(status.stdout)")
        #expect(status.stdout.contains("git branch tollgate/state origin/tollgate/state"))
        let log = try await job.tollgate("log", clone.path, "--json")
        #expect(log.status == 0, "\(log)")
        await #expect(log.stdout == (try job.tollgate("log", job.path, "--json")).stdout)
        #expect(log.stdout.split(separator: "\n").count > 5)
    }

    @Test func aJobThatReachesMaxPhasesFails() async throws {
        let job = try CLIJob("cli-max-phases")
        try await job.initialize(["--autonomy", "full", "--agent", "tollgate example-agent", "--set", "maxPhases=2"])
        let result = try await job.tollgate("run", job.path)
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("maxPhases (2)"))
        let status = try await job.status()
        #expect(status["status"] as? String == "failed")
        #expect(status["mergedPhases"] as? Int == 2)
        // Nothing more runs on a rerun.
        let again = try await job.tollgate("run", job.path)
        #expect(again.status == 1)
        #expect(try await job.git("rev-list", "--count", "main") == "3")
        // Raised, the job goes on from where it stopped.
        let raised = try await job.tollgate("config", job.path, "--set", "maxPhases=5")
        #expect(raised.status == 0, "\(raised)")
        let goesOn = try await job.tollgate("run", job.path)
        #expect(goesOn.status == 0, "\(goesOn)")
        #expect(try await job.status()["status"] as? String == "completed")
        #expect(goesOn.stdout.components(separatedBy: "job completed").count == 2, "said once: \(goesOn.stdout)")
    }

    @Test func theDemoCompletesAJob() async throws {
        let job = try CLIJob("cli-demo")
        let demo = try await job.tollgate("demo", job.path, timeout: 120)
        #expect(demo.status == 0, "\(demo)")
        #expect(try await job.status()["status"] as? String == "completed")
        #expect(try await job.git("branch", "--list", "phase-*").isEmpty)
        // The critique loop shows: a first plan below the threshold, a revision, a plan that ships, on main.
        #expect(demo.stdout.contains("critique did not ship"), "\(demo.stdout)")
        #expect(demo.stdout.contains("critique shipped"))
        #expect(try await job.git("show", "main:critique/phase-1/rev-1/summary.json").contains("\"shipped\""))
        // Not twice in the same directory.
        let again = try await job.tollgate("demo", job.path)
        #expect(again.status == 64)
        #expect(again.stderr.contains("not empty"))
    }

    @Test(arguments: Invocation.commands)
    func everyCommandHasHelp(_ command: String) async throws {
        let binary = try TollgateBinary()
        let help = try await binary.run([command, "--help"])
        #expect(help.status == 0, "\(help)")
        #expect(help.stdout.contains("USAGE: tollgate \(command)"))
        let topic = try await binary.run(["help", command])
        #expect(topic.stdout == help.stdout)
    }

    @Test func theOverviewListsEveryCommandAndTheExitStatuses() async throws {
        let binary = try TollgateBinary()
        for arguments in [["--help"], []] {
            let help = try await binary.run(arguments)
            #expect(help.status == 0)
            for command in Invocation.commands { #expect(help.stdout.contains("  \(command)")) }
            #expect(help.stdout.contains("64 usage"))
        }
    }

    @Test func anUnknownCommandIsAUsageError() async throws {
        let result = try await TollgateBinary().run(["frobnicate", "x"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("unknown command 'frobnicate'"))
        #expect(result.stdout.isEmpty)
    }
}
