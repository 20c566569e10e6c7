import Foundation
import GiteaKit
import Testing
import TollgateTestSupport

/// `tollgate cancel` on a Gitea job: the pull request is closed with one note saying why, its branch stays.
extension GiteaEndToEndTests {
    @Test func cancelClosesThePullRequestWithANoteAndKeepsTheBranch() async throws {
        defer { server.stop() }
        let pull = try await frozenAtFirstReview()
        let cancelled = try await tollgate("cancel", job.path, "--message", "superseded by another job")
        #expect(cancelled.status == 0, "\(cancelled)")
        let closed = try await client(server.alice).pullRequest(pull.number, in: repo)
        #expect(closed.state == .closed)
        let notes = try await engineNotes(on: pull.number)
        #expect(notes.count == 1)
        #expect(notes.first?.body.contains("superseded by another job") == true)
        #expect(try await !remoteGit("rev-parse", "phase-1-strategic").isEmpty)
        #expect(try await job.status()["status"] as? String == "cancelled")
        // Again: nothing is left to cancel, and nothing more is posted.
        #expect(try await tollgate("cancel", job.path).status == 1)
        #expect(try await engineNotes(on: pull.number).count == 1)
    }
}
