import Foundation
import Testing
import TollgateTestSupport

/// `tollgate watch ROOT --once` over jobs on the local host: a job with a verdict is resumed, a job whose state
/// cannot be read is named instead of skipped in silence, and a folder that is no job is left alone.
@Suite(.runsProcesses)
struct WatchCommandTests {
    @Test func aBrokenJobIsNamedAndTheOthersAreStillResumed() async throws {
        let job = try CLIJob("watch-local")
        try await job.initialize(["--autonomy", "guided", "--agent", "tollgate example-agent"])
        #expect(try await job.tollgate("run", job.path).status == 3)
        try await job.tollgate("review", job.path, "approve", "--as", "ann")

        let broken = job.directory.path("broken")
        let created = try await job.tollgate(
            "init",
            broken.path,
            "--autonomy",
            "full",
            "--agent",
            "tollgate example-agent"
        )
        #expect(created.status == 0, "\(created)")
        try await GitCLI.run(["checkout", "-q", "tollgate/state"], in: broken)
        try Data("{ not json".utf8).write(to: broken.appendingPathComponent("job.json"))
        try await GitCLI.run(["commit", "-qam", "Break the state"], in: broken)
        try await GitCLI.run(["checkout", "-q", "main"], in: broken)
        try FileManager.default.createDirectory(at: job.directory.path("notes"), withIntermediateDirectories: true)

        let watch = try await job.tollgate("watch", job.directory.url.path, "--once")
        #expect(watch.status == 0, "one of two jobs went on: \(watch)")
        #expect(watch.stdout.contains("broken: cannot be read"), "\(watch.stdout)")
        #expect(watch.stdout.contains("job.json"), "the cause is named: \(watch.stdout)")
        #expect(watch.stdout.contains("job: "), "\(watch.stdout)")
        #expect(!watch.stdout.contains("notes"))
        await #expect((try job.status()["phase"] as? Int ?? 0) > 1, "the approved phase landed and the job went on")
        #expect(try await job.git("rev-list", "--count", "main") != "1", "the approved plan was merged")
    }
}
