import Foundation
import GiteaKit
import Testing
import TollgateTestSupport

/// git smart HTTP against the emulator: the token is the password, and pushes update open pull requests.
@Suite(.runsProcesses, .timeLimit(.minutes(10)))
struct GitPushOverHTTPTests {
    @Test func pushesWithTheTokenAndRefusesWithout() async throws {
        let fixture = try GiteaFixture()
        let repo = try await fixture.makeRepository()
        let clone = fixture.scratch.appendingPathComponent(repo.name)
        try "work\n".write(to: clone.appendingPathComponent("work.txt"), atomically: true, encoding: .utf8)
        try await fixture.git(["add", "work.txt"], in: clone)
        try await fixture.git(["commit", "-q", "-m", "Work"], in: clone)
        let head = try await fixture.git(["rev-parse", "HEAD"], in: clone)

        let anonymous = fixture.server.repositoryURL(owner: repo.owner, name: repo.name).absoluteString
        await #expect(throws: (any Error).self) {
            try await fixture.git(["push", "-q", anonymous, "HEAD:refs/heads/anon"], in: clone)
        }
        let wrong = fixture.server.authenticatedRepositoryURL(
            owner: repo.owner,
            name: repo.name,
            account: .init(login: "tollgate-bot", token: "not-a-token")
        )
        await #expect(throws: (any Error).self) {
            try await fixture.git(["push", "-q", wrong.absoluteString, "HEAD:refs/heads/bad"], in: clone)
        }
        let readOnly = try fixture.server.createToken(for: "tollgate-bot", scopes: ["read:repository"])
        let readOnlyURL = fixture.server.authenticatedRepositoryURL(
            owner: repo.owner,
            name: repo.name,
            account: readOnly
        )
        await #expect(throws: (any Error).self) {
            try await fixture.git(["push", "-q", readOnlyURL.absoluteString, "HEAD:refs/heads/ro"], in: clone)
        }

        // The token as the Basic password (the user name is not checked, as in Gitea).
        let withToken = fixture.server.authenticatedRepositoryURL(
            owner: repo.owner,
            name: repo.name,
            account: fixture.server.alice
        )
        try await fixture.git(["push", "-q", withToken.absoluteString, "HEAD:refs/heads/phase-2-tactical"], in: clone)
        #expect(try await fixture.bareGit(["rev-parse", "refs/heads/phase-2-tactical"], repo: repo) == head)
        #expect(try await fixture.bareGit(["branch", "--list", "anon", "bad", "ro"], repo: repo).isEmpty)

        // Fetching a private repository needs the token too.
        let elsewhere = fixture.scratch.appendingPathComponent("second")
        await #expect(throws: (any Error).self) { try await fixture.git(["clone", "-q", anonymous, elsewhere.path]) }
        try await fixture.git(["clone", "-q", withToken.absoluteString, elsewhere.path])
        #expect(try await fixture.git(["rev-parse", "origin/phase-2-tactical"], in: elsewhere) == head)
    }

    @Test func deletingTheHeadBranchClosesTheOpenPullRequest() async throws {
        let fixture = try GiteaFixture()
        let repo = try await fixture.makeRepository()
        let pull = try await fixture.openPullRequest(in: repo)
        try await fixture.git(
            ["push", "-q", "origin", ":phase-1-strategic"],
            in: fixture.scratch.appendingPathComponent(repo.name)
        )
        let closed = try await fixture.bot.pullRequest(pull.number, in: repo)
        #expect(closed.state == .closed)
        #expect(!closed.merged)
        #expect(closed.head.ref == "refs/pull/\(pull.number)/head")
    }

    @Test func aServerSideCommitActsLikeAPushByTheReviewer() async throws {
        let fixture = try GiteaFixture()
        let repo = try await fixture.makeRepository()
        let pull = try await fixture.openPullRequest(in: repo)
        _ = try await fixture.alice.createReview(CreatePullReviewOptions(event: .approved), on: pull.number, in: repo)
        let sha = try fixture.server.commit(
            ["plan.md": "# Plan, edited by alice\n"],
            to: "phase-1-strategic",
            owner: repo.owner,
            name: repo.name,
            author: "alice",
            message: "Reviewer fix"
        )
        #expect(
            try await fixture.bareGit(["log", "-1", "--format=%an %P", sha], repo: repo) == "alice \(pull.head.sha)"
        )
        #expect(try await fixture.bot.pullRequest(pull.number, in: repo).head.sha == sha)
        #expect(try await fixture.bot.reviews(on: pull.number, in: repo).allSatisfy { $0.stale })
    }
}
