/// The budget keys of a job's configuration (DESIGN §11), read once into the values ``BudgetRules`` and
/// ``LedgerBook`` decide with: what the engine's driver asks before and after each run.
public struct BudgetSettings: Sendable, Equatable {
    /// `budget.tokens|costUSD|seconds.soft|hard`: the job's own caps.
    public var job: BudgetCaps
    /// `budget.project`, nil when empty: the project whose daily caps the job shares.
    public var project: String?
    /// `budget.daily.tokens|costUSD.soft|hard`: the project's caps for a UTC day.
    public var daily: BudgetCaps
    /// `agent.reserve.tokens|costUSD`: held for each agent run before it starts.
    public var agentReservation: [BudgetUnit: Double]
    /// `critique.reserve.tokens|costUSD`: held for each critic run, and charged when it reports nothing.
    public var critiqueReservation: [BudgetUnit: Double]

    public init(_ config: ResolvedConfig) {
        func caps(_ prefix: String, _ units: [BudgetUnit]) -> BudgetCaps {
            var soft: [BudgetUnit: Double] = [:]
            var hard: [BudgetUnit: Double] = [:]
            for unit in units {
                soft[unit] = Self.amount(config, "\(prefix)\(unit.rawValue).soft")
                hard[unit] = Self.amount(config, "\(prefix)\(unit.rawValue).hard")
            }
            return BudgetCaps(soft: soft, hard: hard)
        }
        func reservation(_ prefix: String) -> [BudgetUnit: Double] {
            [.tokens: Self.amount(config, prefix + "tokens"), .costUSD: Self.amount(config, prefix + "costUSD")]
                .filter { $0.value > 0 }
        }
        self.job = caps("budget.", BudgetUnit.allCases)
        let project = config.string("budget.project")
        self.project = project.isEmpty ? nil : project
        self.daily = caps("budget.daily.", [.tokens, .costUSD])
        self.agentReservation = reservation("agent.reserve.")
        self.critiqueReservation = reservation("critique.reserve.")
    }

    /// Whether any cap is set, so that runs must be reserved and charged at all.
    public var isCapped: Bool {
        !job.soft.isEmpty || !job.hard.isEmpty || (project != nil && (!daily.soft.isEmpty || !daily.hard.isEmpty))
    }

    /// An integer or number key as a number (tokens and seconds are integers, dollars are numbers).
    private static func amount(_ config: ResolvedConfig, _ key: String) -> Double {
        guard let value = config[key]?.value else { return 0 }
        switch value {
        case .int(let number): return Double(number)
        case .double(let number): return number
        default: return 0
        }
    }
}
