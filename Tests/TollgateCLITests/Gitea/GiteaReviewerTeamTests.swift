import Foundation
import GiteaKit
import Testing
import TollgateTestSupport

/// `gitea.reviewerTeam`: in an organisation's repository, reviewers get access by joining the named team rather than
/// as collaborators (routers/api/v1/org/team.go AddTeamMember, routers/api/v1/repo/teams.go AddTeam).
extension GiteaEndToEndTests {
    @Test func reviewersJoinTheNamedTeamOfTheOrganisation() async throws {
        defer { server.stop() }
        // The bot owns the organisation (its Owners team); the reviewers' team holds no repository yet.
        try server.createOrganization("acme", members: ["tollgate-bot"])
        try server.createTeam("Reviewers", in: "acme", permission: "write", members: [], repositories: [])
        let created = try await initialize(extra: [
            "--set", "gitea.owner=acme", "--set", "gitea.repo=report", "--set", "gitea.reviewerTeam=reviewers",
        ])
        #expect(created.status == 0, "\(created)")
        let run = try await tollgate("run", job.path)
        #expect(run.status == 3, "\(run)")

        let ref = RepoRef(owner: "acme", name: "report")
        let alice = client(server.alice)
        #expect(try await alice.collaboratorPermission(of: "alice", in: ref).level == .write)
        #expect(try await !client(server.bot).isCollaborator("alice", in: ref))
        let pull = try #require(try await alice.pullRequest(base: "main", head: "phase-1-strategic", in: ref))
        let requested = try await alice.reviews(on: pull.number, in: ref).filter { $0.state == .requestReview }
        #expect(requested.compactMap { $0.user?.login } == ["alice"])
        #expect(try count("PUT", "/repos/acme/report/teams/Reviewers") == 1)
        #expect(try count("PUT", "/members/alice") == 1)
        #expect(try count("PUT", "/collaborators/alice") == 0)
        // Someone never named as reviewer still cannot see the repository.
        await #expect(throws: GiteaError.self) { try await client(server.bob).repository(ref) }
    }

    @Test func aReviewerTeamThatDoesNotExistIsNamed() async throws {
        defer { server.stop() }
        try server.createOrganization("acme", members: ["tollgate-bot"])
        try server.createTeam("writers", in: "acme", permission: "write", members: [], repositories: [])
        let created = try await initialize(extra: [
            "--set", "gitea.owner=acme", "--set", "gitea.repo=report", "--set", "gitea.reviewerTeam=reviewers",
        ])
        #expect(created.status == 0, "\(created)")
        let run = try await tollgate("run", job.path)
        #expect(run.status == 1, "\(run)")
        #expect(run.stderr.contains("the organisation acme has no team reviewers (its teams: writers)"), "\(run)")
        #expect(run.stderr.contains("gitea.reviewerTeam"), "\(run)")
    }

    @Test func aReviewerTeamWithoutWriteAccessIsNamed() async throws {
        defer { server.stop() }
        try server.createOrganization("acme", members: ["tollgate-bot"])
        try server.createTeam("readers", in: "acme", permission: "read", members: [], repositories: [])
        #expect(
            try await initialize(extra: [
                "--set", "gitea.owner=acme", "--set", "gitea.repo=report", "--set", "gitea.reviewerTeam=readers",
            ]).status == 0
        )
        let run = try await tollgate("run", job.path)
        #expect(run.status == 1, "\(run)")
        #expect(run.stderr.contains("the team readers of acme gives read access"), "\(run)")
    }
}
