import Foundation
import TollgateCore

/// Reserve before, charge after (DESIGN §11): the hooks the runner calls around every agent run.
///
/// A reservation is journaled before the run starts (``StateStore/recordJournaled(_:events:now:)``: a small file
/// rewritten in place, not a state commit) and rides with the next state commit, so a process killed during the run
/// leaves it to the next load, counted as spent by the next reservation; the charge is recorded with the run's own
/// transition (the report's), so a rerun that finds the report charges it once.
extension JobRunner {
    /// The next run would cross a hard cap: the step it belongs to does not start and the job is `blocked`.
    struct BudgetBlock: Error, Equatable {
        var message: String
        var cap: String
        var account: BudgetAccount
    }

    /// The drive's budget guard, made on first use from the job's committed account and its configuration.
    var budget: BudgetGuard {
        if let made = budgetGuard { return made }
        let made = BudgetGuard(
            settings: BudgetSettings(config),
            account: state.budget?.account ?? BudgetAccount(),
            job: state.id,
            root: workspace.root,
            environment: ProcessInfo.processInfo.environment
        )
        budgetGuard = made
        return made
    }

    /// Reserves run `key` (an agent run: `agent.reserve.*`) and journals the reservation, and shortens the run's
    /// timeout to what `budget.seconds.hard` leaves; returns whether a reservation was made.
    ///
    /// Called before the run's references are taken.
    /// - Throws: ``BudgetBlock`` when a hard cap would be crossed or cannot be checked.
    func reserveAgentRun(_ key: String, invocation: inout AgentInvocation) async throws -> Bool {
        let budget = self.budget
        let reservation = budget.settings.agentReservation
        let timeout = invocation.timeoutSeconds
        // Less than a second of budget.seconds.hard left: the run would get a timeout of 0, so it does not start.
        if case .blocked(let message, let cap, let account) = await budget.refusalForNoSecondLeft(timeout, runKey: key)
        {
            throw BudgetBlock(message: message, cap: cap, account: account)
        }
        switch await budget.reserve(key, reservation: reservation, secondsNeeded: timeout) {
        case .uncapped:
            return false
        case .blocked(let message, let cap, let account):
            throw BudgetBlock(message: message, cap: cap, account: account)
        case .admitted(let account, let settled):
            try recordJournaled(
                machine.budgetReserved(key, reservation: reservation, account: account, settled: settled)
            )
            if !settled.isEmpty {
                progress(
                    "  budget: runs that never reported count their reservations as spent: \(settled.joined(separator: ", "))"
                )
            }
            try FaultPoint.afterReserve.trip()
            let deadline = await budget.deadline(timeout)
            if deadline.limit.seconds < timeout {
                progress(
                    "  budget: budget.seconds.hard leaves \(deadline.limit.seconds) s: the agent's timeout is shortened to it"
                )
                invocation.timeoutSeconds = deadline.limit.seconds
                invocation.budgetStop = deadline.stopped("the agent")
            }
            return true
        }
    }

    /// Reserves task run `key` (`agent.reserve.*`, and the seconds its timeout may take under
    /// `budget.seconds.hard`, so tasks running at once never together pass a cap); returns the task agent's
    /// timeout, shortened to what `budget.seconds.hard` leaves, the sentence a run stopped there fails with (nil
    /// when the timeout is its own), and the reservation's events.
    ///
    /// The caller commits the events before the task's agent starts, with `task.started` when it records that (one
    /// state commit for both), then trips ``FaultPoint/afterReserve``.
    /// - Throws: ``BudgetBlock`` when a hard cap would be crossed or cannot be checked: the task does not start.
    func reserveTaskRun(_ key: String, timeout: Int) async throws -> (
        timeout: Int, budgetStop: String?, events: [JobEvent]
    ) {
        let budget = self.budget
        let (admission, deadline) = await budget.reserve(
            key,
            reservation: budget.settings.agentReservation,
            holdingSecondsOf: timeout
        )
        let shortened = deadline.limit.seconds
        switch admission {
        case .uncapped:
            return (timeout, nil, [])
        case .blocked(let message, let cap, let account):
            throw BudgetBlock(message: message, cap: cap, account: account)
        case .admitted(let account, let settled):
            var held = budget.settings.agentReservation
            if shortened > 0, budget.settings.job.hard[.seconds] != nil { held[.seconds] = Double(shortened) }
            let events = machine.budgetReserved(key, reservation: held, account: account, settled: settled).events
            if !settled.isEmpty {
                progress(
                    "  budget: runs that never reported count their reservations as spent: \(settled.joined(separator: ", "))"
                )
            }
            if shortened < timeout {
                progress("  budget: budget.seconds.hard leaves \(shortened) s: the task's timeout is shortened to it")
            }
            return (shortened, deadline.stopped("the task's agent"), events)
        }
    }

