import Foundation
import Testing
import TollgateTestSupport

@testable import GitKit

/// Remotes, push and fetch against a local bare repository, and credential handling against a refusing server.
@Suite(.runsProcesses)
struct RemoteTests {
    /// A temporary directory with a bare repository `remote.git` and a workspace `work` with one commit on main.
    private static func setUp(_ name: String = #function) async throws -> (TemporaryDirectory, Repository, URL) {
        let directory = try TemporaryDirectory(name)
        try await GitCLI.run(["init", "-q", "--bare", "-b", "main", "remote.git"], in: directory.url)
        let repository = try Repository.create(at: directory.path("work"))
        try directory.write("first\n", to: "work/file.txt")
        try Fixture.commitAll(repository, "first")
        return (directory, repository, directory.path("remote.git"))
    }

    @Test func addsRemotesAndChangesTheirURL() async throws {
        let (directory, repository, remote) = try await Self.setUp()
        #expect(try repository.remoteURL(name: "origin") == nil)
        try repository.setRemote(name: "origin", url: "https://example.com/a.git")
        #expect(try repository.remoteURL(name: "origin") == "https://example.com/a.git")
        try repository.setRemote(name: "origin", url: remote.path)
        #expect(try repository.remoteURL(name: "origin") == remote.path)
        #expect(try await GitCLI.run(["config", "remote.origin.url"], in: directory.path("work")) == remote.path)
        let missing = #expect(throws: GitError.self) {
            try repository.push(remote: "upstream", refspecs: ["refs/heads/main"], credentials: nil)
        }
        #expect(missing?.isNotFound == true)
    }

    /// libgit2's start notes the system's CA bundle without parsing it; the first push parses it, and only once.
    ///
    /// Other tests of this process push too, so this one cannot see the count at 0; the noted bundle shows that the
    /// start deferred the parse, and the count that exactly one parse of it followed.
    @Test func thePushParsesTheCertificateAuthoritiesLibgit2sStartLeftOut() async throws {
        let (directory, repository, remote) = try await Self.setUp()
        defer { withExtendedLifetime(directory) {} }
        let bundle = try #require(SystemCertificates.deferredLocation)
        #expect(FileManager.default.fileExists(atPath: bundle))
        try repository.setRemote(name: "origin", url: remote.path)
        try repository.push(remote: "origin", refspecs: ["refs/heads/main:refs/heads/main"], credentials: nil)
        #expect(SystemCertificates.loads == 1)
        try repository.fetch(
            remote: "origin",
            refspecs: ["+refs/heads/main:refs/remotes/origin/main"],
            credentials: nil
        )
        #expect(SystemCertificates.loads == 1)
    }

    @Test func pushesAndFetchesWithALocalBareRepository() async throws {
        let (directory, repository, remote) = try await Self.setUp()
        try repository.setRemote(name: "origin", url: remote.path)
        let main = try #require(try repository.branchTip("main"))
        let state = try repository.commit(
            tree: try repository.writeTree(["job.json": Data("{}".utf8)]),
            parents: [],
            message: "state",
            author: Fixture.author,
            committer: Fixture.committer
        )
        try repository.updateReference("refs/heads/tollgate/state", to: state, expected: nil, message: "state")

        try repository.push(
            remote: "origin",
            refspecs: ["refs/heads/main:refs/heads/main", "refs/heads/tollgate/state:refs/heads/tollgate/state"],
            credentials: nil
        )
        #expect(
            try await GitCLI.run(["rev-parse", "main", "tollgate/state"], in: remote) == "\(main.hex)\n\(state.hex)"
        )

        // Someone else pushes to main with the command line.
        try await GitCLI.run(["clone", "-q", remote.path, "other"], in: directory.url)
        let other = directory.path("other")
        try directory.write("from a reviewer\n", to: "other/review.txt")
        try await GitCLI.run(["add", "-A"], in: other)
        try await GitCLI.run(["commit", "-q", "-m", "review fix"], in: other)
        try await GitCLI.run(["push", "-q", "origin", "main"], in: other)
        let reviewed = try await #require(OID(hex: try GitCLI.run(["rev-parse", "HEAD"], in: other)))

        try repository.fetch(remote: "origin", refspecs: [], credentials: nil)
        #expect(try repository.resolve(reference: "refs/remotes/origin/main") == reviewed)
        #expect(try repository.resolve(reference: "refs/remotes/origin/tollgate/state") == state)
        #expect(try repository.isAncestor(main, of: reviewed))
        #expect(try repository.fileContents("review.txt", at: reviewed) == Data("from a reviewer\n".utf8))

        try repository.fetch(remote: "origin", refspecs: ["+refs/heads/main:refs/heads/reviewer"], credentials: nil)
        #expect(try repository.branchTip("reviewer") == reviewed)

        // Deleting a branch with a push also drops its remote-tracking reference, as `git push` does.
        try repository.push(remote: "origin", refspecs: [":refs/heads/tollgate/state"], credentials: nil)
        #expect(
            try await GitCLI.runAllowingFailure(["rev-parse", "--verify", "-q", "tollgate/state"], in: remote).status
                != 0
        )
        #expect(try repository.resolve(reference: "refs/remotes/origin/tollgate/state") == nil)

        // A branch deleted on the remote by someone else is pruned only when asked.
        try await GitCLI.run(["push", "-q", "origin", "HEAD:refs/heads/topic"], in: other)
        try repository.fetch(remote: "origin", refspecs: [], credentials: nil)
        #expect(try repository.resolve(reference: "refs/remotes/origin/topic") == reviewed)
        try await GitCLI.run(["branch", "-q", "-D", "topic"], in: remote)
        try repository.fetch(remote: "origin", refspecs: [], credentials: nil)
        #expect(try repository.resolve(reference: "refs/remotes/origin/topic") == reviewed)
        try repository.fetch(remote: "origin", refspecs: [], credentials: nil, prune: true)
        #expect(try repository.resolve(reference: "refs/remotes/origin/topic") == nil)
    }

    @Test func refusesANonFastForwardPushUnlessForced() async throws {
        let (directory, repository, remote) = try await Self.setUp()
        try repository.setRemote(name: "origin", url: remote.path)
        try repository.push(remote: "origin", refspecs: ["refs/heads/main:refs/heads/main"], credentials: nil)

        try await GitCLI.run(["clone", "-q", remote.path, "other"], in: directory.url)
        try directory.write("theirs\n", to: "other/theirs.txt")
        try await GitCLI.run(["add", "-A"], in: directory.path("other"))
        try await GitCLI.run(["commit", "-q", "-m", "theirs"], in: directory.path("other"))
        try await GitCLI.run(["push", "-q", "origin", "main"], in: directory.path("other"))
        let theirs = try await GitCLI.run(["rev-parse", "main"], in: remote)

        try directory.write("ours\n", to: "work/ours.txt")
        let ours = try Fixture.commitAll(repository, "ours")
        try repository.fetch(remote: "origin", refspecs: [], credentials: nil)
        let error = #expect(throws: GitError.self) {
            try repository.push(remote: "origin", refspecs: ["refs/heads/main:refs/heads/main"], credentials: nil)
        }
        #expect(error?.isRejected == true)
        #expect(error?.description.hasPrefix("git push to origin failed: ") == true)
        #expect(try await GitCLI.run(["rev-parse", "main"], in: remote) == theirs)

        try repository.push(remote: "origin", refspecs: ["+refs/heads/main:refs/heads/main"], credentials: nil)
        #expect(try await GitCLI.run(["rev-parse", "main"], in: remote) == ours.hex)
    }

    @Test func triesRefusedCredentialsOnlyOnce() async throws {
        let server = try RefusingHTTPServer()
        defer { server.stop() }
        let (directory, repository) = try Fixture.repository()
        #expect(Repository.isRepository(at: directory.url))
        try repository.setRemote(name: "origin", url: "http://127.0.0.1:\(server.port)/job.git")

        let error = #expect(throws: GitError.self) {
            try repository.push(
                remote: "origin",
                refspecs: ["refs/heads/main:refs/heads/main"],
                credentials: Credentials(username: "bot", password: "wrong-token")
            )
        }
        #expect(error?.isAuthenticationFailure == true)
        #expect(error?.message.contains("authentication failed for 127.0.0.1") == true)
        #expect(error?.description.contains("wrong-token") == false)
        let counts = server.requestCounts
        #expect(counts.requests == 2)  // anonymous, then once with the credentials (libgit2 alone: 16)
        #expect(counts.withAuthorization == 1)
    }

    @Test func explainsMissingCredentials() async throws {
        let server = try RefusingHTTPServer()
        defer { server.stop() }
        let (directory, repository) = try Fixture.repository()
        try directory.write("x\n", to: "x.txt")
        try Fixture.commitAll(repository, "x")
        try repository.setRemote(name: "origin", url: "http://127.0.0.1:\(server.port)/job.git")

        let error = #expect(throws: GitError.self) {
            try repository.fetch(remote: "origin", refspecs: [], credentials: nil)
        }
        #expect(error?.isAuthenticationFailure == true)
        #expect(error?.message.contains("no credentials were given") == true)
        #expect(server.requestCounts.requests == 1)
    }
}
