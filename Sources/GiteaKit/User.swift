/// A Gitea account, as embedded in pull requests, reviews and comments.
///
/// Only the fields Tollgate reads are decoded; Gitea's other fields are ignored.
public struct User: Codable, Sendable, Equatable, Hashable {
    /// The account's numeric id (`-1` for the ghost user of a deleted account).
    public var id: Int64
    /// The login name, for example `alice`.
    public var login: String
    /// The display name; empty when not set.
    public var fullName: String?
    /// The e-mail address, when the token's user may see it.
    public var email: String?
    /// Whether the account is a site administrator.
    public var isAdmin: Bool?
    /// The account's web page.
    public var htmlURL: String?

    /// Creates a user value.
    public init(
        id: Int64,
        login: String,
        fullName: String? = nil,
        email: String? = nil,
        isAdmin: Bool? = nil,
        htmlURL: String? = nil
    ) {
        self.id = id
        self.login = login
        self.fullName = fullName
        self.email = email
        self.isAdmin = isAdmin
        self.htmlURL = htmlURL
    }

    enum CodingKeys: String, CodingKey {
        case id, login, email
        case fullName = "full_name"
        case isAdmin = "is_admin"
        case htmlURL = "html_url"
    }
}
