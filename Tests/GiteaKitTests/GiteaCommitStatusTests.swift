import Foundation
import GiteaKit
import Testing
import TollgateTestSupport

/// Commit statuses: the client against the test server, and the server against Gitea's rules.
///
/// Each test names the Gitea source of the rule it pins (paths in go-gitea/gitea).
@Suite(.runsProcesses, .timeLimit(.minutes(10)))
struct GiteaCommitStatusTests {
    /// A repository of the bot's with a pushed branch `phase-1`; returns its head.
    func repositoryWithHead(_ fixture: GiteaFixture) async throws -> (RepoRef, String) {
        let repo = try await fixture.makeRepository(collaborators: [])
        let head = try await fixture.push(["a.txt": "a\n"], to: "phase-1", in: repo)
        return (repo, head)
    }

    static func options(_ state: CommitStatusState, _ context: String, _ description: String = "")
        -> CreateCommitStatusOptions
    {
        CreateCommitStatusOptions(state: state, context: context, description: description)
    }

    /// routers/api/v1/repo/status.go NewCommitStatus (201 with the status; the state under `status`);
    /// models/git/commit_status.go NewCommitStatus (texts trimmed) and GetLatestCommitStatus (the newest of each
    /// context, newest first).
    @Test func theLatestStatusOfEachContextCounts() async throws {
        let fixture = try GiteaFixture()
        let (repo, head) = try await repositoryWithHead(fixture)
        let posted = try await fixture.bot.createCommitStatus(
            Self.options(.pending, " tollgate/gate/test ", "  started  "),
            on: head,
            in: repo
        )
        #expect(posted.state == .pending)
        #expect(posted.context == "tollgate/gate/test")
        #expect(posted.description == "started")
        #expect(posted.creator?.login == fixture.server.bot.login)

        var combined = try await fixture.bot.combinedStatus(of: "phase-1", in: repo)
        #expect(combined.sha == head)
        #expect(combined.state == .pending)

        _ = try await fixture.bot.createCommitStatus(
            Self.options(.success, "tollgate/gate/test", "1.2 s"),
            on: head,
            in: repo
        )
        _ = try await fixture.bot.createCommitStatus(Self.options(.success, "tollgate/verify"), on: head, in: repo)
        combined = try await fixture.bot.combinedStatus(of: head, in: repo)
        #expect(combined.state == .success)
        #expect(combined.statuses.map(\.context) == ["tollgate/verify", "tollgate/gate/test"])
        #expect(combined.statuses.map(\.description) == ["", "1.2 s"])
    }

    struct CombineRow: Sendable, CustomTestStringConvertible {
        var states: [CommitStatusState]
        var expected: CommitStatusState
        var testDescription: String { states.map(\.rawValue).joined(separator: ",") + " → \(expected.rawValue)" }
    }

    static let combineRows = [
        CombineRow(states: [], expected: .pending),
        CombineRow(states: [.success], expected: .success),
        CombineRow(states: [.success, .pending], expected: .pending),
        CombineRow(states: [.success, .warning, .skipped], expected: .success),
        CombineRow(states: [.warning], expected: .success),
        CombineRow(states: [.pending, .error], expected: .failure),
        CombineRow(states: [.failure, .success], expected: .failure),
        CombineRow(states: [.pending], expected: .pending),
    ]

    /// modules/commitstatus/commit_status.go CommitStatusStates.Combine.
    @Test(arguments: combineRows)
    func theCombinedStateFollowsGiteasRule(_ row: CombineRow) async {
        #expect(CommitStatusState.combined(row.states) == row.expected)
    }

    /// The server combines as the rule does (one context per state, on one commit).
    @Test func theServerCombinesByTheSameRule() async throws {
        let fixture = try GiteaFixture()
        let repo = try await fixture.makeRepository(collaborators: [])
        for (number, row) in Self.combineRows.enumerated() where !row.states.isEmpty {
            let head = try await fixture.push(["row.txt": "\(number)\n"], to: "row-\(number)", in: repo)
            for (index, state) in row.states.enumerated() {
                _ = try await fixture.bot.createCommitStatus(Self.options(state, "check-\(index)"), on: head, in: repo)
            }
            let combined = try await fixture.bot.combinedStatus(of: head, in: repo)
            #expect(combined.state == row.expected, "\(row.testDescription)")
        }
    }

    /// GetCombinedCommitStatusByRef: no status, an empty CombinedStatus (state ""); utils.ResolveRefOrSha takes
    /// text that is no ref as a commit id.
    @Test func aCommitWithoutStatusesHasNoState() async throws {
        let fixture = try GiteaFixture()
        let (repo, _) = try await repositoryWithHead(fixture)
        for ref in ["phase-1", "no-such-branch"] {
            let combined = try await fixture.bot.combinedStatus(of: ref, in: repo)
            #expect(combined.state == nil)
            #expect(combined.statuses.isEmpty)
        }
    }

