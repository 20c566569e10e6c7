/// A problem in a critique stream that the parser or the scoreboard recovered from.
///
/// Warnings never stop a run. They are kept in the transcript and the summary so a reviewer can see
/// where the critic strayed from the protocol.
public struct CritiqueWarning: Sendable, Equatable, Codable, CustomStringConvertible {
    /// The kinds of recoverable problems.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// A `<PANELIST>` named a role that is not on the panel; the block was dropped.
        case unknownRole = "unknown_role"
        /// A role appeared twice in one round; the later block was dropped.
        case duplicateRole = "duplicate_role"
        /// A score was outside `0...scale` and was clamped to the nearest bound.
        case scoreClamped = "score_clamped"
        /// A score was not a number; it was ignored.
        case invalidScore = "invalid_score"
        /// The stream's `composite` differs from the recomputed one by more than 0.05.
        case compositeMismatch = "composite_mismatch"
        /// The stream's `must_fix` count on `<ROUND_END>` differs from the recomputed one.
        case mustFixMismatch = "must_fix_mismatch"
        /// The stream's decision differs from the scoreboard's; the scoreboard's wins.
        case decisionOverridden = "decision_overridden"
        /// A panel role was missing from a round; it scored 0 and counted as one open must-fix.
        case missingRole = "missing_role"
        /// A second `<SHIP>` block was dropped; the first one wins.
        case duplicateShip = "duplicate_ship"
        /// `<SHIP>` disagrees with the scoreboard about the round that ships.
        case shipMismatch = "ship_mismatch"
        /// A `decision` attribute was neither `continue` nor `ship`; `continue` was used.
        case unknownDecision = "unknown_decision"
        /// A round that did not ship lacked two panelists with differing must-fix items.
        case weakDebate = "weak_debate"
        /// `<CRITIQUE_RUN>` carried no `version`; version 1 was assumed.
        case versionMissing = "version_missing"
        /// A round's `n` was missing, not increasing, or disagreed with `<ROUND_END>`; it was renumbered.
        case roundRenumbered = "round_renumbered"
        /// A round closed without `<ROUND_END>`; its decision defaulted to `continue`.
        case missingRoundEnd = "missing_round_end"
        /// A round arrived after the run had already shipped or used up `maxRounds`; it was ignored.
        case roundIgnored = "round_ignored"
        /// The kept artifact failed a lint check (a `TODO` marker, placeholder text, a broken relative
        /// link). The engine raises these, not the parser; ``CritiqueWarning/lint(_:line:)`` makes one.
        case lint
        /// A hard seconds cap of the budget left the critic less than its total timeout, and the run was stopped
        /// there. The engine raises it, just before `timed_out` with scope `budget`; `detail` names the cap and the
        /// command that raises it.
        case budget
    }

    /// What went wrong.
    public var kind: Kind
    /// The byte offset in the stream (after ANSI escapes are removed) of the tag concerned, if known.
    public var position: Int?
    /// The round concerned, if any.
    public var round: Int?
    /// A short human-readable explanation.
    public var detail: String

    /// Creates a warning.
    public init(_ kind: Kind, position: Int? = nil, round: Int? = nil, detail: String) {
        self.kind = kind
        self.position = position
        self.round = round
        self.detail = detail
    }

    /// A lint finding in the kept artifact: `detail` says what is wrong, `line` (1-based) where, if known.
    ///
    /// A lint warning has no byte offset, since it concerns the artifact rather than the critic's
    /// stream; the line goes into the detail so the report shows it.
    public static func lint(_ detail: String, line: Int? = nil) -> CritiqueWarning {
        CritiqueWarning(.lint, detail: line.map { "line \($0): \(detail)" } ?? detail)
    }

    public var description: String {
        var text = self.kind.rawValue
        if let round { text += " (round \(round))" }
        if let position { text += " at byte \(position)" }
        return text + ": " + self.detail
    }
}
