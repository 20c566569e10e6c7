import Foundation
import Testing
import TollgateTestSupport

/// A Gitea server on HTTPS with a certificate from a private certificate authority, driven through the built binary.
@Suite(.runsProcesses, .serialized)
struct GiteaTLSTests {
    /// The private CA and the server certificate it signed (for `127.0.0.1` and `localhost`), kept with GitKit's tests.
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("GitKitTests/Fixtures/tls")

    let server: GiteaTestServer
    let job: CLIJob

    init() throws {
        server = try GiteaTestServer(
            tls: GiteaTestServer.TLSIdentity(
                certificateFile: Self.fixtures.appendingPathComponent("server.pem"),
                keyFile: Self.fixtures.appendingPathComponent("server.key")
            )
        )
        job = try CLIJob("gitea-tls")
    }

    func initialize(_ extra: [String] = []) async throws -> ProcessResult {
        try await job.tollgate(
            [
                "init", job.path, "--review", "gitea", "--agent", "tollgate example-agent",
                "--set", "gitea.url=\(server.baseURL.absoluteString)", "--set", "review.reviewers=alice",
            ] + extra,
            environment: ["TOLLGATE_GITEA_TOKEN": server.bot.token]
        )
    }

    @Test func anUntrustedCertificateNamesTheSettingsAndTheCAFileMakesTheJobWork() async throws {
        defer { server.stop() }
        #expect(server.baseURL.scheme == "https")
        let refused = try await initialize()
        #expect(refused.status == 1, "\(refused)")
        #expect(refused.stderr.contains(server.baseURL.absoluteString))
        #expect(refused.stderr.contains("set gitea.caFile to a PEM file"), "\(refused.stderr)")
        #expect(refused.stderr.contains("gitea.insecureSkipTLSVerify=true"))
        #expect(!refused.stderr.contains("running and reachable"))
        #expect(!refused.stderr.contains(server.bot.token) && !refused.stdout.contains(server.bot.token))
        await #expect((try? job.git("rev-parse", "--verify", "tollgate/state")) == nil)

        let caFile = Self.fixtures.appendingPathComponent("ca.pem").path
        let created = try await initialize(["--set", "gitea.caFile=\(caFile)"])
        #expect(created.status == 0, "\(created)")
        let run = try await job.tollgate(["run", job.path], environment: ["TOLLGATE_GITEA_TOKEN": server.bot.token])
        #expect(run.status == 3, "\(run)")
        let bare = server.bareRepositoryPath(owner: server.bot.login, name: "job")
        #expect(
            try await GitCLI.run(["rev-parse", "phase-1-strategic"], in: bare)
                == (try job.git("rev-parse", "phase-1-strategic"))
        )
    }
}
