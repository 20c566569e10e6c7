/// One thing that happened in a critique run, as the parser or the shell saw it.
///
/// The parser turns a critic's stdout into these events; the shell adds the ones only it can know
/// (``timedOut(_:)``, ``interrupted``, ``processFailed(exitStatus:)``). The ``Scoreboard`` gives them
/// meaning, and a transcript stores them one a line, so a replay feeds the scoreboard the same values.
///
/// Encoded as a flat JSON object with a `type` field (`"round_started"`, `"panelist"`...).
public enum CritiqueEvent: Sendable, Equatable, Codable {
    /// `<CRITIQUE_RUN>` opened.
    case runStarted(RunStart)
    /// `<ROUND n=...>` opened.
    case roundStarted(round: Int)
    /// A `<PANELIST>` block closed, with everything it said.
    case panelist(Panelist)
    /// A round's `<ROUND_END>` closed (or the round closed without one), with the stream's own figures.
    case roundEnded(RoundEnd)
    /// The first `<SHIP>` block closed.
    case ship(Ship)
    /// `</CRITIQUE_RUN>` closed the run.
    case runFinished
    /// The parser or the shell recovered from a problem.
    case warning(CritiqueWarning)
    /// The stream became unusable; no event follows from the parser.
    case degraded(CritiqueParseError)
    /// The shell's clock ran out for a round or for the whole run.
    case timedOut(TimeoutScope)
    /// A user stopped the run.
    case interrupted
    /// The critic process exited with a non-zero status (or was killed by a signal, as a negative status).
    case processFailed(exitStatus: Int)

    /// The attributes of `<CRITIQUE_RUN>`, as the critic announced them.
    public struct RunStart: Sendable, Equatable, Codable {
        /// The protocol version the stream is parsed with.
        public var version: Int
        /// The critic's `maxRounds`, if given (the configuration decides; this is informational).
        public var maxRounds: Int?
        /// The critic's `threshold`, if given (informational).
        public var threshold: Double?
        /// The critic's `scale`, if given (informational).
        public var scale: Double?

        /// Creates the attributes of a run.
        public init(version: Int, maxRounds: Int? = nil, threshold: Double? = nil, scale: Double? = nil) {
            self.version = version
            self.maxRounds = maxRounds
            self.threshold = threshold
            self.scale = scale
        }
    }

    /// One scored dimension of a panelist's review: `<DIM name=... score=...>note</DIM>`.
    public struct Dimension: Sendable, Equatable, Codable {
        /// The dimension's name, such as `hierarchy`.
        public var name: String
        /// The score, clamped to `0...scale`; `nil` when absent or not a number.
        public var score: Double?
        /// The note explaining the score.
        public var note: String

        /// Creates a dimension.
        public init(name: String, score: Double?, note: String) {
            self.name = name
            self.score = score
            self.note = note
        }
    }

    /// An `<ARTIFACT>`: the content the designer drafted or the run shipped.
    public struct Artifact: Sendable, Equatable, Codable {
        /// The `mime` attribute, such as `text/markdown`; empty when absent.
        public var mime: String
        /// The content, verbatim from its CDATA section (or trimmed text without one).
        public var text: String

        /// Creates an artifact.
        public init(mime: String, text: String) {
            self.mime = mime
            self.text = text
        }
    }

    /// A closed `<PANELIST>` block.
    public struct Panelist: Sendable, Equatable, Codable {
        /// The round the block belongs to.
        public var round: Int
        /// The panelist's role (always one of the panel's roles; unknown roles are dropped).
        public var role: PanelistRole
        /// The `score` attribute, clamped to `0...scale`; `nil` when absent (the designer) or not a number.
        public var score: Double?
        /// The `must_fix` attribute as the critic declared it, if present.
        public var declaredMustFix: Int?
        /// The `<NOTES>` text, if any.
        public var notes: String?
        /// The `<DIM>` entries in stream order.
        public var dimensions: [Dimension]
        /// The `<MUST_FIX>` items in stream order.
        public var mustFix: [String]
        /// The `<ARTIFACT>`, if the block carried one.
        public var artifact: Artifact?

        /// Creates a panelist block.
        public init(
            round: Int,
            role: PanelistRole,
            score: Double? = nil,
            declaredMustFix: Int? = nil,
            notes: String? = nil,
            dimensions: [Dimension] = [],
            mustFix: [String] = [],
            artifact: Artifact? = nil
        ) {
            self.round = round
            self.role = role
            self.score = score
            self.declaredMustFix = declaredMustFix
            self.notes = notes
            self.dimensions = dimensions
            self.mustFix = mustFix
            self.artifact = artifact
        }

