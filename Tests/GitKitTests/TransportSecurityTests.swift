import Foundation
import GitKit
import HTTPKit
import Testing
import TollgateTestSupport

/// Push, fetch and REST calls against the Gitea test server speaking HTTPS with a certificate from a private CA
/// (`Fixtures/tls`): trusted through a CA file, refused with a clear message without one, accepted when insecure.
@Suite(.runsProcesses)
struct TransportSecurityTests {
    private static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/tls")
    private static let caFile = fixtures.appendingPathComponent("ca.pem").path
    private static let otherCAFile = fixtures.appendingPathComponent("other-ca.pem").path
    /// The settings as the engine passes them from its `gitea.*` configuration.
    private static let trusted = TransportSecurity(caFile: caFile)
    private static let untrusted = TransportSecurity()
    private static let insecure = TransportSecurity(insecureSkipTLSVerify: true)

    /// A fresh HTTPS server and a workspace with one commit on main whose `origin` is the server's repository
    /// `tollgate-bot/tls`, reached by IP address (the certificate names `127.0.0.1` and `localhost`).
    private struct Setup {
        let directory: TemporaryDirectory
        let server: GiteaTestServer
        let repository: Repository
        let main: OID

        init(certificate: String = "server", _ name: String = #function) throws {
            directory = try TemporaryDirectory(name)
            server = try GiteaTestServer(
                tls: GiteaTestServer.TLSIdentity(
                    certificateFile: fixtures.appendingPathComponent("\(certificate).pem"),
                    keyFile: fixtures.appendingPathComponent("\(certificate).key")
                )
            )
            repository = try Repository.create(at: directory.path("work"))
            try directory.write("first\n", to: "work/file.txt")
            main = try Fixture.commitAll(repository, "first")
            try repository.setRemote(name: "origin", url: url(host: "127.0.0.1"))
        }

        /// The repository's URL on the server through `host`.
        func url(host: String) -> String {
            "https://\(host):\(server.port)/\(server.bot.login)/tls.git"
        }

        /// The bot's credentials for git.
        var credentials: Credentials { Credentials(username: server.bot.login, password: server.bot.token) }

        /// Pushes main to `remote` as the bot.
        func pushMain(to remote: String = "origin", _ security: TransportSecurity) throws(GitError) {
            try repository.push(
                remote: remote,
                refspecs: ["refs/heads/main:refs/heads/main"],
                credentials: credentials,
                security: security
            )
        }

        /// Fetches the configured refspecs of `remote` as the bot.
        func fetch(from remote: String = "origin", _ security: TransportSecurity) throws(GitError) {
            try repository.fetch(
                remote: remote,
                refspecs: [],
                credentials: credentials,
                security: security
            )
        }

        /// Creates the repository on the server through the REST API with the given TLS settings.
        func createRepository(caFile: String?, insecure: Bool = false) async throws -> HTTPResponse {
            let settings = CurlTransport.Configuration(
                caFile: caFile,
                insecureSkipTLSVerify: insecure,
                retry: RetryPolicy(maxAttempts: 1)
            )
            let transport = CurlTransport(configuration: settings)
            return try await transport.send(
                HTTPRequest(
                    method: .post,
                    url: server.baseURL.appendingPathComponent("api/v1/user/repos"),
                    headers: ["Authorization": "token \(server.bot.token)", "Content-Type": "application/json"],
                    body: Data(#"{"name": "tls"}"#.utf8)
                )
            )
        }

        /// The tip of `branch` in the server's bare repository, read with the git command line; nil when absent.
        func serverTip(_ branch: String) async throws -> String? {
            let bare = server.bareRepositoryPath(owner: server.bot.login, name: "tls")
            let result = try await GitCLI.runAllowingFailure(
                ["rev-parse", "--verify", "-q", "refs/heads/\(branch)"],
                in: bare
            )
            return result.status == 0 ? result.trimmedStdout : nil
        }
    }

    @Test func pushesAndFetchesOverHTTPSWhenTheCAFileTrustsTheServer() async throws {
        let setup = try Setup()
        #expect(try await setup.createRepository(caFile: Self.caFile).status == 201)

        try setup.pushMain(Self.trusted)
        #expect(try await setup.serverTip("main") == setup.main.hex)

        // A reviewer's commit on the server comes back by fetch, through the host name rather than the address.
        try setup.server.setCollaborator("alice", permission: "write", owner: setup.server.bot.login, name: "tls")
        let reviewed = try setup.server.commit(
            ["review.txt": "from a reviewer\n"],
            to: "main",
            owner: setup.server.bot.login,
            name: "tls",
            author: "alice"
        )
        try setup.repository.setRemote(name: "origin", url: setup.url(host: "localhost"))
        try setup.fetch(Self.trusted)
        #expect(try setup.repository.resolve(reference: "refs/remotes/origin/main")?.hex == reviewed)
    }

