import Foundation
import TollgateCore

/// The budget of one batch (DESIGN §11): every critic and reviser run reserves here before it starts and is charged
/// here after, against the batch's own caps (`budget.*`, its account committed in its `summary.json`) and the
/// project's daily caps, through one ``BudgetGuard``.
///
/// Critics reserve `critique.reserve.*` and are charged what they write to `$TOLLGATE_USAGE`; revisers reserve
/// `agent.reserve.*` and are charged the `usage` of their outcome; a run that reports nothing of a capped unit is
/// charged its reservation, with a warning. Every run is charged its wall time as seconds.
struct BatchBudget: Sendable {
    /// Which kind of run reserves.
    enum Run: Sendable {
        case critic
        case reviser
    }

    /// A run of the batch would cross a hard cap: it does not start.
    struct Blocked: Error, Sendable, Equatable {
        /// The refusal, the spend, the reservation and the command that raises the cap.
        var message: String
    }

    private let budget: BudgetGuard
    let settings: BudgetSettings

    /// - Parameters:
    ///   - account: the batch's account as last committed (empty for a new batch).
    ///   - goOn: the command that goes on with one more assignment (`tollgate batch DIR --resume ID --set …`).
    init(
        config: ResolvedConfig,
        account: BudgetAccount,
        batch: String,
        root: URL,
        revises: Bool,
        environment: [String: String],
        goOn: @escaping @Sendable (_ assignment: String) -> String
    ) {
        let settings = BudgetSettings(config)
        self.settings = settings
        let keys = ["critique.reserve"] + (revises ? ["agent.reserve"] : [])
        self.budget = BudgetGuard(
            settings: settings,
            account: account,
            job: BatchSettings.worktreeName(batch),
            root: root,
            environment: environment,
            refusalMessage: { refusal, scope, seconds in
                BudgetCheck.batchBlockMessage(
                    refusal,
                    scope: scope,
                    reservationKeys: keys,
                    secondsNeeded: seconds,
                    goOn: goOn
                )
            },
            raiseCommand: goOn
        )
    }

    /// Whether runs are reserved and charged at all (a cap is set, or a project named).
    var reserves: Bool { settings.isCapped || settings.project != nil }

    /// Reserves critic or reviser run `key` before it starts (`critique.reserve.*` or `agent.reserve.*`, and under
    /// `budget.seconds.hard` the seconds its `timeout` may take, shortened to what is left, so runs going at once
    /// never together pass the cap); returns the run's deadline, nil when nothing is reserved.
    ///
    /// - Throws: ``Blocked`` when a hard cap would be crossed or cannot be checked, or less than a second is left.
    func reserveTimed(_ key: String, for run: Run, timeout: Int) async throws(Blocked) -> BudgetDeadline? {
        let (admission, deadline) = await budget.reserve(
            key,
            reservation: run == .critic ? settings.critiqueReservation : settings.agentReservation,
            holdingSecondsOf: timeout
        )
        switch admission {
        case .uncapped: return nil
        case .blocked(let message, _, _): throw Blocked(message: message)
        case .admitted: return deadline
        }
    }

    /// Charges run `key` what it reported and the `seconds` it took; returns the warnings to show.
    func charge(_ key: String, usage reported: AgentOutcome.Usage?, seconds: Double) async -> [String] {
        guard reserves else { return [] }
        do {
            let settlement = try await budget.charge(key, usage: BudgetCheck.usage(reported, seconds: seconds))
            return settlement.charge.warnings.map { "budget: \(key): \($0)" }
                + settlement.crossings.map { crossing in
                    "budget: \(crossing.scope)\(crossing.unit.rawValue).soft (\(String(format: "%g", crossing.soft))) "
                        + "crossed: spent \(String(format: "%g", crossing.spent)) \(crossing.unit.rawValue)"
                }
        } catch {
            return ["budget: \(key): the project's ledger could not be charged: \(error.description)"]
        }
    }

    /// The account to commit: nil when nothing is reserved (the summary then keeps no budget).
    func account() async -> BudgetAccount? {
        guard reserves else { return nil }
        return await budget.currentAccount
    }

    /// The bars the progress shows: one per capped unit of the batch, then of the project's day.
    func bars() async -> [BudgetCheck.Bar] {
        guard reserves else { return [] }
        var bars = BudgetCheck.bars(scope: "batch", caps: settings.job, account: await budget.currentAccount)
        if let project = settings.project, let today = await budget.projectAccount() {
            bars += BudgetCheck.bars(scope: "project \(project) today", caps: settings.daily, account: today)
        }
        return bars
    }

    /// What a critic wrote to `$TOLLGATE_USAGE` (the `usage` JSON of an agent's outcome), nil when nothing readable.
    static func criticUsage(at file: URL) -> AgentOutcome.Usage? {
        guard let data = try? Data(contentsOf: file) else { return nil }
        return try? JSONDecoder().decode(AgentOutcome.Usage.self, from: data)
    }

    /// The `usage` of the outcome a reviser wrote to `$TOLLGATE_OUTCOME`, nil when none.
    static func reviserUsage(at file: URL) -> AgentOutcome.Usage? {
        guard let data = try? Data(contentsOf: file) else { return nil }
        return (try? JSONDecoder().decode(AgentOutcome.self, from: data))?.usage
    }
}
