import Foundation
import GiteaKit
import HTTPKit
import Testing
import TollgateTestSupport

/// The client's requests and its reading of answers, over ``FakeTransport``: no server, no socket.
@Suite(.runsProcesses)
struct GiteaClientTransportTests {
    let base: URL

    init() throws {
        base = try #require(URL(string: "https://gitea.example.com/"))
    }

    @Test func theTokenGoesInTheAuthorizationHeaderOnlyAndTheUserIsDecoded() async throws {
        let transport = FakeTransport(status: 200, json: #"{"id": 7, "login": "tollgate-bot"}"#)
        let client = GiteaClient(baseURL: base, token: "s3cret", transport: transport)
        let user = try await client.currentUser()
        #expect(user.login == "tollgate-bot")
        let request = try #require(transport.requests.first)
        #expect(transport.requests.count == 1)
        #expect(request.method == .get)
        #expect(request.url.absoluteString == "https://gitea.example.com/api/v1/user")
        #expect(request.headers["Authorization"] == "token s3cret")
        #expect(!request.url.absoluteString.contains("s3cret"))
    }

    @Test func aRefusedTokenIsUnauthorized() async throws {
        let transport = FakeTransport(status: 401, json: #"{"message": "invalid username, password or token"}"#)
        let client = GiteaClient(baseURL: base, token: "t0k3n-refused", transport: transport)
        let error = try await #require(throws: GiteaError.self) { try await client.currentUser() }
        #expect(error.kind == .unauthorized)
        #expect(!error.description.contains("t0k3n-refused"))
    }
}
