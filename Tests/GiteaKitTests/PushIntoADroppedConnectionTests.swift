import Foundation
import GitKit
import GiteaKit
import Testing
import TollgateTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// A push whose connection the server closes while the pack is still being sent fails with an error; it does not
/// kill the process with SIGPIPE (libgit2 writes to its sockets without `MSG_NOSIGNAL`).
///
/// The push runs in this test process, so a SIGPIPE that was not ignored would end the whole test run.
@Suite(.runsProcesses, .timeLimit(.minutes(10)))
struct PushIntoADroppedConnectionTests {
    @Test func aPushIntoAConnectionClosedMidPackIsAnErrorAndTheProcessLives() async throws {
        let fixture = try GiteaFixture()
        let repo = try await fixture.makeRepository()
        let clone = fixture.scratch.appendingPathComponent(repo.name)
        // 8 MB that do not compress, so the pack is still being written when the server hangs up.
        var generator = SystemRandomNumberGenerator()
        let words = (0..<(1 << 20)).map { _ in generator.next() as UInt64 }
        let noise = words.withUnsafeBytes { Data($0) }
        try noise.write(to: clone.appendingPathComponent("noise.bin"))
        try await fixture.git(["add", "noise.bin"], in: clone)
        try await fixture.git(["commit", "-q", "-m", "Add noise"], in: clone)
        let head = try await fixture.git(["rev-parse", "HEAD"], in: clone)

        let repository = try Repository.open(at: clone)
        try repository.setRemote(
            name: "gitea",
            url: fixture.server.repositoryURL(owner: repo.owner, name: repo.name).absoluteString
        )
        let credentials = Credentials(username: fixture.server.bot.login, password: fixture.server.bot.token)
        try fixture.server.dropNextConnections(
            1,
            pathContains: "git-receive-pack",
            method: "POST",
            pathPrefix: "/",
            beforeBody: true
        )
        try fixture.server.resetRequestLog()

        var failure: GitError?
        do {
            try repository.push(
                remote: "gitea",
                refspecs: ["refs/heads/main:refs/heads/big"],
                credentials: credentials
            )
        } catch {
            failure = error
        }
        let error = try #require(failure, "a push into a dropped connection must fail")
        // EPIPE is what a write into the closed connection returns once SIGPIPE is ignored; the signal came with it.
        #expect("\(error)".localizedCaseInsensitiveContains("broken pipe"), "\(error)")
        #expect(!"\(error)".contains(fixture.server.bot.token))
        let dropped = try fixture.server.requests().filter { $0.path.hasSuffix("/git-receive-pack") }
        #expect(dropped.map(\.fault) == ["drop"])
        await #expect((try? fixture.bareGit(["rev-parse", "--verify", "-q", "refs/heads/big"], repo: repo)) == nil)

        // The process ignores SIGPIPE from then on, and the same push goes through once the server behaves.
        var disposition = sigaction()
        #expect(sigaction(SIGPIPE, nil, &disposition) == 0)
        let handler = unsafeBitCast(disposition.__sigaction_handler.sa_handler, to: Int.self)
        #expect(handler == unsafeBitCast(SIG_IGN, to: Int.self))
        try repository.push(remote: "gitea", refspecs: ["refs/heads/main:refs/heads/big"], credentials: credentials)
        #expect(try await fixture.bareGit(["rev-parse", "refs/heads/big"], repo: repo) == head)
    }
}
