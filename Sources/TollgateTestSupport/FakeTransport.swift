import Foundation
import HTTPKit
import Synchronization

/// An ``HTTPTransport`` answered by a closure, recording every request: GiteaKit's tests of request shapes and
/// answers, with no server and no socket.
///
/// Like SwiftPM's `MockHTTPClient`: the test says what the server answers; the fake adds nothing of its own, so a
/// client that works against it has only the server's behaviour to meet.
public final class FakeTransport: HTTPTransport {
    public typealias Handler = @Sendable (HTTPRequest) throws(HTTPError) -> HTTPResponse

    private let handler: Handler
    private let log = Mutex<[HTTPRequest]>([])

    public init(_ handler: @escaping Handler) {
        self.handler = handler
    }

    /// Answers every request with `status` and `json` as the body.
    public convenience init(status: Int, json: String) {
        self.init { _ in
            HTTPResponse(status: status, headers: ["Content-Type": "application/json"], body: Data(json.utf8))
        }
    }

    /// The requests sent so far, in order.
    public var requests: [HTTPRequest] { log.withLock { $0 } }

    public func send(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse {
        log.withLock { $0.append(request) }
        return try handler(request)
    }
}
