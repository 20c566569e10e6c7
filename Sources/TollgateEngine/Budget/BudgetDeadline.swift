import TollgateCore

/// A critic's or a gate's time limit under the budget, with the command that raises the cap that set it: what the
/// run is given, so that one the budget stopped says it was the budget (DESIGN §11).
public struct BudgetDeadline: Sendable {
    /// The limit: the run's own timeout, or fewer seconds when a hard seconds cap leaves fewer.
    public var limit: BudgetTimeLimit
    /// The command that sets an assignment (`budget.seconds.hard=N`) for the runs to come: `tollgate config DIR
    /// --set …` for a job, `tollgate batch DIR --resume ID --set …` for a batch.
    public var raise: @Sendable (_ assignment: String) -> String

    /// Creates a deadline.
    public init(limit: BudgetTimeLimit, raise: @escaping @Sendable (_ assignment: String) -> String) {
        self.limit = limit
        self.raise = raise
    }

    /// The sentence a run stopped at the limit ends with (`run`: `the critic`, `the gate test`), nil when the run's
    /// own timeout was the limit.
    public func stopped(_ run: String) -> String? { limit.stopped(run, raise: raise) }

    /// The deadline of a run of `own` seconds given at most `seconds` of this one (one of several gates that share a
    /// hold).
    public func narrowed(own: Int, seconds: Int) -> BudgetDeadline {
        BudgetDeadline(limit: limit.narrowed(own: own, seconds: seconds), raise: raise)
    }
}
