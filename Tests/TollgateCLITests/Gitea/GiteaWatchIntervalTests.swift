import Foundation
import Testing
import TollgateTestSupport

/// `tollgate watch` paces its rounds by the jobs' `gitea.pollIntervalSeconds` unless `--interval` is given.
@Suite(.runsProcesses)
struct GiteaWatchIntervalTests {
    /// Runs `watch` over a root holding one job (poll interval 1 s) for `seconds`, then kills it; returns its rounds.
    func rounds(_ extra: [String], for seconds: Double) async throws -> Int {
        let job = try CLIJob("watch-interval")
        try await job.initialize(["--agent", "tollgate example-agent", "--set", "gitea.pollIntervalSeconds=1"])
        let watched = try await job.tollgate(["watch", job.directory.url.path] + extra, timeout: seconds)
        #expect(watched.timedOut, "watch ends only when killed: \(watched)")
        return watched.stdout.split(separator: "\n").filter { $0.hasPrefix("no job under ") }.count
    }

    @Test func watchWaitsTheSmallestPollIntervalOfItsJobsUnlessAnIntervalIsGiven() async throws {
        let paced = try await rounds([], for: 3.5)
        #expect((3...5).contains(paced), "rounds 1 s apart in 3.5 s: \(paced)")
        let explicit = try await rounds(["--interval", "60"], for: 2)
        #expect(explicit == 1, "--interval 60 wins over the jobs' 1 s: \(explicit)")
    }
}
