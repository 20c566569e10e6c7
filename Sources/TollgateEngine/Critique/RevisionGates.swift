import Foundation
import TollgateCore

/// The gates of the revision loop: gates run on each revision before it is critiqued, and how a failing one counts.
///
/// Each gate is a ``GateSpec`` (`critique.revision.gates` takes the objects of `verify.gates`, or plain commands
/// named by their text), run by the shared ``GateRunner`` by `/bin/sh -c` in the workspace root with the critic's
/// environment (which the caller may extend, e.g. with `TOLLGATE_PHASE`) plus `TOLLGATE_ARTIFACT` (the artifact's
/// absolute path), `TOLLGATE_ARTIFACT_PATH` (its path in the workspace), `TOLLGATE_ITERATION` (the revision's
/// number, from 1) and `TOLLGATE_WORKSPACE` (the workspace root). A gate passes on exit status 0; any other
/// status, a signal, or running past its time (``timeoutSeconds`` unless it names its own) fails it. The gates run
/// in order and stop at the first that fails. Their output (stdout and stderr) is appended to a log file, one
/// `$ command` line before each gate's.
public struct RevisionGates: Sendable, Equatable {
    /// How many bytes of a failed gate's output its outcome keeps (the end of it).
    public static let outputTailBytes = 2000

    /// The gates, in the order they run.
    public var gates: [GateSpec]
    /// Whether a failing gate stops the loop; when not, the failure is a must-fix item of the next revision.
    public var blocking: Bool
    /// Seconds a gate that names no time limit may run before it is stopped (SIGTERM, then SIGKILL) and fails.
    public var timeoutSeconds: Int

    /// Creates gates.
    public init(gates: [GateSpec] = [], blocking: Bool = true, timeoutSeconds: Int = 120) {
        self.gates = gates
        self.blocking = blocking
        self.timeoutSeconds = timeoutSeconds
    }

    /// Creates gates from plain commands, each named by its text.
    public init(commands: [String], blocking: Bool = true, timeoutSeconds: Int = 120) {
        self.init(gates: commands.map(GateSpec.init(command:)), blocking: blocking, timeoutSeconds: timeoutSeconds)
    }

    /// No gate: the loop goes from revision straight to critique.
    public static let none = RevisionGates()

    /// The gates of a job's resolved configuration (`critique.revision.gates`, `gatesBlocking`,
    /// `gateTimeoutSeconds`); blank commands are dropped.
    public init(resolved config: ResolvedConfig) {
        self.init(
            gates: config[ConfigKeys.critiqueRevisionGates].filter {
                !$0.command.trimmingCharacters(in: .whitespaces).isEmpty
            },
            blocking: config[ConfigKeys.critiqueRevisionGatesBlocking],
            timeoutSeconds: config[ConfigKeys.critiqueRevisionGateTimeoutSeconds]
        )
    }

    /// Whether there is no gate to run.
    public var isEmpty: Bool { gates.isEmpty }

    /// Where a gate runs and what it is told.
    struct Context {
        /// The workspace root, the gates' working directory.
        var root: URL
        /// The artifact's path in the workspace.
        var artifact: String
        /// The revision's iteration.
        var iteration: Int
        /// The environment the gates start from.
        var environment: [String: String]
        /// The log every gate's output is appended to.
        var log: URL
        /// Seconds between SIGTERM and SIGKILL when a gate runs past its time.
        var graceSeconds: Int
        /// The seconds the budget leaves the gates together (DESIGN §11); nil: their own timeouts only.
        var budget: BudgetDeadline?
    }

    /// Runs the gates in order, up to the first that fails; returns what the loop records.
    func run(_ context: Context) throws -> RevisionLoopMachine.GateOutcome {
        let clock = ContinuousClock()
        let start = clock.now
        var environment = context.environment
        environment["TOLLGATE_ARTIFACT"] = context.root.appendingPathComponent(context.artifact).path
        environment["TOLLGATE_ARTIFACT_PATH"] = context.artifact
        environment["TOLLGATE_ITERATION"] = "\(context.iteration)"
        let runner = GateRunner(
            gates: gates,
            defaultTimeoutSeconds: timeoutSeconds,
            graceSeconds: context.graceSeconds,
            stopsAtFirstFailure: true,
            tailBytes: Self.outputTailBytes,
            budget: context.budget
        )
        let log = context.log
        let results = try runner.run(
            GateRunner.Context(directory: context.root, environment: environment, log: { _, _ in log })
        )
        let latency = ProcessCritic.milliseconds(clock.now - start)
        guard let failed = results.first(where: { !$0.passed }) else {
            return RevisionLoopMachine.GateOutcome(passed: true, blocking: blocking, latencyMs: latency)
        }
        let ending = "[\(GateRunner.ending(of: failed))]"
        return RevisionLoopMachine.GateOutcome(
            passed: false,
            blocking: blocking,
            latencyMs: latency,
            failedGate: failed.name,
            outputTail: failed.outputTail.isEmpty ? ending : failed.outputTail + "\n" + ending
        )
    }
}
