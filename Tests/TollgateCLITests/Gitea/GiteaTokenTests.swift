import Foundation
import Testing
import TollgateTestSupport

/// Where the token comes from, and what a token without the needed scope does at init.
extension GiteaEndToEndTests {
    func initialize(environment: [String: String], extra: [String] = []) async throws -> ProcessResult {
        try await job.tollgate(
            ["init", job.path, "--review", "gitea", "--set", "gitea.url=\(server.baseURL.absoluteString)"] + extra,
            environment: environment
        )
    }

    @Test func aTokenWithoutTheWriteScopeIsRefusedAtInitWithTheScopeNamed() async throws {
        defer { server.stop() }
        let limited = try server.createToken(for: server.bot.login, scopes: ["read:user", "read:repository"])
        let result = try await initialize(environment: ["TOLLGATE_GITEA_TOKEN": limited.token])
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("scope"), "\(result)")
        #expect(!result.stderr.contains(limited.token))
        await #expect((try? job.git("rev-parse", "--verify", "tollgate/state")) == nil)
    }

    @Test func aTokenFileReadableByOthersIsRefusedAndAnOwnerOnlyOneIsUsed() async throws {
        defer { server.stop() }
        let file = try job.directory.write("token", server.bot.token + "\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file.path)
        let open = try await initialize(environment: [:], extra: ["--set", "gitea.tokenFile=\(file.path)"])
        #expect(open.status == 1, "\(open)")
        #expect(open.stderr.contains("chmod 600"), "\(open)")
        #expect(!open.stderr.contains(server.bot.token))

        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
        let created = try await initialize(environment: [:], extra: ["--set", "gitea.tokenFile=\(file.path)"])
        #expect(created.status == 0, "\(created)")
        #expect(try await remoteGit("rev-parse", "tollgate/state") == (try job.git("rev-parse", "tollgate/state")))
        // The remote URL carries no token.
        await #expect(!(try job.git("remote", "get-url", "origin")).contains(server.bot.token))
    }

    @Test func aMissingTokenNamesTheVariable() async throws {
        defer { server.stop() }
        let result = try await initialize(environment: [:])
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("TOLLGATE_GITEA_TOKEN"), "\(result)")
    }
}

/// The token scopes the README asks for are enough, and the message for a missing one names it.
extension GiteaEndToEndTests {
    @Test func theScopesTheREADMENamesRunAJobForAnOrganisationAndAMissingReadUserIsNamed() async throws {
        defer { server.stop() }
        try server.createOrganization("reports", members: [server.bot.login])
        let organisationScopes = ["write:repository", "write:issue", "read:user", "write:organization"]

        let withoutUser = try server.createToken(
            for: server.bot.login,
            scopes: organisationScopes.filter { $0 != "read:user" }
        )
        let refused = try await initialize(
            environment: ["TOLLGATE_GITEA_TOKEN": withoutUser.token],
            extra: ["--set", "gitea.owner=reports"]
        )
        #expect(refused.status == 1, "\(refused)")
        #expect(refused.stderr.contains("read:user"), "\(refused)")
        #expect(!refused.stderr.contains(withoutUser.token))

        let enough = try server.createToken(for: server.bot.login, scopes: organisationScopes)
        let environment = ["TOLLGATE_GITEA_TOKEN": enough.token]
        let created = try await job.tollgate(
            [
                "init", job.path, "--review", "gitea", "--agent", "tollgate example-agent",
                "--set", "gitea.url=\(server.baseURL.absoluteString)", "--set", "gitea.owner=reports",
                "--set", "review.reviewers=alice",
            ],
            environment: environment
        )
        #expect(created.status == 0, "\(created)")
        let run = try await job.tollgate(["run", job.path], environment: environment)
        #expect(run.status == 3, "\(run)")
        #expect(run.stdout.contains("/reports/job/pulls/1"), "\(run)")
    }
}
