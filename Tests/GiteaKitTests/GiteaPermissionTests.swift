import Foundation
import GiteaKit
import Testing
import TollgateTestSupport

/// Gitea's permissions, as the test server enforces them and the client reads and grants them.
///
/// Each test names the Gitea source of the rule it pins (paths in go-gitea/gitea).
@Suite(.runsProcesses, .timeLimit(.minutes(10)))
struct GiteaPermissionTests {
    /// A repository of the bot's with no collaborator, and carol, a user nobody let in.
    func privateRepository() async throws -> (GiteaFixture, RepoRef, GiteaTestServer.Account) {
        let fixture = try GiteaFixture()
        let repo = try await fixture.makeRepository(collaborators: [])
        let carol = try fixture.server.createUser("carol")
        return (fixture, repo, carol)
    }

    /// routers/api/v1/api.go repoAssignment: no access at all is a 404, with the body of a missing repository;
    /// routers/web/repo/githttp.go: git is told "Repository not found".
    @Test func aPrivateRepositoryIsInvisibleToAStrangerThroughRESTAndGit() async throws {
        let (fixture, repo, carol) = try await privateRepository()
        let pull = try await fixture.openPullRequest(in: repo)
        let stranger = fixture.client(carol)
        let hidden = await expectGiteaError(.notFound) { try await stranger.repository(repo) }
        let missing = await expectGiteaError(.notFound) {
            try await stranger.repository(RepoRef(owner: repo.owner, name: "absent"))
        }
        #expect(hidden?.message == missing?.message)
        await expectGiteaError(.notFound) { try await stranger.pullRequest(pull.number, in: repo) }
        await expectGiteaError(.notFound) { try await stranger.reviews(on: pull.number, in: repo) }

        let url = fixture.server.authenticatedRepositoryURL(owner: repo.owner, name: repo.name, account: carol)
        let clone = try await GitCLI.runAllowingFailure(
            ["clone", "-q", url.absoluteString, "carol"],
            in: fixture.scratch
        )
        #expect(clone.status != 0)
        #expect(clone.stderr.contains("Repository not found"), "\(clone)")
        // The owner sees it, and says so in the permissions Gitea reports.
        let own = try #require(try await fixture.bot.repository(repo).permissions)
        #expect(own.admin && own.push && own.pull)
    }

    /// routers/api/v1/repo/collaborators.go and tests/integration/api_repo_collaborator_test.go: levels from every
    /// source, the owner is "owner", an unknown user is 404 on /permission and 422 elsewhere, PUT without a level
    /// is write, and only repository admins may change or read others' access.
    @Test func collaboratorsAreAddedReadAndRemovedAsGiteaDoes() async throws {
        let (fixture, repo, carol) = try await privateRepository()
        let stranger = fixture.client(carol)
        #expect(try await fixture.bot.collaboratorPermission(of: "tollgate-bot", in: repo).level == .owner)
        let none = try await fixture.bot.collaboratorPermission(of: "carol", in: repo)
        #expect(none.level == .none)
        #expect(none.user?.login == "carol")
        #expect(try await !fixture.bot.isCollaborator("carol", in: repo))
        await expectGiteaError(.notFound) { try await fixture.bot.collaboratorPermission(of: "nobody", in: repo) }
        await expectGiteaError(.validation) { try await fixture.bot.isCollaborator("nobody", in: repo) }
        await expectGiteaError(.validation) { try await fixture.bot.addCollaborator("nobody", level: .read, in: repo) }

        try await fixture.bot.addCollaborator("carol", level: .read, in: repo)
        #expect(try await fixture.bot.isCollaborator("carol", in: repo))
        #expect(try await stranger.collaboratorPermission(of: "carol", in: repo).level == .read)
        let reading = try #require(try await stranger.repository(repo).permissions)
        #expect(reading.pull && !reading.push && !reading.admin)
        // A reader may ask about themself only, and may not grant.
        let nosy = await expectGiteaError(.forbidden) {
            try await stranger.collaboratorPermission(of: "tollgate-bot", in: repo)
        }
        #expect(nosy?.message.hasPrefix("Only admins can query all permissions") == true)
        let grant = await expectGiteaError(.forbidden) {
            try await stranger.addCollaborator("carol", level: .admin, in: repo)
        }
        #expect(grant?.message == "user should be an owner or a collaborator with admin write of a repository")

        for level in [AccessLevel.write, .admin] {
            try await fixture.bot.addCollaborator("carol", level: level, in: repo)
            #expect(try await fixture.bot.collaboratorPermission(of: "carol", in: repo).level == level)
        }
        await expectGiteaError(.invalidArgument) {
            try await fixture.bot.addCollaborator("carol", level: .owner, in: repo)
        }
        try await fixture.bot.removeCollaborator("carol", in: repo)
        await expectGiteaError(.notFound) { try await stranger.repository(repo) }
    }

    /// routers/private/hook_pre_receive.go: with git's proc-receive Gitea lets a reader start a push and refuses
    /// its refs with "User permission denied for writing."; a writer's push lands.
    @Test func aReaderMayCloneButNotPush() async throws {
        let (fixture, repo, carol) = try await privateRepository()
        try await fixture.bot.addCollaborator("carol", level: .read, in: repo)
        let url = fixture.server.authenticatedRepositoryURL(owner: repo.owner, name: repo.name, account: carol)
        try await fixture.git(["clone", "-q", url.absoluteString, "carol"])
        let clone = fixture.scratch.appendingPathComponent("carol")
        try "carol's\n".write(to: clone.appendingPathComponent("c.md"), atomically: true, encoding: .utf8)
        try await fixture.git(["add", "c.md"], in: clone)
        try await fixture.git(["commit", "-q", "-m", "Carol's change"], in: clone)
        let refused = try await GitCLI.runAllowingFailure(["push", "-q", "origin", "HEAD:refs/heads/carol"], in: clone)
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("Gitea: User permission denied for writing."), "\(refused)")
        #expect(try await fixture.bareGit(["branch", "--list", "carol"], repo: repo).isEmpty)

