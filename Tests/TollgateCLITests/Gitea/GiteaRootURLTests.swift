import Foundation
import GiteaKit
import HTTPKit
import Testing
import TollgateTestSupport

/// A Gitea whose ROOT_URL is not the address Tollgate reaches it at (a container's `localhost:3000`, a reverse proxy):
/// git and links go to `gitea.url`, and `init` says the two disagree.
@Suite(.runsProcesses, .serialized)
struct GiteaRootURLTests {
    /// An address nothing answers at: `.invalid` never resolves.
    static let wrongRoot = "http://gitea.invalid:3000/"

    let server: GiteaTestServer
    let job: CLIJob

    init() throws {
        server = try GiteaTestServer(rootURL: Self.wrongRoot)
        job = try CLIJob("gitea-root-url")
    }

    @Test func gitGoesToTheConfiguredServerAndInitSaysWhereGiteaThinksItIs() async throws {
        defer { server.stop() }
        let environment = ["TOLLGATE_GITEA_TOKEN": server.bot.token]
        let repo = RepoRef(owner: server.bot.login, name: "job")
        let created = try await job.tollgate(
            [
                "init", job.path, "--review", "gitea", "--agent", "tollgate example-agent",
                "--set", "gitea.url=\(server.baseURL.absoluteString)", "--set", "review.reviewers=alice",
            ],
            environment: environment
        )
        #expect(created.status == 0, "\(created)")
        #expect(created.stderr.contains("warning: Gitea reports its address as \(Self.wrongRoot)"), "\(created)")
        #expect(created.stderr.contains("gitea.url is \(server.baseURL.absoluteString)"), "\(created)")
        #expect(created.stderr.contains("ROOT_URL"), "\(created)")
        let bot = GiteaClient(baseURL: server.baseURL, token: server.bot.token, transport: CurlTransport())
        #expect(try await bot.repository(repo).cloneURL.hasPrefix(Self.wrongRoot))
        #expect(
            try await job.git("remote", "get-url", "origin")
                == server.repositoryURL(owner: repo.owner, name: repo.name).absoluteString
        )

        let run = try await job.tollgate(["run", job.path], environment: environment)
        #expect(run.status == 3, "\(run)")
        let bare = server.bareRepositoryPath(owner: repo.owner, name: repo.name)
        #expect(
            try await GitCLI.run(["rev-parse", "phase-1-strategic"], in: bare)
                == (try job.git("rev-parse", "phase-1-strategic"))
        )
        let review = try #require(try await job.status()["review"] as? [String: Any])
        #expect(review["url"] as? String == server.baseURL.absoluteString + "\(repo.owner)/\(repo.name)/pulls/1")
    }
}
