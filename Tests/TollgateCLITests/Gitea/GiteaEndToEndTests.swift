import Foundation
import GiteaKit
import HTTPKit
import Testing
import TollgateTestSupport

/// A guided job reviewed on a Gitea-compatible server, driven through the built binary; the reviewers act through
/// the REST API with their own tokens.
@Suite(.runsProcesses)
struct GiteaEndToEndTests {
    let server: GiteaTestServer
    let job: CLIJob

    init() throws {
        server = try GiteaTestServer()
        job = try CLIJob("gitea-e2e")
    }

    var repo: RepoRef { RepoRef(owner: server.bot.login, name: "job") }
    var botEnvironment: [String: String] { ["TOLLGATE_GITEA_TOKEN": server.bot.token] }

    func client(_ account: GiteaTestServer.Account) -> GiteaClient {
        GiteaClient(baseURL: server.baseURL, token: account.token, transport: CurlTransport())
    }

    func initialize(extra: [String] = []) async throws -> ProcessResult {
        try await job.tollgate(
            [
                "init", job.path, "--review", "gitea", "--autonomy", "guided", "--agent", "tollgate example-agent",
                "--description", "Report", "--set", "gitea.url=\(server.baseURL.absoluteString)",
                "--set", "review.reviewers=alice",
            ] + extra,
            environment: botEnvironment
        )
    }

    func tollgate(_ arguments: String...) async throws -> ProcessResult {
        try await job.tollgate(arguments, environment: botEnvironment)
    }

    /// `git` in the server's bare repository.
    func remoteGit(_ arguments: String...) async throws -> String {
        try await GitCLI.run(arguments, in: server.bareRepositoryPath(owner: repo.owner, name: repo.name))
    }

    @Test func aGuidedJobIsReviewedAndSquashedOnGitea() async throws {
        defer { server.stop() }
        let created = try await initialize()
        #expect(created.status == 0, "\(created)")
        #expect(!created.stdout.contains(server.bot.token) && !created.stderr.contains(server.bot.token))

        // The repository is private: alice, no collaborator of it, cannot see it until Tollgate lets her in.
        let alice = client(server.alice)
        await #expect(throws: GiteaError.self) { try await alice.repository(repo) }
        let run = try await tollgate("run", job.path)
        #expect(run.status == 3, "\(run)")
        #expect(try await alice.collaboratorPermission(of: "alice", in: repo).level == .write)
        let first = try #require(try await alice.pullRequest(base: "main", head: "phase-1-strategic", in: repo))
        #expect(first.state == .open)
        #expect(
            try await alice.reviews(on: first.number, in: repo).contains {
                $0.state == .requestReview && $0.user?.login == "alice"
            }
        )
        // The state branch travels with the phase branches.
        let remoteState = try await remoteGit("rev-parse", "tollgate/state")
        await #expect((try? job.git("merge-base", "--is-ancestor", remoteState, "tollgate/state")) != nil)

        // Changes requested with inline comments on plan.md.
        _ = try await alice.createReview(
            CreatePullReviewOptions(
                event: .requestChanges,
                body: "Two things",
                comments: [
                    .init(path: "plan.md", body: "Name the audience", newLine: 3),
                    .init(path: "plan.md", body: "Say why", newLine: 1),
                ]
            ),
            on: first.number,
            in: repo
        )
        let revised = try await tollgate("resume", job.path)
        #expect(revised.status == 3, "\(revised)")
        #expect(try await job.status()["revision"] as? Int == 2)
        let plan = try await job.git("show", "phase-1-strategic:plan.md")
        #expect(plan.contains("Name the audience"))
        #expect(plan.contains("Say why"))
        let same = try #require(try await alice.pullRequest(base: "main", head: "phase-1-strategic", in: repo))
        #expect(same.number == first.number)
        await #expect(same.head.sha == (try job.git("rev-parse", "phase-1-strategic")))
        let reviews = try await alice.reviews(on: first.number, in: repo)
        #expect(reviews.last?.state == .requestReview, "review re-requested after the revision")

