import Foundation
import GiteaKit
import HTTPKit
import Testing
import TollgateTestSupport

/// The emulator's responses checked against the JSON schemas of Gitea's definitions.
@Suite(.runsProcesses, .timeLimit(.minutes(10)))
struct GiteaSchemaTests {
    @Test func validatorRejectsWrongTypesMissingAndUnknownFields() async throws {
        let validator = try JSONSchemaValidator()
        let good = Data(#"{"version": "1.26.3"}"#.utf8)
        #expect(validator.problems(in: good, schema: "ServerVersion.json").isEmpty)
        #expect(validator.problems(in: Data(#"{"version": 1}"#.utf8), schema: "ServerVersion.json").count == 1)
        #expect(
            validator.problems(in: Data(#"{}"#.utf8), schema: "ServerVersion.json") == ["$: missing required version"]
        )
        #expect(
            validator.problems(in: Data(#"{"version": "1", "extra": true}"#.utf8), schema: "ServerVersion.json")
                == ["$: unexpected field extra"]
        )
        let badReview = Data(#"[{"id": 1, "state": "MAYBE"}]"#.utf8)
        #expect(
            validator.problems(in: badReview, schema: "PullReview.json", isArray: true).contains {
                $0.contains("MAYBE")
            }
        )
    }

    @Test func serverResponsesMatchGiteasDefinitions() async throws {
        let validator = try JSONSchemaValidator()
        #expect(validator.schemaNames.count >= 8)
        let fixture = try GiteaFixture()
        let repo = try await fixture.makeRepository()
        let pull = try await fixture.openPullRequest(in: repo)
        _ = try await fixture.bot.requestReviewers(["bob"], on: pull.number, in: repo)
        let review = try await fixture.alice.createReview(
            CreatePullReviewOptions(
                event: .approved,
                body: "ok",
                comments: [.init(path: "plan.md", body: "nice", newLine: 1)]
            ),
            on: pull.number,
            in: repo
        )
        _ = try await fixture.bot.postComment("hello", on: pull.number, in: repo, marker: "<!-- k -->")

        let transport = fixture.transport()
        let base = "api/v1/repos/\(repo.owner)/\(repo.name)"
        let checks: [(path: String, schema: String, isArray: Bool, status: Int)] = [
            ("api/v1/version", "ServerVersion.json", false, 200),
            ("api/v1/user", "User.json", false, 200),
            (base, "Repository.json", false, 200),
            ("\(base)/pulls/\(pull.number)", "PullRequest.json", false, 200),
            ("\(base)/pulls/main/phase-1-strategic", "PullRequest.json", false, 200),
            ("\(base)/pulls?state=all", "PullRequest.json", true, 200),
            ("\(base)/pulls/\(pull.number)/reviews", "PullReview.json", true, 200),
            ("\(base)/pulls/\(pull.number)/reviews/\(review.id)", "PullReview.json", false, 200),
            ("\(base)/pulls/\(pull.number)/reviews/\(review.id)/comments", "PullReviewComment.json", true, 200),
            ("\(base)/issues/\(pull.number)/comments", "Comment.json", true, 200),
            ("\(base)/collaborators", "User.json", true, 200),
            ("\(base)/collaborators/alice/permission", "RepoCollaboratorPermission.json", false, 200),
            ("\(base)/collaborators/nobody", "APIError.json", false, 422),
            ("\(base)/pulls/99", "APIError.json", false, 404),
            ("\(base)/pulls/\(pull.number)/merge", "APIError.json", false, 404),
        ]
        for check in checks {
            let body = try await self.get(check.path, transport: transport, fixture: fixture, status: check.status)
            let problems = validator.problems(in: body, schema: check.schema, isArray: check.isArray)
            #expect(problems.isEmpty, "\(check.path): \(problems.joined(separator: "\n"))")
        }

        let unauthorized = try await transport.send(
            HTTPRequest(
                method: .get,
                url: fixture.server.baseURL.appendingPathComponent("api/v1/user"),
                headers: ["Authorization": "token bad"]
            )
        )
        #expect(unauthorized.status == 401)
        #expect(validator.problems(in: unauthorized.body, schema: "APIError.json").isEmpty)

        _ = try await fixture.bot.merge(pull.number, in: repo, MergeOptions(headCommitID: pull.head.sha))
        let merged = try await self.get(
            "\(base)/pulls/\(pull.number)",
            transport: transport,
            fixture: fixture,
            status: 200
        )
        #expect(validator.problems(in: merged, schema: "PullRequest.json").isEmpty)
    }

    private func get(_ path: String, transport: CurlTransport, fixture: GiteaFixture, status: Int) async throws -> Data
    {
        let url = try #require(URL(string: fixture.server.baseURL.absoluteString + path))
        let response = try await transport.send(
            HTTPRequest(method: .get, url: url, headers: ["Authorization": "token \(fixture.server.bot.token)"])
        )
        #expect(response.status == status, "\(path)")
        return response.body
    }
}
