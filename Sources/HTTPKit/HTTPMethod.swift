/// An HTTP request method, such as `GET` or `POST`.
///
/// A method knows whether repeating it is safe by the HTTP rules (`isIdempotent`); a request can
/// override that when the caller knows better (see ``HTTPRequest/isIdempotent``).
public struct HTTPMethod: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The method's token as sent on the wire, in upper case.
    public let rawValue: String

    /// Creates a method from its token; the token is upper-cased.
    public init(rawValue: String) {
        self.rawValue = rawValue.uppercased()
    }

    public static let get = HTTPMethod(rawValue: "GET")
    public static let head = HTTPMethod(rawValue: "HEAD")
    public static let post = HTTPMethod(rawValue: "POST")
    public static let put = HTTPMethod(rawValue: "PUT")
    public static let patch = HTTPMethod(rawValue: "PATCH")
    public static let delete = HTTPMethod(rawValue: "DELETE")
    public static let options = HTTPMethod(rawValue: "OPTIONS")

    /// Whether HTTP defines the method as idempotent (RFC 9110 §9.2.2): GET, HEAD, PUT, DELETE, OPTIONS.
    public var isIdempotent: Bool {
        ["GET", "HEAD", "PUT", "DELETE", "OPTIONS"].contains(self.rawValue)
    }

    public var description: String { self.rawValue }
}
