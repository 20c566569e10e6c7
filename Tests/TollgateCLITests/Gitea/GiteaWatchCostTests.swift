import Foundation
import GiteaKit
import Testing
import TollgateTestSupport

/// What a `tollgate watch --once` round over idle jobs costs Gitea: per job only what depends on the job (its pull
/// request, reviews and comments), plus one `GET /user` for the round, whose answer is the same for every job.
extension GiteaEndToEndTests {
    @Test func aWatchRoundOverIdleJobsAsksWhoTheTokenIsOnce() async throws {
        defer { server.stop() }
        let root = job.directory.url
        let names = ["job-a", "job-b", "job-c"]
        for name in names {
            let created = try await job.tollgate(
                [
                    "init", root.appendingPathComponent(name).path, "--review", "gitea", "--autonomy", "guided",
                    "--agent", "tollgate example-agent", "--description", "Report",
                    "--set", "gitea.url=\(server.baseURL.absoluteString)", "--set", "review.reviewers=alice",
                ],
                environment: botEnvironment
            )
            #expect(created.status == 0, "\(created)")
            let run = try await job.tollgate(
                ["run", root.appendingPathComponent(name).path],
                environment: botEnvironment
            )
            #expect(run.status == 3, "\(run)")
        }

        try server.resetRequestLog()
        let watched = try await job.tollgate(["watch", root.path, "--once"], environment: botEnvironment)
        #expect(watched.status == 0, "\(watched)")
        #expect(watched.stdout.split(separator: "\n").filter { $0.contains("awaiting review") }.count == 3)
        let requests = try server.requests().map { "\($0.method) \($0.path)" }
        #expect(requests.filter { $0 == "GET /api/v1/user" }.count == 1, "\(requests)")
        for name in names {
            let api = "/api/v1/repos/\(server.bot.login)/\(name)"
            let own = requests.filter { $0.contains(api + "/") }
            #expect(
                own == ["GET \(api)/pulls/1", "GET \(api)/pulls/1/reviews", "GET \(api)/issues/1/comments"],
                "\(requests)"
            )
        }
        // 1 + 3 N: the bench reports this as requests per idle job per round.
        #expect(requests.count == 1 + 3 * names.count, "\(requests)")
    }
}
