/// The role a panelist plays on the critique panel, such as `critic` or `a11y`.
///
/// Roles are data: the panel a run expects is a list of roles in ``CritiqueConfig/panel``, so a
/// configuration can name roles beyond the five standard ones without a code change.
public struct PanelistRole: RawRepresentable, Hashable, Comparable, Sendable, Codable, CodingKeyRepresentable,
    ExpressibleByStringLiteral, CustomStringConvertible
{
    /// The role's name as it appears in the `role` attribute of a `<PANELIST>` tag.
    public let rawValue: String

    /// Creates a role from its name.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Creates a role from a string literal.
    public init(stringLiteral value: String) { self.rawValue = value }

    /// The panelist who drafts the artifact; it carries the artifact and does not score by default.
    public static let designer: PanelistRole = "designer"
    /// The panelist who judges structure and substance.
    public static let critic: PanelistRole = "critic"
    /// The panelist who judges fit with the house voice and conventions.
    public static let brand: PanelistRole = "brand"
    /// The panelist who judges accessibility and readability.
    public static let a11y: PanelistRole = "a11y"
    /// The panelist who judges the wording.
    public static let copy: PanelistRole = "copy"

    /// The five standard roles, in the order a round lists them.
    public static let standardPanel: [PanelistRole] = [.designer, .critic, .brand, .a11y, .copy]

    public var description: String { self.rawValue }

    public static func < (lhs: PanelistRole, rhs: PanelistRole) -> Bool { lhs.rawValue < rhs.rawValue }
}
