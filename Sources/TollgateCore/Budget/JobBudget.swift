import Foundation

/// A job's own budget as `job.json` keeps it (DESIGN §11): its account, and the soft-cap crossings waiting for the
/// boundary that ends the run whose charge crossed them.
///
/// Committed with the job's state, so the spend survives crashes, resumes and cap changes: raising a cap never
/// resets it.
public struct JobBudget: Codable, Sendable, Equatable {
    /// Spend, open reservations and soft crossings of the job's own caps.
    public var account: BudgetAccount
    /// Why the next boundary freezes: one sentence per soft cap crossed since the last boundary.
    public var softFreeze: [String]
    /// Why the job is blocked, while it is.
    public var blocked: String?

    public init(account: BudgetAccount = BudgetAccount(), softFreeze: [String] = [], blocked: String? = nil) {
        self.account = account
        self.softFreeze = softFreeze
        self.blocked = blocked
    }
}

/// The decisions around one run that the engine asks before and after it: the run's key, what it is charged, what
/// a refusal tells the user, and how the spend is shown.
public enum BudgetCheck {
    /// What a run reported, by unit: tokens are input plus output (unreported when both are missing), seconds the
    /// wall time the engine measured.
    public static func usage(_ reported: AgentOutcome.Usage?, seconds: Double?) -> [BudgetUnit: Double] {
        var usage: [BudgetUnit: Double] = [:]
        if let reported {
            if reported.inputTokens != nil || reported.outputTokens != nil {
                usage[.tokens] = Double((reported.inputTokens ?? 0) + (reported.outputTokens ?? 0))
            }
            if let cost = reported.costUSD { usage[.costUSD] = cost }
        }
        if let seconds { usage[.seconds] = seconds }
        return usage
    }

    /// Moves every open reservation not in `live` to spend: their runs never reported (the process that made them
    /// is gone), so what they held counts as spent (DESIGN §11).
    ///
    /// Returns the account and the keys settled, sorted.
    public static func settleAbandoned(_ account: BudgetAccount, live: Set<String>) -> (BudgetAccount, [String]) {
        var account = account
        let abandoned = account.reserved.keys.filter { !live.contains($0) }.sorted()
        for key in abandoned {
            for (unit, amount) in account.reserved.removeValue(forKey: key) ?? [:] {
                account.spent[unit, default: 0] += amount
            }
        }
        return (account, abandoned)
    }

    /// The sentence a blocked job shows: the refusal (the cap, the spend, what is held, the reservation) and the
    /// exact command that lets the run start.
    ///
    /// - Parameters:
    ///   - scope: `budget.` for the job's caps, `budget.daily.` for the project's.
    ///   - directory: the job's directory as the user types it (already quoted for a shell).
    ///   - secondsNeeded: the seconds the next run may take (its timeout), to size a raised seconds cap.
    public static func blockMessage(
        _ refusal: BudgetRules.Refusal,
        scope: String,
        directory: String,
        secondsNeeded: Int
    ) -> String {
        let sentence = refusal.sentence(capKeys: scope)
        switch refusal {
        case .overHardCap(let unit, _, let spent, let reserved, let reservation):
            let needed = spent + reserved + (unit == .seconds ? Double(secondsNeeded) : reservation)
            let key = "\(scope)\(unit.rawValue).hard"
            return sentence + ". To go on, raise the cap: `tollgate config \(directory) --set \(key)="
                + "\(raised(needed, unit))` and `tollgate run \(directory)` (the spend so far is kept)"
        case .unreserved(let unit, _):
            let example = unit == .costUSD ? "0.50" : "1000"
            return sentence + ". For example: `tollgate config \(directory) --set agent.reserve.\(unit.rawValue)="
                + "\(example)`, then `tollgate run \(directory)`"
        }
    }

