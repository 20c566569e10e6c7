/// The settings of critique and of the revision loop, typed, as a configuration resolved them.
///
/// Not a configuration of its own: every setting is a `critique.*` key of ``ConfigKeys`` (defaults,
/// validation, `--set`, files and `TOLLGATE_CRITIQUE_*` variables all come from the schema), and
/// ``init(_:)`` reads them out of a ``ResolvedConfig``. ``default`` is the schema's defaults. The scale, the
/// panel, the protocol version and the no-change similarity are protocol v1's, not settings.
public struct CritiqueConfig: Sendable, Equatable {
    /// What to do when no round meets the ship rule.
    public enum FallbackPolicy: String, Sendable, Codable, CaseIterable, ConfigChoice {
        /// Keep the round with the highest composite (the earliest on a tie).
        case shipBest = "ship_best"
        /// Keep the last completed round.
        case shipLast = "ship_last"
        /// Keep nothing.
        case fail
    }

    /// The most iterations a revision loop runs, whatever is configured.
    public static let hardMaxIterations = 3
    /// Protocol v1's top of the score range (the bottom is 0).
    public static let protocolScale = 10.0
    /// Above this similarity to its starting point, a revision counts as no change (DESIGN §9: > 95 %).
    public static let noChangeSimilarity = 0.95

    /// The key of each standard role's weight.
    public static let weightKeys: [(role: PanelistRole, key: Setting<Double>)] = [
        (.critic, ConfigKeys.critiqueWeightsCritic), (.brand, ConfigKeys.critiqueWeightsBrand),
        (.a11y, ConfigKeys.critiqueWeightsA11y), (.copy, ConfigKeys.critiqueWeightsCopy),
        (.designer, ConfigKeys.critiqueWeightsDesigner),
    ]

    /// Whether the engine critiques artifacts at all.
    public var enabled: Bool
    /// The critic, run by `/bin/sh -c`; its stdout speaks the critique protocol.
    public var command: String
    /// The phase types whose artifacts are critiqued.
    public var phaseTypes: [PhaseType]
    /// The workspace files the critic reviews.
    public var artifacts: [String]
    /// Whether a critique that does not ship freezes the phase for review even under full autonomy.
    public var escalate: Bool
    /// The composite from which a round may ship.
    public var threshold: Double
    /// The top of the score range (the bottom is 0): ``protocolScale``.
    public var scale: Double
    /// The most rounds of one critique run.
    public var maxRounds: Int
    /// The panel's roles, in the order reports list them: the standard panel.
    public var panel: [PanelistRole]
    /// Each role's weight in the composite; a role without a weight weighs 0.
    public var weights: [PanelistRole: Double]
    /// Seconds one round may take.
    public var roundTimeoutSeconds: Int
    /// Seconds a whole critique run may take.
    public var totalTimeoutSeconds: Int
    /// The most bytes the parser holds for one block or tag.
    public var parserMaxBlockBytes: Int
    /// What to keep when no round ships.
    public var fallbackPolicy: FallbackPolicy
    /// The protocol version critics are asked to speak.
    public var protocolVersion: Int
    /// The most revise-then-critique iterations; never more than ``hardMaxIterations``.
    public var maxIterations: Int
    /// Seconds the whole revision loop may take.
    public var loopTimeoutSeconds: Int
    /// Seconds that must remain for the loop to start another iteration.
    public var loopFloorSeconds: Int
    /// Output tokens the revision loop may spend in total.
    public var maxOutputTokens: Int
    /// Above this similarity to its starting point, a revision counts as no change: ``noChangeSimilarity``.
    public var similarityStop: Double

    /// The critique settings of a resolved configuration.
    public init(_ config: ResolvedConfig) {
        self.enabled = config[ConfigKeys.critiqueEnabled]
        self.command = config[ConfigKeys.critiqueCommand]
        self.phaseTypes = config[ConfigKeys.critiquePhaseTypes].compactMap(PhaseType.init(rawValue:))
        self.artifacts = config[ConfigKeys.critiqueArtifacts]
        self.escalate = config[ConfigKeys.critiqueEscalate]
        self.threshold = config[ConfigKeys.critiqueThreshold]
        self.scale = Self.protocolScale
        self.maxRounds = config[ConfigKeys.critiqueMaxRounds]
        self.panel = PanelistRole.standardPanel
        self.weights = Dictionary(uniqueKeysWithValues: Self.weightKeys.map { ($0.role, config[$0.key]) })
        self.roundTimeoutSeconds = config[ConfigKeys.critiqueRoundTimeoutSeconds]
        self.totalTimeoutSeconds = config[ConfigKeys.critiqueTotalTimeoutSeconds]
        self.parserMaxBlockBytes = config[ConfigKeys.critiqueParserMaxBlockBytes]
        self.fallbackPolicy = config[ConfigKeys.critiqueFallbackPolicy]
        self.protocolVersion = CritiqueProtocol.current.rawValue
        self.maxIterations = min(config[ConfigKeys.critiqueRevisionMaxIterations], Self.hardMaxIterations)
        self.loopTimeoutSeconds = config[ConfigKeys.critiqueRevisionLoopTimeoutSeconds]
        self.loopFloorSeconds = config[ConfigKeys.critiqueRevisionFloorSeconds]
        self.maxOutputTokens = config[ConfigKeys.critiqueRevisionMaxOutputTokens]
        self.similarityStop = Self.noChangeSimilarity
    }

    /// The settings of the schema's defaults.
    public static let `default` = CritiqueConfig(.defaults)

    /// The iterations the loop really runs: ``maxIterations`` capped at ``hardMaxIterations``.
    public var effectiveMaxIterations: Int { min(max(self.maxIterations, 0), Self.hardMaxIterations) }

    /// The weight of `role` (0 when the configuration gives none).
    public func weight(of role: PanelistRole) -> Double { self.weights[role] ?? 0 }

    /// Whether phases of `type` are critiqued.
    public func applies(to type: PhaseType) -> Bool {
        self.enabled && !self.command.isEmpty && self.phaseTypes.contains(type)
    }
}
