/// A user name and password (or token) for HTTP(S) remotes.
///
/// Never printed: the description hides the password.
public struct Credentials: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The user name sent with Basic authentication.
    public var username: String
    /// The password or access token.
    public var password: String

    /// Creates credentials; for a Gitea token, pass it as the password.
    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }

    public var description: String { "Credentials(username: \(username), password: <redacted>)" }
    public var debugDescription: String { description }
}
