import Foundation

/// What a budget counts (DESIGN §11).
public enum BudgetUnit: String, Sendable, Codable, CaseIterable, CodingKeyRepresentable {
    case tokens
    case costUSD
    case seconds
}

/// Caps on each unit; a missing or zero cap is no cap.
public struct BudgetCaps: Sendable, Equatable, Codable {
    public var soft: [BudgetUnit: Double]
    public var hard: [BudgetUnit: Double]

    public init(soft: [BudgetUnit: Double] = [:], hard: [BudgetUnit: Double] = [:]) {
        self.soft = soft.filter { $0.value > 0 }
        self.hard = hard.filter { $0.value > 0 }
    }
}

/// A budget's spend and its open reservations: what survives crashes, resumes and cap changes.
///
/// A reservation is made before a run starts and settled by its charge when it ends; one whose run never reported
/// (the process was killed) counts as spent when the run is started again under the same key.
public struct BudgetAccount: Sendable, Equatable, Codable {
    /// What has been charged, by unit.
    public var spent: [BudgetUnit: Double] = [:]
    /// Open reservations by run key (`phase-1-strategic/run-3`, `critique/…`).
    public var reserved: [String: [BudgetUnit: Double]] = [:]
    /// The soft cap value each unit's crossing was reported at: once per crossing, re-armed by raising the cap.
    public var softCrossedAt: [BudgetUnit: Double] = [:]

    public init() {}

    /// What is held by open reservations, by unit.
    public var reservedTotal: [BudgetUnit: Double] {
        reserved.values.reduce(into: [:]) { total, one in
            for (unit, amount) in one { total[unit, default: 0] += amount }
        }
    }
}

/// The pure rules of budgets: admit a run against the hard caps, charge it after, report soft crossings.
public enum BudgetRules {
    /// Why a run may not start.
    public enum Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        /// Its reservation would take `unit` past its hard cap.
        case overHardCap(unit: BudgetUnit, cap: Double, spent: Double, reserved: Double, reservation: Double)
        /// A hard cap is set on `unit` but runs reserve nothing of it, so the cap could not be checked.
        case unreserved(unit: BudgetUnit, cap: Double)

        public var description: String { sentence(capKeys: "budget.") }

        /// The refusal, naming its cap as `<capKeys><unit>.hard` (`budget.daily.` for a project's daily caps).
        public func sentence(capKeys: String) -> String {
            switch self {
            case .overHardCap(let unit, let cap, let spent, let reserved, let reservation):
                "\(capKeys)\(unit.rawValue).hard is \(BudgetRules.shown(cap, unit)); spent \(BudgetRules.shown(spent, unit)), "
                    + "held by running work \(BudgetRules.shown(reserved, unit)), and the next run reserves "
                    + "\(BudgetRules.shown(reservation, unit)): it would go past the cap, so it does not start"
            case .unreserved(let unit, let cap):
                "\(capKeys)\(unit.rawValue).hard is \(BudgetRules.shown(cap, unit)) but runs reserve no \(unit.rawValue) "
                    + "(agent.reserve.\(unit.rawValue) is 0), so the cap cannot be checked before a run: set a "
                    + "reservation or remove the cap"
            }
        }
    }

    /// Reserves `reservation` for run `key` if it fits under every hard cap.
    ///
    /// A reservation still open under `key` (its run was killed before it reported) is first counted as spent. Seconds
    /// need no reservation of their own: the agent's timeout is shortened to what is left
    /// (``timeout(_:caps:account:)``).
    public static func admit(
        _ key: String,
        reservation: [BudgetUnit: Double],
        caps: BudgetCaps,
        account: BudgetAccount
    ) -> Result<BudgetAccount, Refusal> {
        var account = account
        if let abandoned = account.reserved.removeValue(forKey: key) {
            for (unit, amount) in abandoned { account.spent[unit, default: 0] += amount }
        }
        let held = account.reservedTotal
        for unit in BudgetUnit.allCases {
            guard let cap = caps.hard[unit] else { continue }
            let asked = reservation[unit] ?? 0
            let spent = account.spent[unit] ?? 0
            if unit == .seconds {
                if spent + (held[unit] ?? 0) >= cap {
                    return .failure(
                        .overHardCap(unit: unit, cap: cap, spent: spent, reserved: held[unit] ?? 0, reservation: asked)
                    )
                }
                continue
            }
            guard asked > 0 else { return .failure(.unreserved(unit: unit, cap: cap)) }
            if spent + (held[unit] ?? 0) + asked > cap {
                return .failure(
                    .overHardCap(unit: unit, cap: cap, spent: spent, reserved: held[unit] ?? 0, reservation: asked)
                )
            }
        }
        account.reserved[key] = reservation.filter { $0.value > 0 }
        return .success(account)
    }

    /// What charging a run did.
    public struct Charge: Sendable, Equatable {
        public var account: BudgetAccount
        /// Units whose soft cap this charge crossed (each reported once per crossing).
        public var softCrossed: [BudgetUnit]
        public var warnings: [String]

        public init(account: BudgetAccount, softCrossed: [BudgetUnit], warnings: [String]) {
            self.account = account
            self.softCrossed = softCrossed
            self.warnings = warnings
        }
    }

    /// Settles run `key`: its reservation is released and `usage` charged.
    ///
    /// A unit with a cap that the run did not report is charged its reservation, with a warning.
    public static func charge(
        _ key: String,
        usage: [BudgetUnit: Double],
        caps: BudgetCaps,
        account: BudgetAccount
    ) -> Charge {
        var account = account
        let reservation = account.reserved.removeValue(forKey: key) ?? [:]
        var warnings: [String] = []
        var crossed: [BudgetUnit] = []
        for unit in BudgetUnit.allCases {
            let capped = caps.hard[unit] != nil || caps.soft[unit] != nil
            var amount = usage[unit]
            if amount == nil, capped, let reserved = reservation[unit] {
                amount = reserved
                warnings.append(
                    "the run reported no \(unit.rawValue); it is charged its reservation (\(shown(reserved, unit)))"
                )
            }
            guard let amount, amount > 0 else { continue }
            let before = account.spent[unit] ?? 0
            let after = before + amount
            account.spent[unit] = after
            if let soft = caps.soft[unit], after >= soft, (account.softCrossedAt[unit] ?? 0) < soft {
                account.softCrossedAt[unit] = soft
                crossed.append(unit)
            }
        }
        return Charge(account: account, softCrossed: crossed, warnings: warnings)
    }

    /// The agent's timeout under `budget.seconds.hard`: what is left of it, if less than `seconds`.
    ///
    /// The job's scope of ``BudgetTimeLimit/limiting(_:under:)``, the one rule every run's limit comes from.
    public static func timeout(_ seconds: Int, caps: BudgetCaps, account: BudgetAccount) -> Int {
        BudgetTimeLimit.limiting(seconds, under: [.init(capKeys: "budget.", caps: caps, account: account)]).seconds
    }

    /// The day a project ledger's spend is counted in: `2026-12-03`, in UTC.
    public static func utcDay(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }

    static func shown(_ amount: Double, _ unit: BudgetUnit) -> String {
        switch unit {
        case .tokens: "\(Int(amount.rounded())) tokens"
        case .costUSD: String(format: "$%.2f", amount)
        case .seconds: "\(Int(amount.rounded())) s"
        }
    }
}