        // A reviewer's own commit on the branch is kept and credited.
        _ = try server.commit(
            ["notes.md": "from alice\n"],
            to: "phase-1-strategic",
            owner: repo.owner,
            name: repo.name,
            author: "alice",
            message: "Add notes"
        )
        let afterPush = try await tollgate("resume", job.path)
        #expect(afterPush.status == 3, "\(afterPush)")

        try await approve(first)
        let toFinal = try await tollgate("resume", job.path)
        #expect(toFinal.status == 3, "\(toFinal)")
        #expect(try await alice.isMerged(first.number, in: repo))
        // Guided autonomy lands the tactical phase without a review, so phase 1 is one of main's commits.
        let squash = try await remoteGit("log", "--format=%H", "--grep=^Phase 1 (strategic)", "main")
        #expect(squash.split(separator: "\n").count == 1)
        let landed = try await remoteGit("log", "-1", "--format=%B", squash)
        #expect(landed.hasPrefix("Phase 1 (strategic):"))
        #expect(landed.contains("Tollgate-Phase: 1-strategic"))
        #expect(landed.contains("Reviewed-by: alice"))
        #expect(landed.contains("Co-authored-by: alice"))
        #expect(try await remoteGit("rev-parse", "main") == (try job.git("rev-parse", "main")))
        #expect(try await remoteGit("branch", "--list", "phase-1-strategic").isEmpty)
        #expect(try await remoteGit("show", "main:notes.md").contains("from alice"))

        // Every later review point is approved until the job completes.
        var rounds = 0
        while try await job.status()["status"] as? String == "pending_review", rounds < 6 {
            rounds += 1
            let branch = try #require(try await job.status()["branch"] as? String)
            let pull = try #require(try await alice.pullRequest(base: "main", head: branch, in: repo))
            _ = try await alice.createReview(
                CreatePullReviewOptions(event: .approved, commitID: pull.head.sha),
                on: pull.number,
                in: repo
            )
            let next = try await tollgate("resume", job.path)
            #expect([0, 3].contains(next.status), "\(next)")
        }
        #expect(try await job.status()["status"] as? String == "completed")
        // Bob was never named as a reviewer: the repository stays invisible to him.
        let hidden = await #expect(throws: GiteaError.self) { try await client(server.bob).repository(repo) }
        #expect(hidden?.kind == .notFound)
        #expect(try await remoteGit("rev-parse", "main") == (try job.git("rev-parse", "main")))
        #expect(try await remoteGit("rev-parse", "tollgate/state") == (try job.git("rev-parse", "tollgate/state")))
        let log = try await job.git("log", "--format=%s", "main")
        #expect(log.components(separatedBy: "\n").filter { $0.hasPrefix("Phase ") }.count == 3)
    }

    @Test func aWrongTokenAtInitSaysSoAndLeavesNoJob() async throws {
        defer { server.stop() }
        let result = try await job.tollgate(
            [
                "init", job.path, "--review", "gitea", "--set", "gitea.url=\(server.baseURL.absoluteString)",
            ],
            environment: ["TOLLGATE_GITEA_TOKEN": "wrong-token-123"]
        )
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("token"))
        #expect(!result.stderr.contains("wrong-token-123"))
        await #expect((try? job.git("rev-parse", "--verify", "tollgate/state")) == nil)
    }

    @Test func anUnknownOwnerIsNamed() async throws {
        defer { server.stop() }
        let result = try await initialize(extra: ["--set", "gitea.owner=nobody-here"])
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("nobody-here"))
    }

    @Test func aReviewerGiteaDoesNotKnowIsNamedWithTheKeyToFix() async throws {
        defer { server.stop() }
        #expect(try await initialize(extra: ["--set", "review.reviewers=alice,nobody-here"]).status == 0)
        let run = try await tollgate("run", job.path)
        #expect(run.status == 1, "\(run)")
        #expect(run.stderr.contains("nobody-here") && run.stderr.contains("Check review.reviewers"), "\(run)")
        #expect(!run.stderr.contains("check the owner, repository"), "\(run)")
    }

    @Test func aServerThatIsDownIsNamed() async throws {
        let url = server.baseURL.absoluteString
        server.stop()
        let result = try await job.tollgate(
            ["init", job.path, "--review", "gitea", "--set", "gitea.url=\(url)"],
            environment: botEnvironment
        )
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("running and reachable"))
    }
}
