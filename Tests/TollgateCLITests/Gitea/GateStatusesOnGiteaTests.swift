import Foundation
import GiteaKit
import HTTPKit
import Testing
import TollgateCore
import TollgateEngine
import TollgateTestSupport

/// A verification's commit statuses on the Gitea stand-in, as the verify step posts them: real gates run one by one,
/// `pending` as each starts, its outcome once it ended, then `tollgate/verify` for the whole.
@Suite(.runsProcesses, .timeLimit(.minutes(10)))
struct GateStatusesOnGiteaTests {
    @Test func eachGateAndTheWholeGetTheirStatus() async throws {
        let server = try GiteaTestServer()
        defer { server.stop() }
        let folder = try TemporaryDirectory("gate-statuses")
        let bot = GiteaClient(baseURL: server.baseURL, token: server.bot.token, transport: CurlTransport())
        let repo = try await bot.createRepository(
            CreateRepositoryOptions(name: "job", isPrivate: true, autoInit: true),
            organization: nil
        ).ref
        let url = server.authenticatedRepositoryURL(owner: repo.owner, name: repo.name, account: server.bot)
        let head = try #require(
            try await GitCLI.lines(["ls-remote", url.absoluteString, "refs/heads/main"], in: folder.url).first?
                .split(separator: "\t").first.map(String.init)
        )

        let runner = GateRunner(
            gates: [GateSpec(name: "diff", command: "true"), GateSpec(name: "test", command: "echo broken; exit 1")],
            defaultTimeoutSeconds: 30
        )
        let context = GateRunner.Context(
            directory: folder.url,
            environment: ["PATH": "/usr/bin:/bin"],
            log: GateRunner.Context.logFiles(in: folder.path("logs"))
        )
        let statuses = GiteaCommitStatuses(api: bot, repo: repo)
        try await statuses.post(GateReport.verifyStarted(gates: runner.gates.count), on: head)
        var results: [GateResult] = []
        for (index, gate) in runner.gates.enumerated() {
            try await statuses.post(GateReport.started(gate), on: head)
            let pending = try await bot.combinedStatus(of: head, in: repo)
            #expect(pending.statuses.first { $0.context == "tollgate/gate/\(gate.name)" }?.state == .pending)
            let result = try runner.run(gateAt: index, context)
            try await statuses.post(GateReport.finished(result), on: head)
            results.append(result)
        }
        let report = GateReport(phase: 2, revision: 1, commit: head, results: results)
        try await statuses.post(report.verifyFinished, on: head)

        let combined = try await bot.combinedStatus(of: "main", in: repo)
        #expect(combined.state == .failure)
        let byContext = Dictionary(uniqueKeysWithValues: combined.statuses.map { ($0.context, $0) })
        #expect(byContext.keys.sorted() == ["tollgate/gate/diff", "tollgate/gate/test", "tollgate/verify"])
        #expect(byContext["tollgate/gate/diff"]?.state == .success)
        #expect(byContext["tollgate/gate/diff"]?.description.hasPrefix("passed in ") == true)
        #expect(byContext["tollgate/gate/test"]?.state == .failure)
        #expect(byContext["tollgate/gate/test"]?.description.hasPrefix("exit 1 (") == true)
        #expect(byContext["tollgate/verify"]?.description.hasPrefix("failed: test (") == true)
    }

    @Test func aReadersTokenIsToldWhatAccessItNeeds() async throws {
        let server = try GiteaTestServer()
        defer { server.stop() }
        let bot = GiteaClient(baseURL: server.baseURL, token: server.bot.token, transport: CurlTransport())
        let repo = try await bot.createRepository(
            CreateRepositoryOptions(name: "job", isPrivate: true, autoInit: true),
            organization: nil
        ).ref
        try await bot.addCollaborator("alice", level: .read, in: repo)
        let alice = GiteaClient(baseURL: server.baseURL, token: server.alice.token, transport: CurlTransport())
        let statuses = GiteaCommitStatuses(api: alice, repo: repo)
        await #expect {
            try await statuses.post(GateReport.verifyStarted(gates: 1), on: String(repeating: "a", count: 40))
        } throws: { error in
            "\(error)".contains("posting the commit status tollgate/verify") && "\(error)".contains("write access")
        }
    }
}
