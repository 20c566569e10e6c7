import Foundation
import TollgateCore

/// Critiques a phase's artifacts and revises them in a bounded loop: the port between the job runner and the
/// critique machinery (a critic command streamed through the protocol-v1 parser and the scoreboard).
///
/// Idempotent: every finished step of the loop is persisted under `request.stateDirectory`, so a rerun after a
/// crash re-runs nothing that finished.
public protocol PhaseCritic {
    /// Runs the critique (and the revision loop when it does not ship) and writes the reports under
    /// `critique/phase-N/rev-M/` in the working tree (the runner commits them). Throws only when the critique
    /// could not be attempted; a critique that fails or degrades is a result.
    func critique(_ request: CritiqueRequest) async throws -> PhaseCritique
}

/// What a phase's critique needs.
public struct CritiqueRequest {
    public var phase: PhaseRef
    public var revision: Int
    /// The workspace root; artifacts and reports are paths relative to it.
    public var root: URL
    /// Private to the engine (in the git directory): per-iteration results of the loop, for resumption.
    public var stateDirectory: URL
    public var config: CritiqueConfig
    /// The gates run on each revision before its critique (none by default).
    public var gates: RevisionGates
    /// Runs the agent in revise mode with the must-fix items of the last critique; returns its report.
    public var revise: (_ iteration: Int, _ items: [FeedbackItem]) async throws -> AgentReport
    /// Where each critic and gate run reserves before it starts and is charged after (DESIGN §11); nil: none.
    public var budget: CritiqueBudget?

    public init(
        phase: PhaseRef,
        revision: Int,
        root: URL,
        stateDirectory: URL,
        config: CritiqueConfig,
        gates: RevisionGates = .none,
        revise: @escaping (_ iteration: Int, _ items: [FeedbackItem]) async throws -> AgentReport
    ) {
        self.phase = phase
        self.revision = revision
        self.root = root
        self.stateDirectory = stateDirectory
        self.config = config
        self.gates = gates
        self.revise = revise
    }

    /// `critique/phase-N/rev-M`, where the reports go.
    public var reportDirectory: String { "critique/phase-\(phase.number)/rev-\(revision)" }
}

/// The budget hooks of a critique (DESIGN §11): each critic run and each revision's gates are checked against every
/// hard cap before they start and charged after.
///
/// Each hook throws when a hard cap refuses the run: it does not start, and the critique stops with that error
/// (the job's driver makes it `blocked`). `key` names the run within the critique (`critic-<artifact>-<iteration>`,
/// `gates-<artifact>-<iteration>`).
public struct CritiqueBudget {
    /// Before critic run `key` starts: reserves `critique.reserve.*`; returns the critic's deadline under the budget
    /// (nil: its own timeouts only).
    public var reserveCritic: (_ key: String) async throws -> BudgetDeadline?
    /// After critic run `key` ended: charges what it wrote to `$TOLLGATE_USAGE` (nil: nothing, so its reservation)
    /// and its wall time in seconds.
    public var chargeCritic: (_ key: String, _ usage: AgentOutcome.Usage?, _ seconds: Double) async throws -> Void
    /// Before gates run `key` start: checks every hard cap (they spend no tokens and no dollars); returns the
    /// seconds the budget leaves them together (nil: their own timeouts only).
    public var reserveGates: (_ key: String) async throws -> BudgetDeadline?
    /// After gates run `key` ended: charges their wall time in seconds.
    public var chargeGates: (_ key: String, _ seconds: Double) async throws -> Void
    /// Says a sentence about the budget to the user: a critic the budget stopped (nothing by default).
    public var warn: (_ sentence: String) -> Void = { _ in }

    public init(
        reserveCritic: @escaping (_ key: String) async throws -> BudgetDeadline?,
        chargeCritic: @escaping (_ key: String, _ usage: AgentOutcome.Usage?, _ seconds: Double) async throws -> Void,
        reserveGates: @escaping (_ key: String) async throws -> BudgetDeadline?,
        chargeGates: @escaping (_ key: String, _ seconds: Double) async throws -> Void
    ) {
        self.reserveCritic = reserveCritic
        self.chargeCritic = chargeCritic
        self.reserveGates = reserveGates
        self.chargeGates = chargeGates
    }
}
