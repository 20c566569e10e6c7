import Foundation
import TollgateCore

/// Runs the agent for one phase run: the port between the engine and whatever does the work.
///
/// `Sendable` and async, so that a phase may run several agents at once (each in a child task of its own).
public protocol AgentRunner: Sendable {
    /// Runs the agent to its end and reports how it ended and what it said; never throws for the agent's own
    /// failures (those are in the report), only when the run could not be attempted.
    func run(_ invocation: AgentInvocation) async throws -> AgentReport
}

/// Everything an agent run needs.
public struct AgentInvocation: Sendable, Equatable {
    public var command: String
    /// The `TOLLGATE_*` variables of DESIGN §5 (the caller's own environment is added by the runner).
    public var environment: [String: String]
    public var directory: URL
    public var outcomeFile: URL
    public var logFile: URL
    public var timeoutSeconds: Int
    public var graceSeconds: Int
    /// Where the agent's process group is recorded while it runs (DESIGN §5); nil keeps no record.
    public var runtimeRecord: URL?
    /// When a hard seconds cap shortened ``timeoutSeconds``: the sentence a run stopped there fails with (the budget
    /// stopped it, the cap, the command that raises it); nil when the timeout is the agent's own.
    public var budgetStop: String?

    public init(
        command: String,
        environment: [String: String],
        directory: URL,
        outcomeFile: URL,
        logFile: URL,
        timeoutSeconds: Int,
        graceSeconds: Int,
        runtimeRecord: URL? = nil
    ) {
        self.command = command
        self.environment = environment
        self.directory = directory
        self.outcomeFile = outcomeFile
        self.logFile = logFile
        self.timeoutSeconds = timeoutSeconds
        self.graceSeconds = graceSeconds
        self.runtimeRecord = runtimeRecord
    }
}
