import Foundation
import GiteaKit
import Testing
import TollgateTestSupport

/// How many requests a `resume` costs Gitea, read from the test server's request log; the README quotes these.
extension GiteaEndToEndTests {
    /// The requests logged since the last reset, one `METHOD path` each, git's included.
    ///
    /// The server may log a reviewer's request of just before the reset after it: the log starts at the binary's first
    /// request, `GET /user`.
    func loggedRequests() throws -> [String] {
        let requests = try server.requests().map { "\($0.method) \($0.path)" }
        return Array(requests.drop { $0 != "GET /api/v1/user" })
    }

    @Test func aResumeThatFindsNothingNewOrAnApprovalCostsFewRequests() async throws {
        defer { server.stop() }
        // Gitea has checked the pull request's mergeability by the time a reviewer approves it.
        try server.setMergeCheckDelay(0)
        let pull = try await frozenAtFirstReview()
        let api = "/api/v1/repos/\(repo.owner)/\(repo.name)"

        // Nothing new: who the token is, the pull request, its reviews, its comments.
        try server.resetRequestLog()
        let idle = try await tollgate("resume", job.path)
        #expect(idle.status == 3, "\(idle)")
        #expect(
            try loggedRequests() == [
                "GET /api/v1/user", "GET \(api)/pulls/\(pull.number)", "GET \(api)/pulls/\(pull.number)/reviews",
                "GET \(api)/issues/\(pull.number)/comments",
            ]
        )

        // An approval: the same four reads, then merged already?, merge, merged now?, the merge commit, and a fetch
        // of main (git's discovery, then upload-pack); what follows is the next phase's own work.
        try await approve(pull)
        try server.resetRequestLog()
        let merged = try await tollgate("resume", job.path)
        #expect(merged.status == 3, "\(merged)")
        let requests = try loggedRequests()
        let fetched = try #require(requests.firstIndex { $0.hasSuffix("git-upload-pack") }, "\(requests)")
        let merging = Array(requests[...fetched])
        #expect(
            merging == [
                "GET /api/v1/user", "GET \(api)/pulls/\(pull.number)", "GET \(api)/pulls/\(pull.number)/reviews",
                "GET \(api)/issues/\(pull.number)/comments", "GET \(api)/pulls/\(pull.number)/merge",
                "POST \(api)/pulls/\(pull.number)/merge", "GET \(api)/pulls/\(pull.number)/merge",
                "GET \(api)/pulls/\(pull.number)", "GET /\(repo.owner)/\(repo.name).git/info/refs",
                "GET /\(repo.owner)/\(repo.name).git/info/refs", "POST /\(repo.owner)/\(repo.name).git/git-upload-pack",
            ],
            "\(requests)"
        )
        // Gitea deleted the branch with the merge: no request tries again, under the name Gitea then reports.
        #expect(!requests.contains { $0.hasPrefix("DELETE") }, "\(requests)")
        #expect(try await remoteGit("branch", "--list", "phase-1-strategic").isEmpty)
    }
}
