/// The counters of a running batch, moved by each unit's state change: what a progress line shows.
public struct BatchProgress: Sendable, Equatable {
    /// One change, with the counters after it.
    public struct Change: Sendable, Equatable {
        public var unit: String
        public var state: BatchUnitState
        /// The unit's composite, once a critique gave one.
        public var composite: Double?
        public var queued: Int
        public var running: Int
        public var done: Int
        public var total: Int
        /// Units a budget kept from starting.
        public var blocked: Int = 0
        /// The budget's bars after the change (one per capped unit of the batch and of the project's day); empty
        /// when nothing is capped.
        public var budget: [BudgetCheck.Bar] = []

        /// The plain line a terminal or a log shows for it.
        public var line: String {
            let score = composite.map { " (composite \(Scoreboard.rounded($0)))" } ?? ""
            return "[\(done)/\(total)] \(state.words): \(unit)\(score) · \(counters)"
        }

        /// `queued 3, running 2, done 5`.
        public var counters: String {
            "queued \(queued), running \(running), done \(done)" + (blocked > 0 ? ", blocked \(blocked)" : "")
        }
    }

    private var states: [String: BatchUnitState] = [:]

    /// Starts with no unit.
    public init() {}

    /// Records that `unit` is now in `state`; returns the change with the counters after it.
    public mutating func unitChanged(_ unit: String, to state: BatchUnitState, composite: Double? = nil) -> Change {
        states[unit] = state
        let queued = states.values.filter { $0 == .queued }.count
        let running = states.values.filter { $0 == .running }.count
        let blocked = states.values.filter { $0 == .blocked }.count
        return Change(
            unit: unit,
            state: state,
            composite: composite,
            queued: queued,
            running: running,
            done: states.count - queued - running - blocked,
            total: states.count,
            blocked: blocked
        )
    }
}
