import Foundation

/// The outcome of a critique run: its status, every round's scores and the warnings.
///
/// This is what `summary.json` holds. ``encodedJSON()`` writes it with sorted keys so the file is
/// stable and diffs well; composites are rounded to two decimals.
public struct CritiqueSummary: Sendable, Equatable, Codable {
    /// The protocol version the transcript was parsed with.
    public var protocolVersion: Int
    /// How the run ended.
    public var status: CritiqueStatus
    /// The composite of the shipped round, or of the best round when nothing shipped; `nil` with no round.
    public var composite: Double?
    /// The open must-fix count of the same round as ``composite``.
    public var openMustFix: Int?
    /// The round whose artifact is kept, if any.
    public var shippedRound: Int?
    /// The ship threshold used.
    public var threshold: Double
    /// The top of the score range used.
    public var scale: Double
    /// The round limit used.
    public var maxRounds: Int
    /// The fallback policy used.
    public var fallbackPolicy: CritiqueConfig.FallbackPolicy
    /// Every round the scoreboard counted, in order.
    public var rounds: [Round]
    /// Every warning from the parser and the scoreboard, in stream order.
    public var warnings: [CritiqueWarning]
    /// Why the stream was unusable, when ``status`` is ``CritiqueStatus/degraded``.
    public var degradedReason: CritiqueParseError?
    /// A short explanation of the status: the timeout, the exit status, the fallback used.
    public var cause: String?

    /// One counted round.
    public struct Round: Sendable, Equatable, Codable {
        /// The round's number.
        public var n: Int
        /// The recomputed composite, rounded to two decimals.
        public var composite: Double
        /// The composite the critic claimed, if any.
        public var streamComposite: Double?
        /// The open must-fix count: every panelist's count plus one for each missing scoring role.
        public var openMustFix: Int
        /// Each panel role's result, in panel order, roles the critic skipped included.
        public var panelists: [Panelist]
        /// Every must-fix item, in panel order.
        public var mustFix: [MustFix]
        /// The scoreboard's decision (the critic's own is overridden when it differs).
        public var decision: CritiqueDecision
        /// The critic's `<REASON>`, if any.
        public var reason: String?

        /// Creates a round.
        public init(
            n: Int,
            composite: Double,
            streamComposite: Double? = nil,
            openMustFix: Int,
            panelists: [Panelist],
            mustFix: [MustFix],
            decision: CritiqueDecision,
            reason: String? = nil
        ) {
            self.n = n
            self.composite = composite
            self.streamComposite = streamComposite
            self.openMustFix = openMustFix
            self.panelists = panelists
            self.mustFix = mustFix
            self.decision = decision
            self.reason = reason
        }
    }

    /// One panelist's result in a round.
    public struct Panelist: Sendable, Equatable, Codable {
        /// The role.
        public var role: PanelistRole
        /// The score used in the composite; `nil` when the panelist gave none (it then does not count).
        public var score: Double?
        /// Whether the role was missing from the round (it then scores 0).
        public var missing: Bool
        /// The role's weight.
        public var weight: Double
        /// The scored dimensions.
        public var dimensions: [CritiqueEvent.Dimension]
        /// The panelist's notes, if any.
        public var notes: String?

        /// Creates a panelist result.
        public init(
            role: PanelistRole,
            score: Double?,
            missing: Bool = false,
            weight: Double,
            dimensions: [CritiqueEvent.Dimension] = [],
            notes: String? = nil
        ) {
            self.role = role
            self.score = score
            self.missing = missing
            self.weight = weight
            self.dimensions = dimensions
            self.notes = notes
        }
    }

    /// One must-fix item and who raised it.
    public struct MustFix: Sendable, Equatable, Codable {
        /// The role that raised it.
        public var role: PanelistRole
        /// What must be fixed.
        public var text: String

        /// Creates a must-fix item.
        public init(role: PanelistRole, text: String) {
            self.role = role
            self.text = text
        }
    }

    /// The summary as pretty-printed JSON with sorted keys and a final newline.
    public func encodedJSON() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(self)
        data.append(0x0A)
        return data
    }

    /// Reads a summary written by ``encodedJSON()``.
    public static func decoded(from data: Data) throws -> CritiqueSummary {
        try JSONDecoder().decode(CritiqueSummary.self, from: data)
    }
}
