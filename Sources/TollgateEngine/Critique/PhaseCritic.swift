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
