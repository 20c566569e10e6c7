import Foundation
import Testing
import TollgateTestSupport

/// `tollgate config DIR --set KEY=VALUE`: an existing job's settings change, the change is recorded, and the next
/// command follows it; what cannot change is refused with the reason and nothing is touched.
@Suite(.runsProcesses)
struct ConfigCommandTests {
    func guidedJob(_ label: String) async throws -> CLIJob {
        let job = try CLIJob(label)
        try await job.initialize([
            "--autonomy", "guided", "--agent", "tollgate example-agent", "--description", "Config",
        ])
        return job
    }

    @Test func raisingTheAutonomyOfAFrozenJobLetsTheRestRunWithoutReview() async throws {
        let job = try await guidedJob("config-autonomy")
        #expect(try await job.tollgate("run", job.path).status == 3)
        try await job.tollgate("review", job.path, "approve", "--as", "ann")

        let set = try await job.tollgate(
            "config",
            job.path,
            "--set",
            "autonomy=full",
            "--set",
            "agent.timeoutSeconds=900"
        )
        #expect(set.status == 0, "\(set)")
        #expect(set.stdout.contains("set autonomy: \"guided\" -> \"full\""), "\(set.stdout)")
        #expect(set.stdout.contains("set agent.timeoutSeconds:"))
        let shown = try await job.tollgate("config", job.path).stdout
        let line = try #require(shown.split(separator: "\n").first { $0.hasPrefix("autonomy ") })
        #expect(line.contains("\"full\"") && line.contains("(config --set)"), "\(line)")
        #expect(try await job.status()["autonomy"] as? String == "full")

        // The review that was open still decides phase 1; the later phases no longer freeze.
        let resumed = try await job.tollgate("resume", job.path)
        #expect(resumed.status == 0, "\(resumed)")
        #expect(try await job.status()["status"] as? String == "completed")
        let changed = try await job.events().filter { $0["type"] as? String == "config.changed" }
        #expect(changed.count == 1)
        #expect((changed.first?["data"] as? [String: Any])?["autonomy"] as? String == "\"full\"")
    }

    /// A `TOLLGATE_CRITIQUE_*` variable is a layer like any other: `config` shows it as the value's source, and a
    /// run stores it with the job and records it, so the job says what its critiques ran with.
    @Test func aCritiqueVariableIsShownAsTheSourceAndRecordedByTheRun() async throws {
        let job = try await guidedJob("config-environment")
        let environment = ["TOLLGATE_CRITIQUE_THRESHOLD": "7.5"]
        func thresholdLine(_ output: String) -> String? {
            output.split(separator: "\n").first { $0.hasPrefix("critique.threshold ") }.map(String.init)
        }
        let before = try await job.git("rev-parse", "tollgate/state")
        let shown = try await job.tollgate("config", job.path, environment: environment)
        let line = try #require(thresholdLine(shown.stdout), "\(shown)")
        #expect(line.contains("7.5") && line.contains("(TOLLGATE_CRITIQUE_THRESHOLD)"), "\(line)")
        #expect(try await job.git("rev-parse", "tollgate/state") == before, "showing records nothing")
        let plain = try await #require(thresholdLine(try job.tollgate("config", job.path).stdout))
        #expect(plain.contains("8.0") && !plain.contains("TOLLGATE_"), "\(plain)")

        #expect(try await job.tollgate("run", job.path, environment: environment).status == 3)
        let changed = try await job.events().filter { $0["type"] as? String == "config.changed" }
        let data = try #require(changed.first?["data"] as? [String: Any])
        #expect(changed.count == 1)
        #expect(data["critique.threshold"] as? String == "7.5")
        #expect(data["source"] as? String == "TOLLGATE_CRITIQUE_THRESHOLD")
        // Stored with the job: without the variable, the job keeps what it ran with.
        let kept = try await #require(thresholdLine(try job.tollgate("config", job.path).stdout))
        #expect(kept.contains("7.5") && kept.contains("(TOLLGATE_CRITIQUE_THRESHOLD)"), "\(kept)")
    }

    @Test func theSameValueAgainChangesNothingAndRecordsNothing() async throws {
        let job = try await guidedJob("config-same")
        let before = try await job.git("rev-parse", "tollgate/state")
        let same = try await job.tollgate("config", job.path, "--set", "autonomy=guided")
        #expect(same.status == 0, "\(same)")
        #expect(same.stdout.contains("nothing changed"))
        #expect(try await job.git("rev-parse", "tollgate/state") == before)
    }

    struct Refusal: Sendable, CustomStringConvertible {
        var assignment: String
        var words: [String]
        var description: String { assignment }
    }

    static let refusals = [
        Refusal(assignment: "review.host=gitea", words: ["review.host", "fixed when the job is created"]),
        Refusal(assignment: "gitea.owner=someone", words: ["gitea.owner", "fixed"]),
        Refusal(assignment: "agent.timeoutSecond=5", words: ["agent.timeoutSecond", "agent.timeoutSeconds"]),
        Refusal(assignment: "autonomy=sometimes", words: ["autonomy", "sometimes"]),
        Refusal(assignment: "novalue", words: ["KEY=VALUE"]),
    ]

    @Test(arguments: refusals)
    func whatCannotChangeIsRefusedAndNothingMoves(_ refusal: Refusal) async throws {
        let job = try await guidedJob("config-refused")
        let before = try await job.git("rev-parse", "tollgate/state")
        let result = try await job.tollgate("config", job.path, "--set", refusal.assignment)
        #expect(result.status == 64, "\(result)")
        for word in refusal.words {
            #expect(result.stderr.contains(word), "'\(word)' missing from: \(result.stderr)")
        }
        #expect(try await job.git("rev-parse", "tollgate/state") == before)
    }

    @Test func aCompletedJobKeepsItsSettings() async throws {
        let job = try CLIJob("config-completed")
        try await job.initialize(["--autonomy", "full", "--agent", "tollgate example-agent"])
        #expect(try await job.tollgate("run", job.path).status == 0)
        let result = try await job.tollgate("config", job.path, "--set", "agent.timeoutSeconds=5")
        // The job's state refuses it, not the command line: exit 1, not 64.
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("completed"))
    }
}
