import Foundation
import GiteaKit
import Testing
import TollgateTestSupport

/// URLs Gitea builds from its ROOT_URL, moved onto the address the user configured.
@Suite(.runsProcesses)
struct ServerURLTests {
    static let configured = URL(string: "https://gitea.example.com/")

    /// Examples: what Gitea reported, the configured address, the repository, and the URL to use.
    static let cases: [(String, String, String, String)] = [
        // A container's ROOT_URL: the host and port are wrong, the path right.
        (
            "http://localhost:3000/acme/job.git", "https://gitea.example.com/", "acme/job",
            "https://gitea.example.com/acme/job.git"
        ),
        // A proxy that serves Gitea under a sub-path Gitea does not know of.
        (
            "http://localhost:3000/acme/job.git", "https://example.com/git/", "acme/job",
            "https://example.com/git/acme/job.git"
        ),
        (
            "http://localhost:3000/acme/job.git", "https://example.com/git", "acme/job",
            "https://example.com/git/acme/job.git"
        ),
        // ROOT_URL with a sub-path the proxy strips.
        (
            "http://10.0.0.5:3000/gitea/acme/job.git", "https://gitea.example.com/", "acme/job",
            "https://gitea.example.com/acme/job.git"
        ),
        // A pull request's page, its fragment kept; names compared without case.
        (
            "http://localhost:3000/Acme/Job/pulls/3#x", "https://gitea.example.com:8443/", "acme/job",
            "https://gitea.example.com:8443/Acme/Job/pulls/3#x"
        ),
        // A repository named like its owner: the last pair is the one.
        (
            "http://localhost:3000/job/job/pulls/1", "https://gitea.example.com/", "job/job",
            "https://gitea.example.com/job/job/pulls/1"
        ),
    ]

    @Test(arguments: Self.cases)
    func rebasesTheRepositoryPartOntoTheConfiguredAddress(_ example: (String, String, String, String)) async throws {
        let (reported, base, repository, expected) = example
        let url = try #require(URL(string: base))
        #expect(ServerURL.rebase(reported, onto: url, repository: repository) == expected)
    }

    @Test func keepsThePathWhenNoRepositoryIsInIt() async throws {
        let base = try #require(Self.configured)
        #expect(
            ServerURL.rebase("http://localhost:3000/other", onto: base, repository: "acme/job")
                == "https://gitea.example.com/other"
        )
        #expect(ServerURL.rebase("not a url", onto: base, repository: "acme/job") == nil)
    }

    @Test func namesTheRootGiteaReports() async {
        #expect(
            ServerURL.root(of: "http://localhost:3000/acme/job.git", repository: "acme/job") == "http://localhost:3000/"
        )
        #expect(
            ServerURL.root(of: "https://h/gitea/acme/job/pulls/2?a=1", repository: "acme/job") == "https://h/gitea/"
        )
        #expect(ServerURL.root(of: "https://h/other.git", repository: "acme/job") == nil)
        // "/acme/jobs" is not "/acme/job".
        #expect(ServerURL.root(of: "https://h/acme/jobs.git", repository: "acme/job") == nil)
    }
}