    /// Reserves critic run `key` (`critique.reserve.*`, and under `budget.seconds.hard` the seconds its total
    /// timeout may take, shortened to what is left) and journals the reservation; returns the critic's deadline, nil
    /// when nothing is capped.
    ///
    /// - Throws: ``BudgetBlock`` when a hard cap would be crossed or cannot be checked, or less than a second of
    ///   `budget.seconds.hard` is left: the critic does not start.
    func reserveCriticRun(_ key: String) async throws -> BudgetDeadline? {
        let budget = self.budget
        let reservation = budget.settings.critiqueReservation
        let timeout = CritiqueConfig(config).totalTimeoutSeconds
        let (admission, deadline) = await budget.reserve(key, reservation: reservation, holdingSecondsOf: timeout)
        switch admission {
        case .uncapped:
            return nil
        case .blocked(let message, let cap, let account):
            // The reservation a critic lacks is its own key's.
            let said = message.replacingOccurrences(of: "agent.reserve.", with: "critique.reserve.")
            throw BudgetBlock(message: said, cap: cap, account: account)
        case .admitted(let account, let settled):
            try recordJournaled(
                machine.budgetReserved(
                    key,
                    reservation: account.reserved[key] ?? reservation,
                    account: account,
                    settled: settled
                )
            )
            try FaultPoint.afterReserve.trip()
            if deadline.limit.isShortened {
                progress(
                    "  budget: budget.seconds.hard leaves \(deadline.limit.seconds) s: the critic's timeout is shortened to it"
                )
            }
            return deadline
        }
    }

    /// Checks gate run `key` against every hard cap before it starts (gates spend no tokens and no dollars, so
    /// they reserve only the seconds their `timeout` may take under `budget.seconds.hard`) and commits that hold;
    /// returns the gate's deadline (its timeout, shortened to what the cap leaves), nil when nothing is capped.
    ///
    /// - Throws: ``BudgetBlock`` when a cap is used up: the gate does not start.
    func reserveGateRun(_ key: String, timeout: Int) async throws -> BudgetDeadline? {
        let (admission, deadline) = await budget.reserveCostless(key, timeout: timeout)
        switch admission {
        case .uncapped:
            return nil
        case .blocked(let message, let cap, let account):
            throw BudgetBlock(message: message, cap: cap, account: account)
        case .admitted(let account, let settled):
            let held = account.reserved[key] ?? [:]
            try record(machine.budgetReserved(key, reservation: held, account: account, settled: settled), after: nil)
            if deadline.limit.isShortened {
                progress(
                    "  budget: budget.seconds.hard leaves \(deadline.limit.seconds) s: the gate's timeout is shortened to it"
                )
            }
            return deadline
        }
    }

    /// The hooks by which the critique of run `run` reserves and is charged for its critics and gates; the events
    /// are recorded as they happen (the critique's own transition comes at its end).
    func critiqueBudget(run: Int) -> CritiqueBudget {
        let gateTimeout = config[ConfigKeys.critiqueRevisionGateTimeoutSeconds]
        // What the revision's gates may take together: each its own time limit, or the loop's for one naming none.
        let gatesTimeout = max(
            gateTimeout,
            RevisionGates(resolved: config).gates.reduce(0) { $0 + ($1.timeoutSeconds ?? gateTimeout) }
        )
        var hooks = CritiqueBudget(
            reserveCritic: { [self] key in try await self.reserveCriticRun("run-\(run)-\(key)") },
            chargeCritic: { [self] key, usage, seconds in
                let reported = BudgetCheck.usage(usage, seconds: seconds)
                let charged = try await self.charge("run-\(run)-\(key)", usage: reported)
                if !charged.isEmpty { try self.record(charged, after: .critique(run: run)) }
            },
            reserveGates: { [self] key in
                try await self.reserveGateRun("run-\(run)-\(key)", timeout: gatesTimeout)
            },
            chargeGates: { [self] key, seconds in
                let charged = try await self.charge("run-\(run)-\(key)", usage: [.seconds: seconds])
                if !charged.isEmpty { try self.record(charged, after: .critique(run: run)) }
            }
        )
        hooks.warn = { [self] sentence in self.progress("  warning: budget: \(sentence)") }
        return hooks
    }

    /// Charges task run `key` what its outcome reports and the wall time it took; returns the events to record
    /// with the task's own transition.
    func chargeTaskRun(_ key: String, report: AgentReport, durationMs: Int) async throws -> [JobEvent] {
        let usage = BudgetCheck.usage(report.outcome.usage, seconds: Double(durationMs) / 1000)
        return try await charge(key, usage: usage)
    }

    /// Charges run `key` what `report` says it used (and its wall time from `since`, when it was measured here);
    /// returns the events to record with the run's own transition.
    func chargeAgentRun(_ key: String, report: AgentReport, since: ContinuousClock.Instant?) async throws
        -> [JobEvent]
    {
        let seconds = since.map { start in
            let elapsed = ContinuousClock.now - start
            return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        }
        return try await charge(key, usage: BudgetCheck.usage(report.outcome.usage, seconds: seconds))
    }

    /// Charges run `key` `usage` (its reservation where it reported nothing of a capped unit), says the warnings
    /// and the soft caps crossed, and returns the events to record with the run's own transition.
    func charge(_ key: String, usage: [BudgetUnit: Double]) async throws -> [JobEvent] {
        let settlement = try await budget.charge(key, usage: usage)
        for warning in settlement.charge.warnings { progress("  warning: budget: \(warning)") }
        for crossing in settlement.crossings {
            progress(
                "  warning: \(crossing.scope)\(crossing.unit.rawValue).soft crossed: the boundary after this run "
                    + "freezes for review"
            )
        }
        return machine.budgetCharged(
            key,
            charge: settlement.charge,
            usage: settlement.usage,
            crossings: settlement.crossings,
            silent: settlement.silent
        ).events
    }

    /// Records a refused run: the job is `blocked` with the refusal, the step stays next.
    func recordBlocked(_ block: BudgetBlock, at step: Step?) throws -> JobMachine.Action {
        progress("  blocked: \(block.message)")
        return try record(machine.budgetBlocked(block.message, cap: block.cap, account: block.account), after: step)
    }
}