        /// The open must-fix count this panelist contributes: the larger of the declared count and the items.
        public var mustFixCount: Int { max(self.declaredMustFix ?? 0, self.mustFix.count) }
    }

    /// The close of a round, with the figures the critic claimed (the scoreboard recomputes them).
    public struct RoundEnd: Sendable, Equatable, Codable {
        /// The round that closed.
        public var round: Int
        /// The stream's `composite`, if given.
        public var composite: Double?
        /// The stream's `must_fix`, if given.
        public var mustFix: Int?
        /// The stream's decision (`continue` when missing or unknown).
        public var decision: CritiqueDecision
        /// The `<REASON>` text, if any.
        public var reason: String?

        /// Creates a round end.
        public init(
            round: Int,
            composite: Double? = nil,
            mustFix: Int? = nil,
            decision: CritiqueDecision = .continue,
            reason: String? = nil
        ) {
            self.round = round
            self.composite = composite
            self.mustFix = mustFix
            self.decision = decision
            self.reason = reason
        }
    }

    /// The first `<SHIP>` block.
    public struct Ship: Sendable, Equatable, Codable {
        /// The round the critic says shipped, if given.
        public var round: Int?
        /// The critic's composite, if given.
        public var composite: Double?
        /// The critic's `status` attribute, if given (informational).
        public var status: String?
        /// The shipped artifact, if the block carried one.
        public var artifact: Artifact?
        /// The `<SUMMARY>` text, if any.
        public var summary: String?

        /// Creates a ship block.
        public init(
            round: Int? = nil,
            composite: Double? = nil,
            status: String? = nil,
            artifact: Artifact? = nil,
            summary: String? = nil
        ) {
            self.round = round
            self.composite = composite
            self.status = status
            self.artifact = artifact
            self.summary = summary
        }
    }

    /// Which clock ran out.
    public enum TimeoutScope: String, Sendable, Codable, CaseIterable {
        /// One round took longer than `roundTimeoutSeconds`.
        case round
        /// The run took longer than `totalTimeoutSeconds`.
        case total
        /// The run took longer than a hard seconds cap of the budget left it (less than `totalTimeoutSeconds`).
        case budget
    }

    // MARK: - Codable

    /// The `type` field's value for each case.
    public var typeName: String {
        switch self {
        case .runStarted: "run_started"
        case .roundStarted: "round_started"
        case .panelist: "panelist"
        case .roundEnded: "round_ended"
        case .ship: "ship"
        case .runFinished: "run_finished"
        case .warning: "warning"
        case .degraded: "degraded"
        case .timedOut: "timed_out"
        case .interrupted: "interrupted"
        case .processFailed: "process_failed"
        }
    }

    private enum TypeKey: String, CodingKey { case type }
    private enum FieldKey: String, CodingKey { case round, scope, exitStatus }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: TypeKey.self)
        let type = try container.decode(String.self, forKey: .type)
        let fields = try decoder.container(keyedBy: FieldKey.self)
        switch type {
        case "run_started": self = .runStarted(try RunStart(from: decoder))
        case "round_started": self = .roundStarted(round: try fields.decode(Int.self, forKey: .round))
        case "panelist": self = .panelist(try Panelist(from: decoder))
        case "round_ended": self = .roundEnded(try RoundEnd(from: decoder))
        case "ship": self = .ship(try Ship(from: decoder))
        case "run_finished": self = .runFinished
        case "warning": self = .warning(try CritiqueWarning(from: decoder))
        case "degraded": self = .degraded(try CritiqueParseError(from: decoder))
        case "timed_out": self = .timedOut(try fields.decode(TimeoutScope.self, forKey: .scope))
        case "interrupted": self = .interrupted
        case "process_failed": self = .processFailed(exitStatus: try fields.decode(Int.self, forKey: .exitStatus))
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .type,
                in: container,
                debugDescription: "unknown critique event type '\(type)'"
            )
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: TypeKey.self)
        try container.encode(self.typeName, forKey: .type)
        var fields = encoder.container(keyedBy: FieldKey.self)
        switch self {
        case .runStarted(let value): try value.encode(to: encoder)
        case .roundStarted(let round): try fields.encode(round, forKey: .round)
        case .panelist(let value): try value.encode(to: encoder)
        case .roundEnded(let value): try value.encode(to: encoder)
        case .ship(let value): try value.encode(to: encoder)
        case .runFinished, .interrupted: break
        case .warning(let value): try value.encode(to: encoder)
        case .degraded(let value): try value.encode(to: encoder)
        case .timedOut(let scope): try fields.encode(scope, forKey: .scope)
        case .processFailed(let status): try fields.encode(status, forKey: .exitStatus)
        }
    }
}