    @Test func refusesAnUntrustedCertificateNamingTheURLTheProblemAndTheSettings() async throws {
        let setup = try Setup()
        let rest = await #expect(throws: HTTPError.self) { try await setup.createRepository(caFile: nil) }
        #expect(rest?.curlError?.kind == .tls)
        #expect(rest?.description.contains("trust a CA file (PEM) holding it") == true)
        #expect(rest?.description.contains("skipping TLS verification turns the check off") == true)
        // The adapters name no configuration key: the engine words those.
        #expect(rest?.description.contains("gitea.") == false)
        #expect(rest?.description.contains(setup.server.bot.token) == false)
        #expect(try await setup.createRepository(caFile: Self.caFile).status == 201)

        let push = #expect(throws: GitError.self) { try setup.pushMain(Self.untrusted) }
        let fetch = #expect(throws: GitError.self) { try setup.fetch(Self.untrusted) }
        for error in [push, fetch] {
            let error = try #require(error)
            #expect(error.isCertificateFailure)
            #expect(error.description.contains(setup.url(host: "127.0.0.1")))
            #expect(error.description.contains("not correctly signed by the trusted CA"))
            // The certificate does name 127.0.0.1, though libgit2's own check (host names only) says it does not.
            #expect(!error.description.contains("Common Name (CN) does not match"))
            #expect(error.description.contains("trust a CA file (PEM) holding it"))
            #expect(error.description.contains("skipping TLS verification turns the check off"))
            #expect(!error.description.contains("gitea."))
            #expect(!error.description.contains(setup.server.bot.token))
        }
        #expect(try await setup.serverTip("main") == nil)
    }

    @Test func refusesACertificateFromAnotherCAAndNeverRepeatsATokenFromTheURL() async throws {
        let setup = try Setup()
        #expect(try await setup.createRepository(caFile: Self.caFile).status == 201)
        var components = try #require(URLComponents(string: setup.url(host: "localhost")))
        components.user = setup.server.bot.login
        components.password = setup.server.bot.token
        try setup.repository.setRemote(name: "origin", url: try #require(components.string))

        let error = #expect(throws: GitError.self) {
            try setup.pushMain(TransportSecurity(caFile: Self.otherCAFile))
        }
        #expect(error?.isCertificateFailure == true)
        #expect(error?.description.contains(setup.url(host: "localhost")) == true)
        #expect(error?.description.contains("not correctly signed by the trusted CA") == true)
        #expect(error?.description.contains("check that the CA file (\(Self.otherCAFile))") == true)
        #expect(error?.description.contains(setup.server.bot.token) == false)
        #expect(try await setup.serverTip("main") == nil)

        let rest = await #expect(throws: HTTPError.self) { try await setup.createRepository(caFile: Self.otherCAFile) }
        #expect(rest?.description.contains("check that the CA file (\(Self.otherCAFile))") == true)
    }

    @Test(arguments: ["127.0.0.1", "localhost"])
    func refusesACertificateForAnotherHostEvenFromTheTrustedCA(host: String) async throws {
        let setup = try Setup(certificate: "wrong-host")
        try setup.repository.setRemote(name: "origin", url: setup.url(host: host))
        let error = #expect(throws: GitError.self) { try setup.fetch(Self.trusted) }
        #expect(error?.isCertificateFailure == true)
        #expect(error?.description.contains("Common Name (CN) does not match") == true)
    }

    @Test func acceptsAnyCertificateWhenVerificationIsTurnedOff() async throws {
        let setup = try Setup(certificate: "wrong-host")
        #expect(try await setup.createRepository(caFile: nil, insecure: true).status == 201)
        try setup.pushMain(Self.insecure)
        #expect(try await setup.serverTip("main") == setup.main.hex)
        try setup.fetch(Self.insecure)
        #expect(try setup.repository.resolve(reference: "refs/remotes/origin/main") == setup.main)
    }

    @Test func twoRemotesInOneProcessKeepTheirOwnSettings() async throws {
        let setup = try Setup()
        #expect(try await setup.createRepository(caFile: Self.caFile).status == 201)
        try setup.repository.setRemote(name: "strict", url: setup.url(host: "localhost"))
        // Interleaved: the CA file trusted for one remote is never trusted for the other, before or after.
        #expect(throws: GitError.self) { try setup.pushMain(to: "strict", Self.untrusted) }
        try setup.pushMain(Self.trusted)
        #expect(try await setup.serverTip("main") == setup.main.hex)
        let error = #expect(throws: GitError.self) { try setup.fetch(from: "strict", Self.untrusted) }
        #expect(error?.isCertificateFailure == true)
        try setup.fetch(Self.trusted)
        #expect(try setup.repository.resolve(reference: "refs/remotes/origin/main") == setup.main)
    }
}
