import Foundation
import GiteaKit
import HTTPKit
import Testing
import TollgateTestSupport

/// Reviewers' access to the job's private repository: Tollgate gives each configured reviewer write access before
/// asking them, and says who lacks which right when it cannot.
extension GiteaEndToEndTests {
    @Test func aReviewerAddedWithConfigSetIsLetInAtTheNextFreeze() async throws {
        defer { server.stop() }
        let pull = try await frozenAtFirstReview()
        let bob = client(server.bob)
        await #expect(throws: GiteaError.self) { try await bob.repository(repo) }

        let set = try await tollgate("config", job.path, "--set", "review.reviewers=alice,bob")
        #expect(set.status == 0, "\(set)")
        try await approve(pull)
        // Guided: phase 1 lands, the tactical phase 2 lands without a review, the strategic phase 3 freezes.
        let next = try await tollgate("resume", job.path)
        #expect(next.status == 3, "\(next)")
        let branch = try #require(try await job.status()["branch"] as? String)
        let third = try #require(try await bob.pullRequest(base: "main", head: branch, in: repo))
        let requested = try await bob.reviews(on: third.number, in: repo).filter { $0.state == .requestReview }
        #expect(Set(requested.compactMap { $0.user?.login }) == ["alice", "bob"])
        // Each reviewer's access was checked once, when they were new to a pull request, and granted once.
        #expect(try count("GET", "/collaborators/bob/permission") == 1)
        #expect(try count("PUT", "/collaborators/bob") == 1)
        #expect(try count("PUT", "/collaborators/alice") == 1)
        #expect(try await bob.collaboratorPermission(of: "bob", in: repo).level == .write)
    }

    @Test func aBotThatIsNoAdminOfTheRepositoryNamesTheReviewerAndTheRightTheyLack() async throws {
        defer { server.stop() }
        // An organisation's repository, made by its owner; the bot's team may write to it but not administer it.
        let olivia = try server.createUser("olivia")
        try server.createOrganization("acme", members: ["olivia"])
        _ = try await client(olivia).createRepository(
            CreateRepositoryOptions(name: "reports", isPrivate: true),
            organization: "acme"
        )
        try server.createTeam(
            "bots",
            in: "acme",
            permission: "write",
            members: ["tollgate-bot"],
            repositories: ["reports"]
        )
        #expect(try await initialize(extra: ["--set", "gitea.owner=acme", "--set", "gitea.repo=reports"]).status == 0)

        let run = try await tollgate("run", job.path)
        #expect(run.status == 1, "\(run)")
        #expect(run.stderr.contains("alice cannot read acme/reports"), "\(run)")
        #expect(run.stderr.contains("give alice write access to acme/reports"), "\(run)")
        #expect(run.stderr.contains("not an admin"), "\(run)")
    }
}
