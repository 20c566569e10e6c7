import Foundation
import GiteaKit
import HTTPKit
import Testing
import TollgateTestSupport

/// A merge Gitea carried out but whose answer never arrived, on Gitea 1.24, which answers the retry "already merged"
/// with an empty message: the job goes on as merged, once.
extension GiteaEndToEndTests {
    @Test func aMergeWhoseAnswerWasLostOnGitea124IsTakenAsMerged() async throws {
        defer { server.stop() }
        try server.setReportedVersion("1.24.6")
        try server.setMergeCheckDelay(0)  // only the lost answer's 405 is counted below
        let pull = try await frozenAtFirstReview()
        try await approve(pull)
        try server.loseNextAnswers(1, pathContains: "/pulls/\(pull.number)/merge", method: "POST")
        let resumed = try await tollgate("resume", job.path)
        #expect(resumed.status == 3, "\(resumed)")
        #expect(try count("POST", "/pulls/\(pull.number)/merge", status: 405) == 1)
        #expect(try await job.status()["phase"] as? Int == 3)
        let squashes = try await remoteGit("log", "--format=%H", "--grep=Tollgate-Phase: 1-strategic", "main")
        #expect(squashes.split(separator: "\n").count == 1)
        #expect(try await remoteGit("rev-parse", "main") == (try job.git("rev-parse", "main")))
    }
}
