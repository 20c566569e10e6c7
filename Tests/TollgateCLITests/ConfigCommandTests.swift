import Foundation
import Testing
import TollgateTestSupport

/// `tollgate config DIR --set KEY=VALUE`: an existing job's settings change, the change is recorded, and the next
/// command follows it; what cannot change is refused with the reason and nothing is touched.
struct ConfigCommandTests {
    func guidedJob(_ label: String) throws -> CLIJob {
        let job = try CLIJob(label)
        try job.initialize(["--autonomy", "guided", "--agent", "tollgate example-agent", "--description", "Config"])
        return job
    }

    @Test func raisingTheAutonomyOfAFrozenJobLetsTheRestRunWithoutReview() throws {
        let job = try guidedJob("config-autonomy")
        #expect(try job.tollgate("run", job.path).status == 3)
        try job.tollgate("review", job.path, "approve", "--as", "ann")

        let set = try job.tollgate("config", job.path, "--set", "autonomy=full", "--set", "agent.timeoutSeconds=900")
        #expect(set.status == 0, "\(set)")
        #expect(set.stdout.contains("set autonomy: \"guided\" -> \"full\""), "\(set.stdout)")
        #expect(set.stdout.contains("set agent.timeoutSeconds:"))
        let shown = try job.tollgate("config", job.path).stdout
        let line = try #require(shown.split(separator: "\n").first { $0.hasPrefix("autonomy ") })
        #expect(line.contains("\"full\"") && line.contains("(config --set)"), "\(line)")
        #expect(try job.status()["autonomy"] as? String == "full")

        // The review that was open still decides phase 1; the later phases no longer freeze.
        let resumed = try job.tollgate("resume", job.path)
        #expect(resumed.status == 0, "\(resumed)")
        #expect(try job.status()["status"] as? String == "completed")
        let changed = try job.events().filter { $0["type"] as? String == "config.changed" }
        #expect(changed.count == 1)
        #expect((changed.first?["data"] as? [String: Any])?["autonomy"] as? String == "\"full\"")
    }

    @Test func theSameValueAgainChangesNothingAndRecordsNothing() throws {
        let job = try guidedJob("config-same")
        let before = try job.git("rev-parse", "tollgate/state")
        let same = try job.tollgate("config", job.path, "--set", "autonomy=guided")
        #expect(same.status == 0, "\(same)")
        #expect(same.stdout.contains("nothing changed"))
        #expect(try job.git("rev-parse", "tollgate/state") == before)
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
    func whatCannotChangeIsRefusedAndNothingMoves(_ refusal: Refusal) throws {
        let job = try guidedJob("config-refused")
        let before = try job.git("rev-parse", "tollgate/state")
        let result = try job.tollgate("config", job.path, "--set", refusal.assignment)
        #expect(result.status == 64, "\(result)")
        for word in refusal.words {
            #expect(result.stderr.contains(word), "'\(word)' missing from: \(result.stderr)")
        }
        #expect(try job.git("rev-parse", "tollgate/state") == before)
    }

    @Test func aCompletedJobKeepsItsSettings() throws {
        let job = try CLIJob("config-completed")
        try job.initialize(["--autonomy", "full", "--agent", "tollgate example-agent"])
        #expect(try job.tollgate("run", job.path).status == 0)
        let result = try job.tollgate("config", job.path, "--set", "agent.timeoutSeconds=5")
        // The job's state refuses it, not the command line: exit 1, not 64.
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("completed"))
    }
}
