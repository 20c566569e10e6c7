import Foundation
import TollgateCore

/// What `tollgate status` shows of a job's budgets (DESIGN §11): a bar per capped unit of the job and of its
/// project's day, and why it is blocked.
public struct BudgetStatus: Encodable, Sendable, Equatable {
    /// What the job has been charged, by unit.
    public var spent: [BudgetUnit: Double]
    /// What its open reservations hold, by unit.
    public var reserved: [BudgetUnit: Double]
    /// `budget.project`, nil when the job names none.
    public var project: String?
    /// One entry per capped unit: the job's (`scope` `job`), then the project's today (`project <name> today`).
    public var caps: [BudgetCheck.Bar]
    /// Why the job is blocked, while it is.
    public var blocked: String?
}

extension JobSession {
    /// The job's budgets as `status` shows them; the project's day is read from its ledger (left out when the
    /// ledger cannot be read: `status` only looks).
    public func budgetStatus(environment: [String: String]) throws -> BudgetStatus {
        let job = try state
        let settings = BudgetSettings(try config)
        let account = job.budget?.account ?? BudgetAccount()
        var bars = BudgetCheck.bars(scope: "job", caps: settings.job, account: account)
        if let project = settings.project,
            let directory = try? ProjectLedger.defaultDirectory(environment: environment),
            let ledger = try? ProjectLedger(project: project, directory: directory),
            let today = try? ledger.account()
        {
            bars += BudgetCheck.bars(scope: "project \(project) today", caps: settings.daily, account: today)
        }
        return BudgetStatus(
            spent: account.spent,
            reserved: account.reservedTotal,
            project: settings.project,
            caps: bars,
            blocked: job.status == .blocked ? job.budget?.blocked : nil
        )
    }
}
