import Foundation

/// Who made a commit and when.
public struct Signature: Sendable, Equatable {
    /// The person's name, as written into the commit.
    public var name: String
    /// The person's e-mail address.
    public var email: String
    /// When; nil means "now" when a commit is written.
    ///
    /// Commits read back always carry a date, with seconds precision.
    public var date: Date?

    /// Creates a signature; leave `date` nil to stamp commits with the current time.
    public init(name: String, email: String, date: Date? = nil) {
        self.name = name
        self.email = email
        self.date = date
    }
}
