import Foundation
import GiteaKit
import HTTPKit
import Testing
import TollgateTestSupport

/// The test server's webhooks, checked by an independent receiver: signed deliveries for review verdicts, the event
/// headers and payload Gitea sends, and nothing for pending reviews, inactive hooks or hooks on other events.
@Suite(.runsProcesses, .serialized)
struct GiteaWebhookTests {
    let fixture: GiteaFixture

    init() throws {
        fixture = try GiteaFixture()
    }

    /// `POST /repos/{o}/{r}/hooks` as `account`; returns the status and the decoded body.
    func createHook(
        in repo: RepoRef,
        as account: GiteaTestServer.Account,
        url: String?,
        secret: String,
        events: [String],
        active: Bool = true
    ) async throws -> (status: Int, body: [String: Any]) {
        var config: [String: Any] = ["content_type": "json", "secret": secret]
        if let url { config["url"] = url }
        let body = try JSONSerialization.data(withJSONObject: [
            "type": "gitea", "config": config, "events": events, "active": active,
        ])
        let endpoint = fixture.server.baseURL.appendingPathComponent("api/v1/repos/\(repo.owner)/\(repo.name)/hooks")
        let response = try await CurlTransport().send(
            HTTPRequest(
                method: .post,
                url: endpoint,
                headers: ["Authorization": "token \(account.token)", "Content-Type": "application/json"],
                body: body
            )
        )
        let decoded = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any] ?? [:]
        return (response.status, decoded)
    }

    @Test func aReviewVerdictIsDeliveredSignedToTheHooksThatAskForIt() async throws {
        defer { fixture.server.stop() }
        let repo = try await fixture.makeRepository("hooks")
        let pull = try await fixture.openPullRequest(in: repo)
        let receiver = try HookReceiver(secret: "s3cret")
        defer { receiver.stop() }
        let bot = fixture.server.bot

        let right = try await createHook(
            in: repo,
            as: bot,
            url: receiver.url("/right"),
            secret: "s3cret",
            events: ["pull_request_review"]
        )
        #expect(right.status == 201, "\(right.body)")
        #expect((right.body["config"] as? [String: Any])?["url"] as? String == receiver.url("/right"))
        #expect((right.body["config"] as? [String: Any])?["secret"] == nil, "the secret is never echoed")
        #expect(right.body["events"] as? [String] == ["pull_request_review"])
        // Signed with another secret: the receiver must see its signatures fail.
        #expect(
            try await createHook(
                in: repo,
                as: bot,
                url: receiver.url("/wrong"),
                secret: "other",
                events: ["pull_request"]
            )
            .status == 201
        )
        #expect(
            try await createHook(
                in: repo,
                as: bot,
                url: receiver.url("/inactive"),
                secret: "s3cret",
                events: ["pull_request"],
                active: false
            ).status == 201
        )
        #expect(
            try await createHook(in: repo, as: bot, url: receiver.url("/push"), secret: "s3cret", events: ["push"])
                .status == 201
        )
        // Only repository admins manage hooks; a hook needs a URL.
        #expect(
            try await createHook(in: repo, as: fixture.server.alice, url: receiver.url("/x"), secret: "", events: [])
                .status == 403
        )
        #expect(try await createHook(in: repo, as: bot, url: nil, secret: "", events: []).status == 422)

        _ = try await fixture.alice.createReview(
            CreatePullReviewOptions(event: .pending, body: "a draft"),
            on: pull.number,
            in: repo
        )
        _ = try await fixture.alice.createReview(
            CreatePullReviewOptions(event: .approved, body: "Looks right"),
            on: pull.number,
            in: repo
        )
        _ = try await fixture.bob.createReview(
            CreatePullReviewOptions(event: .requestChanges, body: "Not yet"),
            on: pull.number,
            in: repo
        )

        // Two verdicts, each to the two active hooks that asked for review events. Every delivery was started
        // before its review's answer; once the server has none under way, the receiver has recorded them all (it
        // records before it answers), and a fifth would have been recorded too.
        let logged = try fixture.server.webhookDeliveries(settled: true)
        let deliveries = try receiver.deliveries()
        #expect(deliveries.count == 4, "\(deliveries.map(\.path))")
        #expect(Set(deliveries.map(\.path)) == ["/right", "/wrong"])
        let signed = deliveries.filter { $0.path == "/right" }
        #expect(signed.count == 2 && signed.allSatisfy { $0.giteaSignatureValid && $0.hubSignatureValid })
        #expect(
            deliveries.filter { $0.path == "/wrong" }.allSatisfy { !$0.giteaSignatureValid && !$0.hubSignatureValid }
        )

        let approval = try #require(signed.first { $0.headers["x-gitea-event"] == "pull_request_approved" })
        #expect(approval.headers["x-gitea-event-type"] == "pull_request_review_approved")
        #expect(approval.headers["x-gitea-delivery"]?.isEmpty == false)
        let payload = approval.payload
        #expect(payload["action"] as? String == "reviewed")
        #expect(payload["number"] as? Int == Int(pull.number))
        #expect((payload["pull_request"] as? [String: Any])?["number"] as? Int == Int(pull.number))
        #expect((payload["sender"] as? [String: Any])?["login"] as? String == "alice")
        let review = try #require(payload["review"] as? [String: Any])
        #expect(review["type"] as? String == "pull_request_review_approved")
        #expect(review["content"] as? String == "Looks right")

        let rejection = try #require(signed.first { $0.headers["x-gitea-event"] == "pull_request_rejected" })
        #expect(rejection.headers["x-gitea-event-type"] == "pull_request_review_rejected")
        #expect((rejection.payload["sender"] as? [String: Any])?["login"] as? String == "bob")

        // The hooks list has Gitea's shape.
        let listed = try await CurlTransport().send(
            HTTPRequest(
                method: .get,
                url: fixture.server.baseURL.appendingPathComponent("api/v1/repos/\(repo.owner)/\(repo.name)/hooks"),
                headers: ["Authorization": "token \(bot.token)"]
            )
        )
        #expect(listed.status == 200)
        let problems = try JSONSchemaValidator().problems(in: listed.body, schema: "Hook.json", isArray: true)
        #expect(problems.isEmpty, "\(problems)")
        #expect((try JSONSerialization.jsonObject(with: listed.body) as? [Any])?.count == 4)

        #expect(logged.count == 4 && logged.allSatisfy { $0.status == 200 })
    }
}
