/// A Gitea release number, compared numerically (`1.22.0 < 1.26.3`).
public struct GiteaVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The major number (1 for every Gitea so far).
    public var major: Int
    /// The minor number, for example 22 in 1.22.3.
    public var minor: Int
    /// The patch number, for example 3 in 1.22.3.
    public var patch: Int

    /// Creates a version.
    public init(_ major: Int, _ minor: Int, _ patch: Int = 0) {
        self.major = major
        self.minor = minor
        self.patch = patch
    }

    /// Reads the leading `major.minor[.patch]` of a string such as `v1.22.0-rc1+dev`; `nil` if absent.
    public init?(parsing text: String) {
        var rest = Substring(text)
        if rest.first == "v" { rest = rest.dropFirst() }
        let numeric = rest.prefix { $0.isNumber || $0 == "." }
        let parts = numeric.split(separator: ".", omittingEmptySubsequences: false).prefix(3).map { Int($0) }
        guard parts.count >= 2, let major = parts[0], let minor = parts[1] else { return nil }
        let patch = parts.count == 3 ? (parts[2] ?? 0) : 0
        self.init(major, minor, patch)
    }

    /// The oldest Gitea that Tollgate supports: 1.22 added `GET /pulls/{base}/{head}`.
    public static let minimumSupported = GiteaVersion(1, 22, 0)

    public static func < (lhs: GiteaVersion, rhs: GiteaVersion) -> Bool {
        (lhs.major, lhs.minor, lhs.patch) < (rhs.major, rhs.minor, rhs.patch)
    }

    public var description: String { "\(self.major).\(self.minor).\(self.patch)" }
}
