import Foundation
import GiteaKit
import HTTPKit
import Testing
import TollgateTestSupport

/// CurlTransport's connect and total timeouts against servers that answer too late or never accept.
@Suite(.runsProcesses, .timeLimit(.minutes(10)))
struct CurlTransportTimeoutTests {
    /// A transport that gives up on an attempt after `timeout`, with recorded (not slept) backoff.
    private func transport(_ fixture: GiteaFixture, timeout: Duration = .seconds(1), attempts: Int) -> CurlTransport {
        CurlTransport(
            configuration: .init(
                connectTimeout: .seconds(1),
                timeout: timeout,
                retry: RetryPolicy(maxAttempts: attempts)
            ),
            sleep: fixture.sleeps.sleep
        )
    }

    private func version(_ url: URL) -> HTTPRequest {
        HTTPRequest(
            method: .get,
            url: url.appendingPathComponent("api/v1/version"),
            headers: ["Accept": "application/json"]
        )
    }

    @Test func aRequestSlowerThanTheTotalTimeoutFailsNamingTheRequestAndTheTimeoutAfterItsRetries() async throws {
        let fixture = try GiteaFixture()
        try fixture.server.slowNextRequests(5, delay: .seconds(4), pathContains: "/version")
        try fixture.server.resetRequestLog()
        let started = ContinuousClock.now
        do {
            let response = try await self.transport(fixture, attempts: 2).send(self.version(fixture.server.baseURL))
            Issue.record("expected a timeout, got \(response.status)")
        } catch {
            let elapsed = ContinuousClock.now - started
            #expect(error.curlError?.kind == .timedOut)
            #expect(error.attempts == 2)
            let text = "\(error)"
            #expect(text.contains("GET \(fixture.server.baseURL.absoluteString)api/v1/version failed after 2 attempts"))
            #expect(text.contains("timeout of 1 s"))
            #expect(text.contains("check that the server is up"))
            #expect(text.contains("raise the timeout"))
            // Each attempt waited out the 1 s limit (the server would have answered after 4 s).
            #expect(elapsed >= .milliseconds(1900))
        }
        // Both attempts reached the server; the backoff between them was asked for once.
        let slow = try fixture.server.requests().filter { $0.path == "/api/v1/version" }
        #expect(slow.map(\.fault) == ["slow", "slow"])
        #expect(fixture.sleeps.recorded.count == 1)
    }

    @Test func aRequestSlowOnlyTheFirstTimeSucceedsOnTheRetry() async throws {
        let fixture = try GiteaFixture()
        try fixture.server.slowNextRequests(1, delay: .seconds(4), pathContains: "/version")
        try fixture.server.resetRequestLog()
        let response = try await self.transport(fixture, attempts: 3).send(self.version(fixture.server.baseURL))
        #expect(response.status == 200)
        #expect(response.attempts == 2)
        let decoded = try JSONDecoder().decode(ServerVersion.self, from: response.body)
        #expect(decoded.version == "1.26.3")
        let logged = try fixture.server.requests().filter { $0.path == "/api/v1/version" }
        #expect(logged.map(\.fault) == ["slow", nil])
        #expect(logged.last?.status == 200)
    }

    @Test func aSlowAnswerWithinTheTimeoutIsNotRetried() async throws {
        let fixture = try GiteaFixture()
        try fixture.server.slowNextRequests(1, delay: .milliseconds(300), pathContains: "/version")
        try fixture.server.resetRequestLog()
        let response = try await self.transport(fixture, timeout: .seconds(2), attempts: 3)
            .send(self.version(fixture.server.baseURL))
        #expect(response.status == 200)
        #expect(response.attempts == 1)
        #expect(try fixture.server.requests().filter { $0.path == "/api/v1/version" }.count == 1)
    }

    @Test func aClientRequestThatTimesOutIsATransportErrorWithTheSameHint() async throws {
        let fixture = try GiteaFixture()
        try fixture.server.slowNextRequests(3, delay: .seconds(4), pathContains: "/version")
        let client = GiteaClient(
            baseURL: fixture.server.baseURL,
            token: fixture.server.bot.token,
            transport: self.transport(fixture, attempts: 1)
        )
        let error = await expectGiteaError(.transport) { try await client.serverVersion() }
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains("GET "))
        #expect(text.contains("api/v1/version"))
        #expect(text.contains("timeout of 1 s"))
        #expect(!text.contains(fixture.server.bot.token))
    }

    @Test func aServerThatNeverAcceptsHitsTheConnectTimeout() async throws {
        let fixture = try GiteaFixture()
        let listener = try FullBacklogListener()
        defer { listener.stop() }
        let url = try #require(URL(string: "http://127.0.0.1:\(listener.port)/"))
        let transport = CurlTransport(
            configuration: .init(
                connectTimeout: .seconds(1),
                timeout: .seconds(30),
                retry: RetryPolicy(maxAttempts: 2)
            ),
            sleep: fixture.sleeps.sleep
        )
        let started = ContinuousClock.now
        do {
            let response = try await transport.send(self.version(url))
            Issue.record("expected a connect timeout, got \(response.status)")
        } catch {
            let elapsed = ContinuousClock.now - started
            #expect(error.curlError?.kind == .timedOut)
            #expect(error.attempts == 2)
            #expect("\(error)".contains("(connecting: 1 s)"))
            #expect("\(error)".contains("raise the timeout"))
            // The 1 s connect limit applied to each of the two attempts (the message names the connect phase and its
            // limit, not the 30 s total). No upper bound on the wall clock: a loaded machine only makes it longer.
            #expect(elapsed >= .milliseconds(1900))
        }
    }
}
