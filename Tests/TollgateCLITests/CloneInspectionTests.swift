import Foundation
import Testing
import TollgateTestSupport

/// DESIGN §6 and §7: a `git clone` of a job shows the whole job: `status` and `log` read it (exit 0), every head a
/// reviewer saw is in it, and commands that would change the job say where it goes on instead.
@Suite(.runsProcesses)
struct CloneInspectionTests {
    @Test func aCloneShowsTheWholeJobAndEveryReviewedRevision() async throws {
        let job = try CLIJob("clone-inspect")
        try await job.initialize(["--autonomy", "guided", "--agent", "tollgate example-agent"])
        #expect(try await job.tollgate("run", job.path).status == 3)
        let first = try await job.git("rev-parse", "phase-1-strategic")
        #expect(
            try await job.tollgate(
                "review",
                job.path,
                "request-changes",
                "--comment",
                "plan.md:1:Say why",
                "--as",
                "ann"
            )
            .status == 0
        )
        #expect(try await job.tollgate("resume", job.path).status == 3)
        let second = try await job.git("rev-parse", "phase-1-strategic")
        #expect(first != second)
        #expect(try await job.tollgate("review", job.path, "approve", "--as", "ann").status == 0)
        #expect(try await job.tollgate("resume", job.path).status == 3)
        #expect(try await job.tollgate("review", job.path, "approve", "--as", "bob").status == 0)
        #expect(try await job.tollgate("resume", job.path).status == 0)

        let clone = job.directory.path("clone")
        try await GitCLI.run(["clone", "-q", job.path, clone.path], in: job.directory.url)
        // Both reviewed revisions of phase 1 are in the clone, though their branch is gone.
        for head in [first, second] {
            #expect(try await GitCLI.run(["cat-file", "-t", head], in: clone) == "commit")
        }
        let status = try await job.tollgate("status", clone.path)
        #expect(status.status == 0, "\(status)")
        #expect(status.stdout.contains("completed (a clone: read from origin/tollgate/state)"))
        let log = try await job.tollgate("log", clone.path)
        #expect(log.status == 0, "\(log)")
        #expect(log.stdout.contains("job.completed"))
        let json = try await job.tollgate("status", clone.path, "--json")
        #expect(json.stdout.contains("\"status\":\"completed\""))
        // Changing the job from the clone is refused, saying where it goes on; init does not make a second job.
        for command in [["run", clone.path], ["resume", clone.path], ["init", clone.path]] {
            let refused = try await job.tollgate(command)
            #expect(refused.status == 1, "\(command): \(refused)")
            #expect(refused.stderr.contains("is a clone of a job"), "\(refused.stderr)")
        }
    }
}