    /// The sentence a batch's refused run shows: the refusal and the exact `--set` a resume takes to let it start.
    ///
    /// - Parameters:
    ///   - scope: `budget.` for the batch's caps, `budget.daily.` for the project's.
    ///   - reservationKeys: the reservations that apply (`critique.reserve`, and `agent.reserve` with a reviser).
    ///   - goOn: the command that goes on with an assignment (`tollgate batch DIR --resume ID --set KEY=VALUE`).
    public static func batchBlockMessage(
        _ refusal: BudgetRules.Refusal,
        scope: String,
        reservationKeys: [String],
        secondsNeeded: Int,
        goOn: (_ assignment: String) -> String
    ) -> String {
        switch refusal {
        case .overHardCap(let unit, _, let spent, let reserved, let reservation):
            let needed = spent + reserved + (unit == .seconds ? Double(secondsNeeded) : reservation)
            let key = "\(scope)\(unit.rawValue).hard"
            return refusal.sentence(capKeys: scope) + ". To go on, raise the cap: `"
                + goOn("\(key)=\(raised(needed, unit))") + "` (the spend so far is kept)"
        case .unreserved(let unit, let cap):
            let keys = reservationKeys.map { "\($0).\(unit.rawValue)" }
            let example = unit == .costUSD ? "0.50" : "1000"
            return
                "\(scope)\(unit.rawValue).hard is \(BudgetRules.shown(cap, unit)) but runs reserve no \(unit.rawValue) ("
                + keys.joined(separator: " and ") + " is 0), so the cap cannot be checked before a run: set a "
                + "reservation or remove the cap. For example: `\(goOn((keys.first ?? "critique.reserve") + "=" + example))`"
        }
    }

    /// `amount` rounded up to a value a cap key takes: whole tokens and seconds, cents.
    static func raised(_ amount: Double, _ unit: BudgetUnit) -> String {
        switch unit {
        case .costUSD: String(format: "%.2f", (amount * 100).rounded(.up) / 100)
        case .tokens, .seconds: "\(Int(amount.rounded(.up)))"
        }
    }

    /// One unit's figures as `status` shows them.
    public struct Bar: Sendable, Equatable, Codable {
        /// `job` or `project <name> today`.
        public var scope: String
        public var unit: BudgetUnit
        public var spent: Double
        public var reserved: Double
        public var soft: Double?
        public var hard: Double?

        public init(scope: String, unit: BudgetUnit, spent: Double, reserved: Double, soft: Double?, hard: Double?) {
            self.scope = scope
            self.unit = unit
            self.spent = spent
            self.reserved = reserved
            self.soft = soft
            self.hard = hard
        }

        /// `tokens  [#####+....|.....]  spent 500 tokens, held 300 tokens; soft 800 tokens, hard 1000 tokens`:
        /// `#` spent, `+` held by running work, `|` the soft cap, on a scale to the hard cap (or the soft one).
        public func line(width: Int = 20) -> String {
            let scale = max(hard ?? soft ?? 0, spent + reserved, 1)
            func cells(_ amount: Double) -> Int { min(width, Int((amount / scale * Double(width)).rounded(.down))) }
            let spentCells = cells(spent)
            let heldCells = max(0, min(width - spentCells, cells(spent + reserved) - spentCells))
            var bar =
                Array(repeating: Character("#"), count: spentCells)
                + Array(repeating: Character("+"), count: heldCells)
                + Array(repeating: Character("."), count: width - spentCells - heldCells)
            if let soft, soft < scale {
                let mark = min(width - 1, cells(soft))
                if bar[mark] == "." { bar[mark] = "|" }
            }
            var text = "\(unit.rawValue) [\(String(bar))] spent \(BudgetRules.shown(spent, unit))"
            if reserved > 0 { text += ", held \(BudgetRules.shown(reserved, unit))" }
            let caps = [
                soft.map { "soft \(BudgetRules.shown($0, unit))" }, hard.map { "hard \(BudgetRules.shown($0, unit))" },
            ]
            .compactMap { $0 }
            if !caps.isEmpty { text += "; " + caps.joined(separator: ", ") }
            return text
        }
    }

    /// A bar for each unit with a cap in `caps`, in unit order.
    public static func bars(scope: String, caps: BudgetCaps, account: BudgetAccount) -> [Bar] {
        let held = account.reservedTotal
        return BudgetUnit.allCases.compactMap { unit in
            guard caps.soft[unit] != nil || caps.hard[unit] != nil else { return nil }
            return Bar(
                scope: scope,
                unit: unit,
                spent: account.spent[unit] ?? 0,
                reserved: held[unit] ?? 0,
                soft: caps.soft[unit],
                hard: caps.hard[unit]
            )
        }
    }
}