    /// routers/api/v1/api.go: `reqRepoWriter(unit.TypeCode)` on POST /statuses/{sha}, `reqRepoReader` on the
    /// reads, and repoAssignment's 404 for a user who cannot read at all.
    @Test func writersPostReadersReadStrangersSeeNothing() async throws {
        let fixture = try GiteaFixture()
        let (repo, head) = try await repositoryWithHead(fixture)
        let carol = try fixture.server.createUser("carol")
        let stranger = fixture.client(carol)
        await expectGiteaError(.notFound) {
            try await stranger.createCommitStatus(Self.options(.success, "ci"), on: head, in: repo)
        }
        await expectGiteaError(.notFound) { try await stranger.combinedStatus(of: head, in: repo) }

        try await fixture.bot.addCollaborator("carol", level: .read, in: repo)
        let refused = await expectGiteaError(.forbidden) {
            try await stranger.createCommitStatus(Self.options(.success, "ci"), on: head, in: repo)
        }
        #expect(refused?.message == "user should have a permission to write to a repo")
        #expect(try await stranger.combinedStatus(of: head, in: repo).state == nil)

        try await fixture.bot.addCollaborator("carol", level: .write, in: repo)
        _ = try await stranger.createCommitStatus(Self.options(.failure, "ci"), on: head, in: repo)
        #expect(try await fixture.bot.combinedStatus(of: head, in: repo).state == .failure)
    }

    /// Token scopes (routers/api/v1/api.go tokenRequiresScopes): posting a status needs write:repository.
    @Test func aReadOnlyTokenMayNotPost() async throws {
        let fixture = try GiteaFixture()
        let (repo, head) = try await repositoryWithHead(fixture)
        let reader = try fixture.server.createUser("dave", scopes: ["read:repository"])
        try await fixture.bot.addCollaborator("dave", level: .write, in: repo)
        let refused = await expectGiteaError(.forbidden) {
            try await fixture.client(reader).createCommitStatus(Self.options(.success, "ci"), on: head, in: repo)
        }
        #expect(refused?.message.contains("write:repository") == true)
    }

    /// `skipped` is a state from Gitea 1.25 on (swagger's CreateStatusOption enum); the server refuses what the
    /// enum of its version does not have.
    @Test func skippedIsAStateFrom125On() async throws {
        let old = try GiteaFixture(version: "1.24.6")
        let (oldRepo, oldHead) = try await repositoryWithHead(old)
        let refused = await expectGiteaError(.validation) {
            try await old.bot.createCommitStatus(Self.options(.skipped, "ci"), on: oldHead, in: oldRepo)
        }
        #expect(refused?.message.contains("skipped") == true)

        let current = try GiteaFixture()
        let (repo, head) = try await repositoryWithHead(current)
        #expect(
            try await current.bot.createCommitStatus(Self.options(.skipped, "ci"), on: head, in: repo).state == .skipped
        )
    }

    /// services/repository/files/commit.go CreateCommitStatus: a commit the repository does not have fails
    /// (gitRepo.GetCommit), answered as an internal error.
    @Test func aMissingCommitIsRefused() async throws {
        let fixture = try GiteaFixture()
        let (repo, _) = try await repositoryWithHead(fixture)
        await expectGiteaError(.serverError) {
            try await fixture.bot.createCommitStatus(
                Self.options(.success, "ci"),
                on: String(repeating: "0", count: 40),
                in: repo
            )
        }
        await expectGiteaError(.invalidArgument) {
            try await fixture.bot.createCommitStatus(Self.options(.success, "  "), on: "abc", in: repo)
        }
    }

    /// convert.ToCombinedStatus combines each page alone; the client reads every page and combines them all.
    @Test func everyPageIsReadAndCombined() async throws {
        let fixture = try GiteaFixture()
        let (repo, head) = try await repositoryWithHead(fixture)
        for (context, state) in [("c-old", CommitStatusState.failure), ("c-mid", .success), ("c-new", .success)] {
            _ = try await fixture.bot.createCommitStatus(Self.options(state, context), on: head, in: repo)
        }
        let paged = fixture.client(fixture.server.bot, pageSize: 2)
        let combined = try await paged.combinedStatus(of: head, in: repo)
        #expect(combined.statuses.map(\.context) == ["c-new", "c-mid", "c-old"])
        #expect(combined.state == .failure)
    }
}
