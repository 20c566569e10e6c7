import Foundation

/// The budget inputs of the job machine (DESIGN §11): a run reserved, a run charged, a run refused by a hard cap,
/// and a blocked job run again.
extension JobMachine {
    /// Run `key` holds `reservation` (nothing of a unit absent); `account` is the job's account with it, and
    /// `settled` the reservations of runs that never reported, now counted as spent.
    public mutating func budgetReserved(
        _ key: String,
        reservation: [BudgetUnit: Double],
        account: BudgetAccount,
        settled: [String] = []
    ) -> Transition {
        var budget = state.budget ?? JobBudget()
        budget.account = account
        state.budget = budget
        var data = Self.figures(reservation)
        data["run"] = key
        if !settled.isEmpty { data["settledAsSpent"] = settled.joined(separator: ",") }
        return Transition([event(.budgetReserved, data)], leaving: self)
    }

    /// Run `key` was charged `charge` (what it reported, or its reservation where it reported nothing of a capped
    /// unit): a soft cap it crossed freezes the boundary that ends this run, at every level.
    ///
    /// - Parameters:
    ///   - usage: what was charged, by unit (for the event).
    ///   - crossings: each soft cap the charge crossed, with its scope (`budget.` for the job's caps,
    ///     `budget.daily.` for the project's) and the spend it reached.
    ///   - silent: no event (a job without caps keeps its spend, for caps set later, without a trail of it).
    public mutating func budgetCharged(
        _ key: String,
        charge: BudgetRules.Charge,
        usage: [BudgetUnit: Double],
        crossings: [(scope: String, unit: BudgetUnit, soft: Double, spent: Double)],
        silent: Bool = false
    ) -> Transition {
        var budget = state.budget ?? JobBudget()
        budget.account = charge.account
        var events: [JobEvent] = []
        if !silent {
            var data = Self.figures(usage)
            data["run"] = key
            for (index, warning) in charge.warnings.enumerated() { data["warning\(index + 1)"] = warning }
            events.append(event(.budgetCharged, data))
        }
        for crossing in crossings {
            let why =
                "\(crossing.scope)\(crossing.unit.rawValue).soft is \(BudgetRules.shown(crossing.soft, crossing.unit)) "
                + "and the spend reached \(BudgetRules.shown(crossing.spent, crossing.unit))"
            budget.softFreeze.append("soft budget cap crossed: " + why)
            events.append(
                event(
                    .budgetSoftCap,
                    [
                        "cap": "\(crossing.scope)\(crossing.unit.rawValue).soft", "run": key,
                        "soft": Self.number(crossing.soft), "spent": Self.number(crossing.spent),
                    ]
                )
            )
        }
        state.budget = budget
        return Transition(events, leaving: self)
    }

    /// The next run would cross a hard cap (or one that cannot be checked): the job is `blocked` with `message`.
    ///
    /// The refused step stays next, so raising the cap and running again goes on.
    /// `account` is the job's account as the refusal left it (reservations of runs that never reported settled).
    public mutating func budgetBlocked(_ message: String, cap: String, account: BudgetAccount? = nil) -> Transition {
        var budget = state.budget ?? JobBudget()
        budget.blocked = message
        if let account { budget.account = account }
        state.budget = budget
        state.status = .blocked
        return Transition(
            [event(.budgetBlocked, ["cap": cap, "reason": message, "next": describeNext()])],
            leaving: self
        )
    }

    /// `run` was asked again for a blocked job: the refused run is checked again.
    public mutating func unblocked() -> Transition {
        guard state.status == .blocked else { return Transition([], leaving: self) }
        let cause = state.budget?.blocked ?? ""
        state.budget?.blocked = nil
        state.status = .running
        return Transition([event(.jobUnblocked, ["previouslyBlocked": cause, "next": describeNext()])], leaving: self)
    }

    private static func figures(_ amounts: [BudgetUnit: Double]) -> [String: String] {
        var data: [String: String] = [:]
        for (unit, amount) in amounts { data[unit.rawValue] = number(amount) }
        return data
    }

    /// A figure as event data: whole numbers without a fraction, others to the cent's hundredth.
    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? "\(Int(value))" : String(format: "%.4f", value)
    }
}