        try await fixture.bot.addCollaborator("carol", level: .write, in: repo)
        try await fixture.git(["push", "-q", "origin", "HEAD:refs/heads/carol"], in: clone)
        #expect(
            try await fixture.bareGit(["rev-parse", "refs/heads/carol"], repo: repo)
                == (try fixture.git(["rev-parse", "HEAD"], in: clone))
        )
    }

    /// services/issue/review_request.go isValidReviewRequest: a reviewer who cannot read is refused with 422
    /// "Reviewer can't read [user_id: <the doer's id>, repo_id: …]", before the poster check.
    @Test func aReviewRequestToAUserWhoCannotReadIsRefused() async throws {
        let (fixture, repo, _) = try await privateRepository()
        let pull = try await fixture.openPullRequest(in: repo)
        let bot = try await fixture.bot.currentUser()
        let repository = try await fixture.bot.repository(repo)
        let refused = await expectGiteaError(.validation) {
            try await fixture.bot.requestReviewers(["carol"], on: pull.number, in: repo)
        }
        #expect(refused?.message == "Reviewer can't read [user_id: \(bot.id), repo_id: \(repository.id)]")
        #expect(try await fixture.bot.reviews(on: pull.number, in: repo).isEmpty)

        try await fixture.bot.addCollaborator("carol", level: .read, in: repo)
        let rows = try await fixture.bot.requestReviewers(["carol"], on: pull.number, in: repo)
        #expect(rows.map(\.state) == [.requestReview])
        // models/issues/review.go IsOfficialReviewer: without branch protection, official means code write.
        #expect(rows.first?.official == false)
    }

    /// models/issues/review.go SubmitReview and IsOfficialReviewer (>= 1.21): a reader's verdict counts as a
    /// review but is not official; a writer's is (and either makes the user's older reviews unofficial).
    @Test func onlyAWritersVerdictIsOfficial() async throws {
        let (fixture, repo, carol) = try await privateRepository()
        try await fixture.bot.addCollaborator("carol", level: .read, in: repo)
        try await fixture.bot.addCollaborator("alice", level: .write, in: repo)
        let pull = try await fixture.openPullRequest(in: repo)
        let reader = try await fixture.client(carol).createReview(
            CreatePullReviewOptions(event: .approved),
            on: pull.number,
            in: repo
        )
        #expect(!reader.official)
        let writer = try await fixture.alice.createReview(
            CreatePullReviewOptions(event: .approved),
            on: pull.number,
            in: repo
        )
        #expect(writer.official)
    }

    /// services/pull/check.go CheckPullMergeable (IsUserAllowedToMerge), routers/api/v1/repo/pull.go
    /// EditPullRequest, and reqRepoWriter on DELETE /branches: a reader may not merge (405), edit someone else's
    /// pull request (a bare 403) or delete a branch (403).
    @Test func aReaderMayNotMergeEditOrDeleteBranches() async throws {
        let (fixture, repo, carol) = try await privateRepository()
        try await fixture.bot.addCollaborator("carol", level: .read, in: repo)
        let pull = try await fixture.openPullRequest(in: repo)
        let reader = fixture.client(carol)
        let merge = await expectGiteaError(.notAllowed) {
            try await reader.merge(pull.number, in: repo, MergeOptions(style: .squash, headCommitID: pull.head.sha))
        }
        #expect(merge?.message == "User not allowed to merge PR")
        let edit = await expectGiteaError(.forbidden) {
            try await reader.editPullRequest(pull.number, in: repo, EditPullRequestOptions(state: .closed))
        }
        #expect(edit?.message == "")
        let delete = await expectGiteaError(.forbidden) { try await reader.deleteBranch(pull.head.ref, in: repo) }
        #expect(delete?.message == "user should have a permission to write to a repo")
        #expect(try await fixture.bot.pullRequest(pull.number, in: repo).state == .open)
    }

    /// models/perm/access/repo_permission.go GetUserRepoPermission: in an organisation's private repository, a
    /// team's members get the team's level on the repositories the team holds, and nothing on the others; the
    /// Owners team's members own every repository.
    @Test func organisationTeamsGiveAccessToTheirRepositoriesOnly() async throws {
        let fixture = try GiteaFixture()
        _ = try fixture.server.createUser("carol")
        try fixture.server.createOrganization("acme", members: ["tollgate-bot"])
        let held = try await fixture.bot.createRepository(
            CreateRepositoryOptions(name: "held", isPrivate: true),
            organization: "acme"
        )
        let other = try await fixture.bot.createRepository(
            CreateRepositoryOptions(name: "other", isPrivate: true),
            organization: "acme"
        )
        try fixture.server.createTeam(
            "reviewers",
            in: "acme",
            permission: "write",
            members: ["carol"],
            repositories: ["held"]
        )
        #expect(try await fixture.bot.collaboratorPermission(of: "tollgate-bot", in: held.ref).level == .owner)
        #expect(try await fixture.bot.collaboratorPermission(of: "carol", in: held.ref).level == .write)
        #expect(try await fixture.bot.collaboratorPermission(of: "carol", in: other.ref).level == .none)
        // Team access is access, but not collaboration.
        #expect(try await !fixture.bot.isCollaborator("carol", in: held.ref))
    }
}
