import Foundation
import TollgateCore

/// The budget of one job's drive (DESIGN §11): every run reserves here before it starts and is charged here after,
/// against the job's own caps (its account, committed in `job.json` by the caller) and the project's daily caps
/// (the machine's ``ProjectLedger``).
///
/// An actor, so that runs started in parallel (the tasks of a plan) reserve one at a time: the sum of what they
/// hold never passes a cap. Reservations made by this guard and not charged yet are live; any other open
/// reservation of the job was made by a process that is gone, and counts as spent at the next reservation.
actor BudgetGuard {
    /// What a reservation asked for: admitted (the caller records `account`), refused (the job is blocked), or not
    /// needed (no cap and no project: runs are only charged).
    enum Admission: Sendable, Equatable {
        case admitted(account: BudgetAccount, settled: [String])
        case blocked(message: String, cap: String, account: BudgetAccount)
        case uncapped
    }

    /// What charging a run did, for the caller to record with the run's own transition.
    struct Settlement: Sendable {
        var charge: BudgetRules.Charge
        var usage: [BudgetUnit: Double]
        var crossings: [(scope: String, unit: BudgetUnit, soft: Double, spent: Double)]
        /// No cap is set: the spend is kept without a trail of it.
        var silent: Bool
    }

    let settings: BudgetSettings
    private let ledger: ProjectLedger?
    /// Where the ledger could not be opened: every reservation is refused with it.
    private let ledgerProblem: String?
    private let jobPrefix: String
    private let job: String
    private let root: URL
    private let directory: String
    private var account: BudgetAccount
    private var live: Set<String> = []
    /// The sentence a refusal becomes, when the caller's way to go on is not `tollgate config` and `tollgate run`
    /// (a batch's); nil for a job's.
    private let refusalMessage: RefusalMessage?
    /// The command that sets an assignment for the runs to come, as a run the budget stopped names it.
    private let raiseCommand: @Sendable (_ assignment: String) -> String

    /// Words a refusal (given its cap keys' scope, `budget.` or `budget.daily.`, and the seconds the run needs).
    typealias RefusalMessage =
        @Sendable (_ refusal: BudgetRules.Refusal, _ scope: String, _ secondsNeeded: Int) -> String

    /// - Parameters:
    ///   - account: the job's account as last committed.
    ///   - environment: where the project ledger lives (`XDG_STATE_HOME`, `HOME`).
    ///   - refusalMessage: how a refusal is worded when the way to go on is not `tollgate config` then `tollgate
    ///     run` (a batch's resume); nil for a job's.
    ///   - raiseCommand: the command that sets an assignment for the runs to come (a batch's resume); nil for a
    ///     job's, `tollgate config DIR --set …`.
    init(
        settings: BudgetSettings,
        account: BudgetAccount,
        job: String,
        root: URL,
        environment: [String: String],
        refusalMessage: RefusalMessage? = nil,
        raiseCommand: (@Sendable (_ assignment: String) -> String)? = nil
    ) {
        self.refusalMessage = refusalMessage
        self.settings = settings
        self.account = account
        self.job = job
        self.root = root
        let directory = ShellQuoting.quoted(root.path)
        self.directory = directory
        self.raiseCommand = raiseCommand ?? { "tollgate config \(directory) --set \($0)" }
        self.jobPrefix = ProjectLedger.runKey(job: job, root: root, run: "")
        var ledger: ProjectLedger?
        var problem: String?
        if let project = settings.project {
            do {
                ledger = try ProjectLedger(
                    project: project,
                    directory: ProjectLedger.defaultDirectory(environment: environment)
                )
            } catch {
                problem = error.description
            }
        }
        self.ledger = ledger
        self.ledgerProblem = problem
    }

    /// The account as it stands now: what was charged and what running work holds.
    var currentAccount: BudgetAccount { account }

    /// Whether runs are reserved at all: a cap is set, or the job names a project whose ledger keeps the spend.
    var reserves: Bool { settings.isCapped || settings.project != nil }

    /// Reserves `reservation` for run `key` if it fits under every hard cap of the job and of the project's day.
    ///
    /// - Parameter secondsNeeded: the run's timeout, to size the raised cap a seconds refusal suggests.
    func reserve(_ key: String, reservation: [BudgetUnit: Double], secondsNeeded: Int) -> Admission {
        guard reserves else { return .uncapped }
        let (settledAccount, settled) = BudgetCheck.settleAbandoned(account, live: live.subtracting([key]))
        let admitted: BudgetAccount
        switch BudgetRules.admit(key, reservation: reservation, caps: settings.job, account: settledAccount) {
        case .failure(let refusal):
            account = settledAccount
            return block(refusal, scope: "budget.", secondsNeeded: secondsNeeded)
        case .success(let next): admitted = next
        }
        if settings.project != nil {
            guard let ledger else {
                account = settledAccount
                return .blocked(
                    message: ledgerProblem ?? "the project's ledger cannot be opened",
                    cap: "budget.project",
                    account: settledAccount
                )
            }
            do {
                let result = try ledger.reserve(
                    ledgerKey(key),
                    reservation: reservation,
                    caps: settings.daily,
                    settlingAbandoned: jobPrefix,
                    live: Set(live.map(ledgerKey))
                )
                if case .failure(let refusal) = result {
                    account = settledAccount
                    return block(refusal, scope: "budget.daily.", secondsNeeded: secondsNeeded)
                }
            } catch {
                account = settledAccount
                return .blocked(message: error.description, cap: "budget.project", account: settledAccount)
            }
        }
        account = admitted
        live.insert(key)
        return .admitted(account: admitted, settled: settled.filter { $0 != key })
    }

    /// Charges run `key` what it reported (its reservation where it reported nothing of a capped unit), in the
    /// job's account and, while its reservation there is open, in the project's ledger.
    func charge(_ key: String, usage: [BudgetUnit: Double]) throws(LedgerError) -> Settlement {
        live.remove(key)
        let charge = BudgetRules.charge(key, usage: usage, caps: settings.job, account: account)
        account = charge.account
        var crossings = charge.softCrossed.map { unit in
            (scope: "budget.", unit: unit, soft: settings.job.soft[unit] ?? 0, spent: account.spent[unit] ?? 0)
        }
        var warnings = charge.warnings
        if let ledger, let daily = try ledger.settle(ledgerKey(key), usage: usage, caps: settings.daily) {
            crossings += daily.softCrossed.map { unit in
                (
                    scope: "budget.daily.", unit: unit, soft: settings.daily.soft[unit] ?? 0,
                    spent: daily.account.spent[unit] ?? 0
                )
            }
            warnings += daily.warnings.filter { !warnings.contains($0) }
        }
        return Settlement(
            charge: BudgetRules.Charge(account: account, softCrossed: charge.softCrossed, warnings: warnings),
            usage: usage,
            crossings: crossings,
            silent: !reserves
        )
    }

    /// Reserves run `key` like ``reserve(_:reservation:secondsNeeded:)``, holding besides the seconds it may take
    /// under `budget.seconds.hard` (its timeout, shortened to what is left); returns the admission and that limit.
    ///
    /// For runs that go at the same time (a plan's tasks, a batch's critics): what they hold of the seconds cap is
    /// counted against each other, so together they cannot run past it. The held seconds are released by the run's
    /// charge (its measured wall time), or count as spent when it never reports.
    func reserve(_ key: String, reservation: [BudgetUnit: Double], holdingSecondsOf timeout: Int) -> (
        admission: Admission, deadline: BudgetDeadline
    ) {
        guard reserves else { return (.uncapped, unlimited(timeout)) }
        let (settled, _) = BudgetCheck.settleAbandoned(account, live: live.subtracting([key]))
        let limit = timeLimit(timeout, account: settled)
        if let refused = noSecondLeft(timeout, account: settled) { return (refused, deadline(limit)) }
        var held = reservation
        if settings.job.hard[.seconds] != nil { held[.seconds] = Double(limit.seconds) }
        let admission = reserve(key, reservation: held, secondsNeeded: timeout)
        return (admission, deadline(limit))
    }

    /// Checks run `key`, which spends no tokens and no dollars (a gate), against every hard cap before it starts,
    /// and holds the seconds its timeout may take under `budget.seconds.hard`; returns the admission and that
    /// timeout (shortened to what is left).
    ///
    /// Refused when a cap is already used up: the spend and what running work holds reach `budget.seconds.hard`,
    /// or pass a tokens or dollars cap of the job or of the project's day. Needs no reservation of those units (a
    /// gate reports none and spends none).
    func reserveCostless(_ key: String, timeout: Int) -> (admission: Admission, deadline: BudgetDeadline) {
        guard reserves else { return (.uncapped, unlimited(timeout)) }
        let (settledAccount, settled) = BudgetCheck.settleAbandoned(account, live: live.subtracting([key]))
        account = settledAccount
        let held = settledAccount.reservedTotal
        for (unit, cap) in settings.job.hard.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            let spent = settledAccount.spent[unit] ?? 0
            let holding = held[unit] ?? 0
            if unit == .seconds ? spent + holding >= cap : spent + holding > cap {
                let refusal = BudgetRules.Refusal.overHardCap(
                    unit: unit,
                    cap: cap,
                    spent: spent,
                    reserved: holding,
                    reservation: 0
                )
                return (block(refusal, scope: "budget.", secondsNeeded: timeout), unlimited(0))
            }
        }
        if settings.project != nil, let ledger, let today = try? ledger.account() {
            let held = today.reservedTotal
            for (unit, cap) in settings.daily.hard.sorted(by: { $0.key.rawValue < $1.key.rawValue })
            where (today.spent[unit] ?? 0) + (held[unit] ?? 0) > cap {
                let refusal = BudgetRules.Refusal.overHardCap(
                    unit: unit,
                    cap: cap,
                    spent: today.spent[unit] ?? 0,
                    reserved: held[unit] ?? 0,
                    reservation: 0
                )
                return (block(refusal, scope: "budget.daily.", secondsNeeded: timeout), unlimited(0))
            }
        }
        let limit = timeLimit(timeout, account: settledAccount)
        if settings.job.hard[.seconds] != nil {
            account.reserved[key] = [.seconds: Double(limit.seconds)]
        }
        live.insert(key)
        return (.admitted(account: account, settled: settled.filter { $0 != key }), deadline(limit))
    }

    /// The limit of a run of `own` seconds under every hard seconds cap: the job's (or batch's) own, and the
    /// project's day's should it have one (its ledger keeps tokens and dollars only, so today it has none and its
    /// ledger is not read for it).
    private func timeLimit(_ own: Int, account: BudgetAccount) -> BudgetTimeLimit {
        var scopes = [BudgetTimeLimit.Scope(capKeys: "budget.", caps: settings.job, account: account)]
        if settings.daily.hard[.seconds] != nil, let today = try? ledger?.account() {
            scopes.append(BudgetTimeLimit.Scope(capKeys: "budget.daily.", caps: settings.daily, account: today))
        }
        return BudgetTimeLimit.limiting(own, under: scopes)
    }

    private func deadline(_ limit: BudgetTimeLimit) -> BudgetDeadline {
        BudgetDeadline(limit: limit, raise: raiseCommand)
    }

    private func unlimited(_ own: Int) -> BudgetDeadline { deadline(BudgetTimeLimit(seconds: own, own: own)) }

    /// A refusal when `budget.seconds.hard` leaves the run less than a whole second (its timeout would be 0), nil
    /// otherwise; the open reservations of runs that never reported count as spent in that figure, as in
    /// ``reserve(_:reservation:secondsNeeded:)``.
    func refusalForNoSecondLeft(_ timeout: Int, runKey key: String) -> Admission? {
        guard reserves else { return nil }
        let (settled, _) = BudgetCheck.settleAbandoned(account, live: live.subtracting([key]))
        return noSecondLeft(timeout, account: settled)
    }

    private func noSecondLeft(_ timeout: Int, account settled: BudgetAccount) -> Admission? {
        guard let cap = settings.job.hard[.seconds],
            BudgetRules.timeout(timeout, caps: settings.job, account: settled) <= 0
        else { return nil }
        let refusal = BudgetRules.Refusal.overHardCap(
            unit: .seconds,
            cap: cap,
            spent: settled.spent[.seconds] ?? 0,
            reserved: settled.reservedTotal[.seconds] ?? 0,
            reservation: 0
        )
        return block(refusal, scope: "budget.", secondsNeeded: timeout)
    }

    /// Marks the open reservation of run `key` as this drive's: a run whose result was kept before a crash is
    /// charged that result, so its reservation is settled by the charge, not counted as spent meanwhile.
    func adopt(_ key: String) {
        if account.reserved[key] != nil { live.insert(key) }
    }

    /// The agent's timeout under `budget.seconds.hard`: what is left, if less than `seconds`.
    func timeout(_ seconds: Int) -> Int { BudgetRules.timeout(seconds, caps: settings.job, account: account) }

    /// The deadline of a run of `seconds` under every hard seconds cap, the account as it stands.
    func deadline(_ seconds: Int) -> BudgetDeadline { deadline(timeLimit(seconds, account: account)) }

    /// The project's account of today, when the job names a project whose ledger can be read.
    func projectAccount() -> BudgetAccount? { try? ledger?.account() }

    private func ledgerKey(_ key: String) -> String { ProjectLedger.runKey(job: job, root: root, run: key) }

    private func block(_ refusal: BudgetRules.Refusal, scope: String, secondsNeeded: Int) -> Admission {
        let unit: BudgetUnit
        switch refusal {
        case .overHardCap(let which, _, _, _, _), .unreserved(let which, _): unit = which
        }
        return .blocked(
            message: refusalMessage?(refusal, scope, secondsNeeded)
                ?? BudgetCheck.blockMessage(
                    refusal,
                    scope: scope,
                    directory: directory,
                    secondsNeeded: secondsNeeded
                ),
            cap: "\(scope)\(unit.rawValue).hard",
            account: account
        )
    }
}
