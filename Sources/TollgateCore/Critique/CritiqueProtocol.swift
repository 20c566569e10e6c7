import Foundation

/// The versions of the critique wire protocol that the parser understands.
///
/// A critic announces its version in `<CRITIQUE_RUN version="1">`. The parser picks the grammar from
/// this value, so a later version can be added beside version 1 without changing how old transcripts
/// replay.
public enum CritiqueProtocol: Int, Sendable, Codable, CaseIterable, CustomStringConvertible {
    /// Protocol v1: `<CRITIQUE_RUN>`, `<ROUND>`, `<PANELIST>`, `<ROUND_END>`, `<SHIP>`.
    case v1 = 1

    /// The version this build writes into transcripts and expects from critics by default.
    public static let current: CritiqueProtocol = .v1

    /// Reads a `version` attribute value such as `"1"`; `nil` for versions this build cannot parse.
    public init?(attribute: String) {
        guard let number = Int(attribute.trimmingCharacters(in: .whitespaces)) else { return nil }
        self.init(rawValue: number)
    }

    public var description: String { "v\(self.rawValue)" }
}
