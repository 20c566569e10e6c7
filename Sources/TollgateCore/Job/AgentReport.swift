/// What one agent run left for the engine: how it ended and the outcome it wrote (DESIGN §5).
public struct AgentReport: Codable, Sendable, Equatable {
    /// Why a run failed; `nil` when it succeeded.
    public var failure: String?
    public var outcome: AgentOutcome
    /// Problems that did not fail the run (a missing or malformed outcome file).
    public var warnings: [String]

    public init(failure: String? = nil, outcome: AgentOutcome = AgentOutcome(), warnings: [String] = []) {
        self.failure = failure
        self.outcome = outcome
        self.warnings = warnings
    }
}

/// The JSON an agent writes to `TOLLGATE_OUTCOME`; every field is optional.
public struct AgentOutcome: Codable, Sendable, Equatable {
    /// Token and cost figures an agent may report.
    public struct Usage: Codable, Sendable, Equatable {
        public var inputTokens: Int?
        public var outputTokens: Int?
        public var costUSD: Double?

        public init(inputTokens: Int? = nil, outputTokens: Int? = nil, costUSD: Double? = nil) {
            self.inputTokens = inputTokens
            self.outputTokens = outputTokens
            self.costUSD = costUSD
        }
    }

    /// One line: the title of the phase's squash commit.
    public var summary: String?
    /// Markdown retrospective, committed as `archive/phase-N-type.md`.
    public var details: String?
    /// The agent considers the whole job done.
    public var jobComplete: Bool?
    /// In feedback mode, the ids of the review items the agent addressed.
    public var addressed: [String]?
    public var usage: Usage?

    public init(
        summary: String? = nil,
        details: String? = nil,
        jobComplete: Bool? = nil,
        addressed: [String]? = nil,
        usage: Usage? = nil
    ) {
        self.summary = summary
        self.details = details
        self.jobComplete = jobComplete
        self.addressed = addressed
        self.usage = usage
    }
}
