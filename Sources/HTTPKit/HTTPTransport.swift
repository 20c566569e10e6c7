/// Sends one HTTP request and returns its response: the seam between an API client and the network.
///
/// A transport returns every response it receives, 4xx and 5xx included; it throws only when no usable
/// response arrived (the connection failed, timed out, or the task was cancelled). Retrying is the
/// transport's business (see ``CurlTransport``), so callers see one call per logical request.
public protocol HTTPTransport: Sendable {
    /// Sends `request` and returns the final response.
    ///
    /// - Throws: ``HTTPError`` when no response could be obtained; it names the method and URL and never
    ///   contains the `Authorization` header.
    func send(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse
}
