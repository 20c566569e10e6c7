import Foundation
import GiteaKit
import HTTPKit
import Testing
import TollgateTestSupport

/// DESIGN §10 on the Gitea stand-in, through the binary: the example agent's plan is dispatched as tasks, the gates
/// run after them, the pull request shows the plan as a checklist and its head carries a commit status a gate and
/// one for the whole.
@Suite(.runsProcesses, .timeLimit(.minutes(10)))
struct GiteaDispatchTests {
    @Test func aDispatchedPhaseIsReviewedWithItsPlanAndGateStatuses() async throws {
        let server = try GiteaTestServer()
        defer { server.stop() }
        let job = try CLIJob("gitea-dispatch")
        let environment = ["TOLLGATE_GITEA_TOKEN": server.bot.token]
        let repo = RepoRef(owner: server.bot.login, name: "job")
        let alice = GiteaClient(baseURL: server.baseURL, token: server.alice.token, transport: CurlTransport())
        let created = try await job.tollgate(
            [
                "init", job.path, "--review", "gitea", "--autonomy", "dependent", "--agent", "tollgate example-agent",
                "--set", "gitea.url=\(server.baseURL.absoluteString)", "--set", "review.reviewers=alice",
                "--set", "dispatch.maxParallel=2", "--set",
                #"verify.gates=[{"name":"outputs","command":"test -d outputs"},{"name":"diff-check","command":"git diff --check HEAD~1"}]"#,
            ],
            environment: environment
        )
        #expect(created.status == 0, "\(created)")
        #expect(try await job.tollgate(["run", job.path], environment: environment).status == 3)
        let first = try #require(try await alice.pullRequest(base: "main", head: "phase-1-strategic", in: repo))
        _ = try await alice.createReview(
            CreatePullReviewOptions(event: .approved, commitID: first.head.sha),
            on: first.number,
            in: repo
        )
        let dispatched = try await job.tollgate(["resume", job.path], environment: environment, timeout: 120)
        #expect(dispatched.status == 3, "\(dispatched)")

        let pull = try #require(try await alice.pullRequest(base: "main", head: "phase-2-tactical", in: repo))
        let body = pull.body ?? ""
        #expect(body.contains("### Plan ("), "\(body)")
        #expect(body.contains("### Gates (2/2 passed)"), "\(body)")
        let combined = try await alice.combinedStatus(of: pull.head.sha, in: repo)
        let contexts = Dictionary(combined.statuses.map { ($0.context, $0.state) }, uniquingKeysWith: { a, _ in a })
        #expect(
            contexts == [
                "tollgate/gate/outputs": .success, "tollgate/gate/diff-check": .success, "tollgate/verify": .success,
            ]
        )
        #expect(combined.state == .success)
        let status = try await job.status()
        let plan = try #require(status["plan"] as? [String: Any])
        #expect(plan["status"] as? String == "verified")
        #expect((plan["tasks"] as? [[String: Any]])?.count ?? 0 >= 2)
    }
}
