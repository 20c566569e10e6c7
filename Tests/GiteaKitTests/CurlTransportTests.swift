import Foundation
import GiteaKit
import HTTPKit
import Testing
import TollgateTestSupport

/// CurlTransport against the test server: headers, retries, backoff, and failures that name the request.
@Suite(.runsProcesses, .timeLimit(.minutes(10)))
struct CurlTransportTests {
    private func get(_ fixture: GiteaFixture, _ path: String, token: String? = nil) -> HTTPRequest {
        var headers: HTTPHeaders = ["Accept": "application/json"]
        if let token { headers.add(name: "Authorization", value: "token \(token)") }
        return HTTPRequest(method: .get, url: fixture.server.baseURL.appendingPathComponent(path), headers: headers)
    }

    @Test func readsStatusHeadersAndBody() async throws {
        let fixture = try GiteaFixture()
        let transport = fixture.transport()
        let response = try await transport.send(self.get(fixture, "api/v1/version"))
        #expect(response.status == 200)
        #expect(response.attempts == 1)
        #expect(response.headers["content-type"]?.hasPrefix("application/json") == true)
        let decoded = try JSONDecoder().decode(ServerVersion.self, from: response.body)
        #expect(decoded.version == "1.26.3")
    }

    @Test func readsPaginationHeaders() async throws {
        let fixture = try GiteaFixture()
        let repo = try await fixture.makeRepository()
        for index in 1...3 {
            try await fixture.push(["f\(index).txt": "\(index)\n"], to: "branch-\(index)", in: repo)
            _ = try await fixture.bot.createPullRequest(
                CreatePullRequestOptions(head: "branch-\(index)", base: "main", title: "PR \(index)"),
                in: repo
            )
        }
        var request = self.get(fixture, "api/v1/repos/tollgate-bot/job/pulls", token: fixture.server.bot.token)
        request.url = try #require(URL(string: request.url.absoluteString + "?limit=1&page=2"))
        let response = try await fixture.transport().send(request)
        #expect(response.totalCount == 3)
        let links = response.links
        #expect(links["next"]?.query?.contains("page=3") == true)
        #expect(links["last"]?.query?.contains("page=3") == true)
        #expect(links["first"]?.query?.contains("page=1") == true)
        #expect(links["prev"]?.query?.contains("page=1") == true)
    }

    @Test func retriesABurstOf502s() async throws {
        let fixture = try GiteaFixture()
        try fixture.server.failNextRequests(2, status: 502)
        try fixture.server.resetRequestLog()
        let response = try await fixture.transport().send(self.get(fixture, "api/v1/version"))
        #expect(response.status == 200)
        #expect(response.attempts == 3)
        #expect(try fixture.server.requests().map(\.status) == [502, 502, 200])
        let delays = fixture.sleeps.recorded
        #expect(delays.count == 2)
        // Equal jitter: retry n waits between half and all of 0.25 s · 2^(n-1).
        #expect(delays[0] >= .milliseconds(125) && delays[0] <= .milliseconds(250))
        #expect(delays[1] >= .milliseconds(250) && delays[1] <= .milliseconds(500))
    }

    @Test func returnsTheLast502WhenRetriesRunOut() async throws {
        let fixture = try GiteaFixture()
        try fixture.server.failNextRequests(10, status: 502)
        let response = try await fixture.transport(retry: RetryPolicy(maxAttempts: 3)).send(
            self.get(fixture, "api/v1/version")
        )
        #expect(response.status == 502)
        #expect(response.attempts == 3)
    }

    @Test func retriesADroppedConnection() async throws {
        let fixture = try GiteaFixture()
        try fixture.server.dropNextConnections(1)
        let response = try await fixture.transport().send(self.get(fixture, "api/v1/version"))
        #expect(response.status == 200)
        #expect(response.attempts == 2)
    }

    @Test func honoursRetryAfter() async throws {
        let fixture = try GiteaFixture()
        try fixture.server.failNextRequests(1, status: 503, retryAfter: 3)
        let response = try await fixture.transport().send(self.get(fixture, "api/v1/version"))
        #expect(response.status == 200)
        #expect(fixture.sleeps.recorded == [.seconds(3)])
    }

