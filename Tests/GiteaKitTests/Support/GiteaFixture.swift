import Foundation
import GiteaKit
import HTTPKit
import TollgateTestSupport

/// A running test server, clients for its users, and a scratch clone for pushing branches.
final class GiteaFixture {
    let server: GiteaTestServer
    let sleeps = SleepRecorder()
    let scratch: URL

    /// Starts a server; its pull requests are checked for mergeability at once unless `mergeCheckDelay` says
    /// otherwise (this fixture's transport records its backoff instead of sleeping, so it could not wait).
    init(version: String = "1.26.3", mergeCheckDelay: Double = 0) throws {
        self.server = try GiteaTestServer(version: version, mergeCheckDelay: mergeCheckDelay)
        self.scratch = TemporaryDirectory.root
            .appendingPathComponent("gitea-fixture-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: self.scratch, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: self.scratch)
    }

    /// A transport whose backoff sleeps are recorded, not slept.
    func transport(retry: RetryPolicy = RetryPolicy()) -> CurlTransport {
        CurlTransport(
            configuration: .init(connectTimeout: .seconds(5), timeout: .seconds(30), retry: retry),
            sleep: self.sleeps.sleep
        )
    }

    /// A client for `account` on this server.
    func client(_ account: GiteaTestServer.Account, retry: RetryPolicy = RetryPolicy(), pageSize: Int = 50)
        -> GiteaClient
    {
        GiteaClient(
            baseURL: self.server.baseURL,
            token: account.token,
            transport: self.transport(retry: retry),
            pageSize: pageSize
        )
    }

    var bot: GiteaClient { self.client(self.server.bot) }
    var alice: GiteaClient { self.client(self.server.alice) }
    var bob: GiteaClient { self.client(self.server.bob) }

    /// Creates the private repository `name` for the bot with an initial commit on `main`, gives `collaborators`
    /// write access (as Tollgate gives its reviewers), and clones it into the scratch folder.
    func makeRepository(_ name: String = "job", collaborators: [String] = ["alice", "bob"]) async throws -> RepoRef {
        let repository = try await self.bot.createRepository(
            CreateRepositoryOptions(name: name, isPrivate: true, autoInit: true),
            organization: nil
        )
        for login in collaborators {
            try await self.bot.addCollaborator(login, level: .write, in: repository.ref)
        }
        let url = self.server.authenticatedRepositoryURL(
            owner: self.server.bot.login,
            name: name,
            account: self.server.bot
        )
        try await self.git(["clone", "-q", url.absoluteString, name])
        return repository.ref
    }

    /// Commits `files` on `branch` (created from `start` when new) in the clone and pushes it; returns the head.
    @discardableResult
    func push(_ files: [String: String], to branch: String, in repo: RepoRef, from start: String = "origin/main")
        async throws -> String
    {
        let clone = self.scratch.appendingPathComponent(repo.name)
        try await self.git(["fetch", "-q", "origin"], in: clone)
        let exists = await (try? self.git(["rev-parse", "--verify", "-q", "refs/heads/\(branch)"], in: clone)) != nil
        if exists {
            try await self.git(["checkout", "-q", branch], in: clone)
        } else {
            try await self.git(["checkout", "-q", "-b", branch, start], in: clone)
        }
        for (path, content) in files {
            let file = clone.appendingPathComponent(path)
            try FileManager.default.createDirectory(
                at: file.deletingLastPathComponent(),
                withIntermediateDirectories: true
            )
            try content.write(to: file, atomically: true, encoding: .utf8)
        }
        try await self.git(["add", "-A"], in: clone)
        try await self.git(["commit", "-q", "-m", "Change \(files.keys.sorted().joined(separator: ", "))"], in: clone)
        try await self.git(["push", "-q", "origin", "\(branch):\(branch)"], in: clone)
        return try await self.git(["rev-parse", "HEAD"], in: clone)
    }

    /// Pushes a branch with one file and opens a pull request from it into `main` as the bot.
    func openPullRequest(in repo: RepoRef, branch: String = "phase-1-strategic", files: [String: String]? = nil)
        async throws -> PullRequest
    {
        try await self.push(files ?? ["plan.md": "# Plan\n\nline two\nline three\n"], to: branch, in: repo)
        return try await self.bot.createPullRequest(
            CreatePullRequestOptions(head: branch, base: "main", title: "Phase 1 (strategic)", body: "The plan."),
            in: repo
        )
    }

    /// Runs git in the scratch folder (or `directory`).
    @discardableResult
    func git(_ arguments: [String], in directory: URL? = nil) async throws -> String {
        try await GitCLI.run(arguments, in: directory ?? self.scratch)
    }

    /// Runs git against the server's bare repository for `repo`.
    func bareGit(_ arguments: [String], repo: RepoRef) async throws -> String {
        let path = self.server.bareRepositoryPath(owner: repo.owner, name: repo.name)
        return try await GitCLI.run(["--git-dir", path.path] + arguments, in: self.scratch)
    }
}
