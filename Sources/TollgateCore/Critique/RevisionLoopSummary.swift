/// The one record a revision loop leaves when it stops: how far it got, what it cost and why it stopped.
public struct RevisionLoopSummary: Sendable, Equatable, Codable {
    /// Why a revision loop stopped.
    public enum StopReason: String, Sendable, Codable, CaseIterable {
        /// A critique shipped (the first critique, or one after a revision).
        case shipped
        /// A blocking gate failed on a revision.
        case gateBlocked = "gate_blocked"
        /// A revision was more similar to its starting point than `similarityStop`.
        case noChange = "no_change"
        /// Less than `loopFloorSeconds` remained when an iteration was due.
        case timeBudget = "time_budget"
        /// The tokens spent reached `maxOutputTokens` when an iteration was due.
        case tokenBudget = "token_budget"
        /// Every allowed iteration ran without a critique shipping.
        case exhausted
        /// A step failed, or a critique was degraded or failed.
        case error
    }

    /// Revisions that ran (0 to 3).
    public var iterations: Int
    /// The composite of the critique before any revision.
    public var startComposite: Double?
    /// The composite of the best iteration.
    public var endComposite: Double?
    /// Tokens spent by every step, resumed steps included.
    public var tokens: Int
    /// Milliseconds spent in every step, as the shell measured them.
    public var latencyMs: Int
    /// Why the loop stopped.
    public var stopReason: StopReason
    /// The iteration whose artifact to keep (0: the original).
    public var bestIteration: Int
    /// What went wrong, when the loop stopped on an error.
    public var failure: String?

    /// Creates a summary.
    public init(
        iterations: Int,
        startComposite: Double?,
        endComposite: Double?,
        tokens: Int,
        latencyMs: Int,
        stopReason: StopReason,
        bestIteration: Int,
        failure: String? = nil
    ) {
        self.iterations = iterations
        self.startComposite = startComposite
        self.endComposite = endComposite
        self.tokens = tokens
        self.latencyMs = latencyMs
        self.stopReason = stopReason
        self.bestIteration = bestIteration
        self.failure = failure
    }
}
