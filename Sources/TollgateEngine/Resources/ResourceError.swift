/// Tollgate's `config/` and `Templates/` folders could not be found or read.
public enum ResourceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No place held the folders; each tried place with why it was not used.
    case notFound(tried: [String])
    /// A file that should be there could not be read.
    case unreadable(path: String, reason: String)

    public var description: String {
        switch self {
        case .notFound(let tried):
            return "cannot find Tollgate's config/ and Templates/ folders; tried:\n"
                + tried.map { "  - " + $0 }.joined(separator: "\n")
                + "\nset --home or TOLLGATE_HOME to the folder that holds them"
        case .unreadable(let path, let reason):
            return "cannot read \(path): \(reason)"
        }
    }
}
