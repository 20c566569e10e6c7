/// A run's time limit under the budget (DESIGN §11): its own timeout, shortened to the seconds that every hard
/// seconds cap leaves, and which cap shortened it.
///
/// One rule for every kind of run (an agent, a task, a critic, a gate): the limit is the least of the run's own
/// timeout and, for each scope with a hard seconds cap, the cap less the spend and what running work holds, in whole
/// seconds, never below 0. A run whose limit is 0 must not start (the caller refuses it); a run stopped at a limit a
/// cap set says so with ``stopped(_:raise:)``, naming the cap and the command that raises it.
public struct BudgetTimeLimit: Sendable, Equatable {
    /// One budget a run counts against: its cap keys' prefix, its caps and its account.
    public struct Scope: Sendable, Equatable {
        /// `budget.` for a job's or a batch's own caps, `budget.daily.` for a project's day.
        public var capKeys: String
        public var caps: BudgetCaps
        public var account: BudgetAccount

        /// Creates a scope.
        public init(capKeys: String, caps: BudgetCaps, account: BudgetAccount) {
            self.capKeys = capKeys
            self.caps = caps
            self.account = account
        }
    }

    /// The hard seconds cap that set a limit shorter than the run's own timeout.
    public struct Cap: Sendable, Equatable {
        /// The cap's key, `budget.seconds.hard`.
        public var key: String
        /// The cap's value, in seconds.
        public var value: Double

        /// Creates a cap.
        public init(key: String, value: Double) {
            self.key = key
            self.value = value
        }
    }

    /// The seconds the run may take.
    public var seconds: Int
    /// The run's own timeout, in seconds.
    public var own: Int
    /// The cap that shortened the limit; nil when the run's own timeout is the limit.
    public var cap: Cap?

    /// Creates a limit.
    public init(seconds: Int, own: Int, cap: Cap? = nil) {
        self.seconds = seconds
        self.own = own
        self.cap = cap
    }

    /// The limit of a run whose own timeout is `own` seconds under every hard seconds cap of `scopes`.
    ///
    /// The first scope wins a tie, so the job's own cap is named before a project's.
    public static func limiting(_ own: Int, under scopes: [Scope]) -> BudgetTimeLimit {
        var limit = BudgetTimeLimit(seconds: max(0, own), own: own)
        for scope in scopes {
            guard let cap = scope.caps.hard[.seconds] else { continue }
            let used = (scope.account.spent[.seconds] ?? 0) + (scope.account.reservedTotal[.seconds] ?? 0)
            let left = max(0, Int((cap - used).rounded(.down)))
            if left < limit.seconds {
                limit.seconds = left
                limit.cap = Cap(key: "\(scope.capKeys)seconds.hard", value: cap)
            }
        }
        return limit
    }

    /// Whether a cap made the limit shorter than the run's own timeout.
    public var isShortened: Bool { cap != nil }

    /// The same cap over a run of `own` seconds given at most `seconds` of this limit (a gate of several that share
    /// one hold): shortened when `seconds` is less than `own`.
    public func narrowed(own: Int, seconds: Int) -> BudgetTimeLimit {
        let given = max(0, min(own, seconds))
        return BudgetTimeLimit(seconds: given, own: own, cap: given < own ? cap : nil)
    }

    /// What a run stopped at this limit says, when a cap set it: `the critic was stopped after 12 s by the budget:
    /// budget.seconds.hard (60 s) left it 12 s of its own 600 s timeout. To give such a run its whole timeout, raise
    /// the cap: `…``; nil when the run's own timeout was the limit.
    ///
    /// - Parameters:
    ///   - run: the run, as the sentence's subject (`the critic`, `the gate test`).
    ///   - raise: the command that sets an assignment (`budget.seconds.hard=648`) for the runs to come.
    public func stopped(_ run: String, raise: (_ assignment: String) -> String) -> String? {
        guard let cap else { return nil }
        let raised = Int((cap.value + Double(own - seconds)).rounded(.up))
        let capped = "\(cap.key) (\(BudgetRules.shown(cap.value, .seconds)))"
        return "\(run) was stopped after \(seconds) s by the budget: \(capped) "
            + "left it \(seconds) s of its own \(own) s timeout. To give such a run its whole timeout, raise the cap: `"
            + raise("\(cap.key)=\(raised)") + "` (the spend so far is kept)"
    }
}