    @Test func neverRetriesOther4xx() async throws {
        let fixture = try GiteaFixture()
        try fixture.server.resetRequestLog()
        let response = try await fixture.transport().send(self.get(fixture, "api/v1/user", token: "wrong"))
        #expect(response.status == 401)
        #expect(try fixture.server.requests().count == 1)
        #expect(fixture.sleeps.recorded.isEmpty)
    }

    @Test func doesNotRepeatAPostThatReachedTheServer() async throws {
        let fixture = try GiteaFixture()
        let repo = try await fixture.makeRepository()
        let pull = try await fixture.openPullRequest(in: repo)
        try fixture.server.failNextRequests(1, status: 502, method: "POST")
        try fixture.server.resetRequestLog()
        let error = await expectGiteaError(.serverError) {
            try await fixture.bot.createReview(
                CreatePullReviewOptions(event: .comment, body: "x"),
                on: pull.number,
                in: repo
            )
        }
        #expect(error?.status == 502)
        #expect(error?.message == "Bad Gateway")
        #expect(try fixture.server.requests().filter { $0.method == "POST" }.count == 1)

        try fixture.server.dropNextConnections(1, method: "POST")
        let dropped = await expectGiteaError(.transport) {
            try await fixture.bot.createReview(
                CreatePullReviewOptions(event: .comment, body: "x"),
                on: pull.number,
                in: repo
            )
        }
        #expect(dropped?.transportError?.attempts == 1)
    }

    @Test func aServerThatIsDownGivesAClearError() async throws {
        let fixture = try GiteaFixture()
        let url = fixture.server.baseURL
        fixture.server.stop()
        let transport = fixture.transport(retry: RetryPolicy(maxAttempts: 3))
        let secret = "s3cr3t-token-value"
        let request = HTTPRequest(
            method: .post,
            url: url.appendingPathComponent("api/v1/user/repos"),
            headers: ["Authorization": "token \(secret)"],
            body: Data("{}".utf8)
        )
        do {
            let response = try await transport.send(request)
            Issue.record("expected a failure, got \(response.status)")
        } catch {
            // A POST is retried when the connection was refused: it never reached the server.
            #expect(error.attempts == 3)
            #expect(error.curlError?.kind == .couldNotConnect)
            let text = "\(error)"
            #expect(text.contains("POST \(url.absoluteString)api/v1/user/repos"))
            #expect(text.contains("check that the server is running"))
            #expect(!text.contains(secret))
        }
        let client = GiteaClient(baseURL: url, token: secret, transport: transport)
        let giteaError = await expectGiteaError(.transport) { try await client.serverVersion() }
        #expect(giteaError.map { "\($0)" }?.contains(secret) == false)
    }

    @Test func errorsRedactCredentialsInTheURL() async throws {
        let url = try #require(URL(string: "https://user:pw@example.com/api/v1/x?token=abc&page=2"))
        let error = HTTPError(method: .get, url: url, attempts: 1, reason: .cancelled)
        #expect(error.url == "https://example.com/api/v1/x?token=REDACTED&page=2")
    }

    @Test func backoffIsCappedAndJittered() async {
        let policy = RetryPolicy(maxAttempts: 10, baseDelay: .milliseconds(250), maxDelay: .seconds(8))
        #expect(policy.backoff(beforeRetry: 1, jitter: 0) == .milliseconds(125))
        #expect(policy.backoff(beforeRetry: 1, jitter: 1) == .milliseconds(250))
        #expect(policy.backoff(beforeRetry: 3, jitter: 1) == .seconds(1))
        #expect(policy.backoff(beforeRetry: 9, jitter: 1) == .seconds(8))
        #expect(policy.backoff(beforeRetry: 9, jitter: 0) == .seconds(4))
    }

    @Test func countsAttemptsAcrossRequests() async throws {
        let fixture = try GiteaFixture()
        let transport = fixture.transport()
        try fixture.server.failNextRequests(1)
        for _ in 0..<5 { _ = try await transport.send(self.get(fixture, "api/v1/version")) }
        #expect(transport.attemptCount == 6)
    }
}
