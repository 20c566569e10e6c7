import Foundation

/// One HTTP request: method, URL, headers and body, plus how a transport may retry it.
public struct HTTPRequest: Sendable {
    /// The request method.
    public var method: HTTPMethod
    /// The absolute URL, query included.
    public var url: URL
    /// Request headers.
    ///
    /// `Authorization` is sent but never appears in errors or logs.
    public var headers: HTTPHeaders
    /// The request body, or `nil` for none.
    public var body: Data?
    /// Whether sending the request twice has the same effect as sending it once.
    ///
    /// Defaults to the method's HTTP semantics (GET, PUT, DELETE… yes; POST, PATCH no). A transport
    /// retries a non-idempotent request only when it provably never reached the server (the connection
    /// could not be made), unless the caller sets this to `true`.
    public var isIdempotent: Bool
    /// A caller-supplied rule that marks a response as transient, so the transport retries it even though
    /// its status is not one retried by default (for example Gitea's merge answering 405 "Please try again later").
    ///
    /// The caller vouches that repeating the request is safe when this returns `true`.
    public var retryWhen: (@Sendable (HTTPResponse) -> Bool)?

    /// Creates a request.
    public init(
        method: HTTPMethod,
        url: URL,
        headers: HTTPHeaders = [:],
        body: Data? = nil,
        isIdempotent: Bool? = nil,
        retryWhen: (@Sendable (HTTPResponse) -> Bool)? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.isIdempotent = isIdempotent ?? method.isIdempotent
        self.retryWhen = retryWhen
    }
}
