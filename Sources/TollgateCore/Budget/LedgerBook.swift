import Foundation

/// A project's ledger (DESIGN §11): the spend and open reservations of each UTC day, shared by every job of the
/// machine that names the project in `budget.project`.
///
/// The file's contents; the engine keeps it under `flock`.
///
/// A reservation belongs to the day its run started, and its charge lands on that day too, however long the run
/// took: a run that starts before midnight cannot dodge the day's cap by ending after it.
public struct LedgerBook: Sendable, Equatable, Codable {
    /// The layout this code writes; a file of another is refused, never rewritten.
    public static let currentVersion = 1
    /// Days of history kept: older days no longer decide anything and are dropped when the book is written.
    public static let keptDays = 31

    public var version: Int
    /// The accounts by UTC day (`2026-12-03`).
    public var days: [String: BudgetAccount]

    public init() {
        self.version = Self.currentVersion
        self.days = [:]
    }

    /// The account of `day`, empty when nothing happened then.
    public func account(on day: String) -> BudgetAccount { days[day] ?? BudgetAccount() }

    /// Reserves `reservation` for run `key` on `day` if it fits under the project's daily hard caps
    /// (``BudgetRules/admit(_:reservation:caps:account:)``); a reservation left open under `key` by a run that
    /// never reported counts as spent first, on the day it was made.
    public mutating func reserve(
        _ key: String,
        reservation: [BudgetUnit: Double],
        caps: BudgetCaps,
        day: String
    ) -> Result<BudgetAccount, BudgetRules.Refusal> {
        if let (earlier, abandoned) = open(key), earlier != day {
            days[earlier]?.reserved[key] = nil
            for (unit, amount) in abandoned {
                days[earlier, default: BudgetAccount()].spent[unit, default: 0] += amount
            }
        }
        let result = BudgetRules.admit(key, reservation: reservation, caps: caps, account: account(on: day))
        if case .success(let account) = result { days[day] = account }
        return result
    }

    /// Charges run `key` what it reported, on the day its reservation was made (`day` when it has none).
    public mutating func charge(
        _ key: String,
        usage: [BudgetUnit: Double],
        caps: BudgetCaps,
        day: String
    ) -> BudgetRules.Charge {
        let target = open(key)?.day ?? day
        let charge = BudgetRules.charge(key, usage: usage, caps: caps, account: account(on: target))
        days[target] = charge.account
        return charge
    }

    /// Gives back the reservation of run `key`, which did not start; false when it had none.
    @discardableResult
    public mutating func release(_ key: String) -> Bool {
        guard let (day, _) = open(key) else { return false }
        days[day]?.reserved[key] = nil
        return true
    }

    /// Whether run `key` holds an open reservation (its charge is still to come).
    public func isOpen(_ key: String) -> Bool { open(key) != nil }

    /// Counts as spent every open reservation whose key starts with `prefix` and is not in `live`.
    ///
    /// Those are runs of one job that never reported (the process that made them is gone). Returns the keys settled,
    /// sorted.
    @discardableResult
    public mutating func settleAbandoned(prefix: String, live: Set<String>) -> [String] {
        var settled: [String] = []
        for day in days.keys.sorted() {
            guard var account = days[day] else { continue }
            for key in account.reserved.keys.sorted() where key.hasPrefix(prefix) && !live.contains(key) {
                for (unit, amount) in account.reserved.removeValue(forKey: key) ?? [:] {
                    account.spent[unit, default: 0] += amount
                }
                settled.append(key)
            }
            days[day] = account
        }
        return settled.sorted()
    }

    /// Drops the days before `day` (a `YYYY-MM-DD` string: they sort as dates do).
    public mutating func forget(before day: String) {
        days = days.filter { $0.key >= day }
    }

    /// The day holding an open reservation under `key`, and the reservation.
    private func open(_ key: String) -> (day: String, reservation: [BudgetUnit: Double])? {
        for day in days.keys.sorted() {
            if let reservation = days[day]?.reserved[key] { return (day, reservation) }
        }
        return nil
    }

    /// Why `name` cannot name a project's ledger file, or nil when it can.
    public static func problem(withProjectName name: String) -> String? {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        guard !name.isEmpty, name.count <= 100, name.allSatisfy(allowed.contains), !name.hasPrefix(".") else {
            return "budget.project is \"\(name)\"; allowed: up to 100 letters, digits, '.', '_' or '-', not starting "
                + "with '.' (it names the project's ledger file)"
        }
        return nil
    }
}
