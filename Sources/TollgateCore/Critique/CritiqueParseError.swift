/// A problem that makes a critique stream unusable, so the run is degraded.
///
/// The parser does not throw: it reports the error as a ``CritiqueEvent/degraded(_:)`` event and ignores
/// the rest of the stream, so the shell can record what happened and carry on without the critique.
public struct CritiqueParseError: Error, Sendable, Equatable, Codable, CustomStringConvertible {
    /// The kinds of fatal stream problems.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// Tags are not well formed or not balanced, a tag is out of place, or the stream ended mid-block.
        case malformedBlock = "malformed_block"
        /// A block (its tags included) or a single tag grew past `parserMaxBlockBytes`.
        case oversizeBlock = "oversize_block"
        /// The first round carried no `<ARTIFACT>`.
        case missingArtifact = "missing_artifact"
        /// A CDATA section appeared outside `<ARTIFACT>` and `<NOTES>`.
        case cdataOutOfPlace = "cdata_out_of_place"
        /// `<CRITIQUE_RUN version=...>` named a version this build cannot parse.
        case unsupportedVersion = "unsupported_version"
        /// The stream ended without ever opening `<CRITIQUE_RUN>`.
        case missingRun = "missing_run"
    }

    /// What went wrong.
    public var kind: Kind
    /// The byte offset in the stream (after ANSI escapes are removed) where the problem starts, if known.
    public var position: Int?
    /// A short human-readable explanation.
    public var detail: String

    /// Creates an error.
    public init(_ kind: Kind, position: Int? = nil, detail: String) {
        self.kind = kind
        self.position = position
        self.detail = detail
    }

    public var description: String {
        var text = self.kind.rawValue
        if let position { text += " at byte \(position)" }
        return text + ": " + self.detail
    }
}
