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
        typealias Keys = ConfigKeys
        func caps(_ keys: [(BudgetUnit, soft: Double, hard: Double)]) -> BudgetCaps {
            var soft: [BudgetUnit: Double] = [:]
            var hard: [BudgetUnit: Double] = [:]
            for (unit, softCap, hardCap) in keys {
                soft[unit] = softCap
                hard[unit] = hardCap
            }
            return BudgetCaps(soft: soft, hard: hard)
        }
        func reservation(tokens: Int, costUSD: Double) -> [BudgetUnit: Double] {
            [.tokens: Double(tokens), .costUSD: costUSD].filter { $0.value > 0 }
        }
        self.job = caps([
            (.tokens, Double(config[Keys.budgetTokensSoft]), Double(config[Keys.budgetTokensHard])),
            (.costUSD, config[Keys.budgetCostUSDSoft], config[Keys.budgetCostUSDHard]),
            (.seconds, Double(config[Keys.budgetSecondsSoft]), Double(config[Keys.budgetSecondsHard])),
        ])
        let project = config[Keys.budgetProject]
        self.project = project.isEmpty ? nil : project
        self.daily = caps([
            (.tokens, Double(config[Keys.budgetDailyTokensSoft]), Double(config[Keys.budgetDailyTokensHard])),
            (.costUSD, config[Keys.budgetDailyCostUSDSoft], config[Keys.budgetDailyCostUSDHard]),
        ])
        self.agentReservation = reservation(
            tokens: config[Keys.agentReserveTokens],
            costUSD: config[Keys.agentReserveCostUSD]
        )
        self.critiqueReservation = reservation(
            tokens: config[Keys.critiqueReserveTokens],
            costUSD: config[Keys.critiqueReserveCostUSD]
        )
    }

    /// Whether any cap is set, so that runs must be reserved and charged at all.
    public var isCapped: Bool {
        !job.soft.isEmpty || !job.hard.isEmpty || (project != nil && (!daily.soft.isEmpty || !daily.hard.isEmpty))
    }
}
