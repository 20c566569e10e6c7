import Foundation
import TollgateCore

/// The gates of the revision loop: shell commands run on each revision before it is critiqued, and how a failing one
/// counts.
///
/// Each gate is one command, named by its own text, run by `/bin/sh -c` in the workspace root with the critic's
/// environment (which the caller may extend, e.g. with `TOLLGATE_PHASE`) plus `TOLLGATE_ARTIFACT` (the artifact's
/// absolute path), `TOLLGATE_ARTIFACT_PATH` (its path in the workspace), `TOLLGATE_ITERATION` (the revision's
/// number, from 1) and `TOLLGATE_WORKSPACE` (the workspace root). A gate passes on exit status 0; any other
/// status, a signal, or running past ``timeoutSeconds`` fails it. The gates run in order and stop at the first that
/// fails. Their output (stdout and stderr) is appended to a log file, one `$ command` line before each gate's.
public struct RevisionGates: Sendable, Equatable {
    /// How many bytes of a failed gate's output its outcome keeps (the end of it).
    public static let outputTailBytes = 2000

    /// The commands, in the order they run.
    public var commands: [String]
    /// Whether a failing gate stops the loop; when not, the failure is a must-fix item of the next revision.
    public var blocking: Bool
    /// Seconds one gate may run before it is stopped (SIGTERM, then SIGKILL) and counts as failed.
    public var timeoutSeconds: Int

    /// Creates gates.
    public init(commands: [String] = [], blocking: Bool = true, timeoutSeconds: Int = 120) {
        self.commands = commands
        self.blocking = blocking
        self.timeoutSeconds = timeoutSeconds
    }

    /// No gate: the loop goes from revision straight to critique.
    public static let none = RevisionGates()

    /// The gates of a job's resolved configuration (`critique.revision.gates`, `gatesBlocking`,
    /// `gateTimeoutSeconds`); blank commands are dropped.
    public init(resolved config: ResolvedConfig) {
        self.init(
            commands: config[ConfigKeys.critiqueRevisionGates].filter {
                !$0.trimmingCharacters(in: .whitespaces).isEmpty
            },
            blocking: config[ConfigKeys.critiqueRevisionGatesBlocking],
            timeoutSeconds: config[ConfigKeys.critiqueRevisionGateTimeoutSeconds]
        )
    }

    /// Whether there is no gate to run.
    public var isEmpty: Bool { commands.isEmpty }

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
    }

    /// Runs the gates in order, up to the first that fails; returns what the loop records.
    func run(_ context: Context) throws -> RevisionLoopMachine.GateOutcome {
        let clock = ContinuousClock()
        let start = clock.now
        var environment = context.environment
        environment["TOLLGATE_ARTIFACT"] = context.root.appendingPathComponent(context.artifact).path
        environment["TOLLGATE_ARTIFACT_PATH"] = context.artifact
        environment["TOLLGATE_ITERATION"] = "\(context.iteration)"
        environment["TOLLGATE_WORKSPACE"] = context.root.path
        try FileManager.default.createDirectory(
            at: context.log.deletingLastPathComponent(),
            withIntermediateDirectories: true
        )
        if !FileManager.default.fileExists(atPath: context.log.path) {
            try Data().write(to: context.log)
        }
        for command in commands {
            let offset = try Self.append("$ \(command)\n", to: context.log)
            let ending: String?
            do {
                let termination = try ChildProcess.shell(
                    command,
                    environment: environment,
                    directory: context.root,
                    outputFile: context.log,
                    timeoutSeconds: timeoutSeconds,
                    graceSeconds: context.graceSeconds
                ).run()
                ending = termination.succeeded ? nil : "the gate \(termination)"
            } catch {
                ending = "the gate could not start: \(error)"
            }
            guard let ending else { continue }
            _ = try Self.append("[\(ending)]\n", to: context.log)
            return RevisionLoopMachine.GateOutcome(
                passed: false,
                blocking: blocking,
                latencyMs: ProcessCritic.milliseconds(clock.now - start),
                failedGate: command,
                outputTail: try Self.tail(of: context.log, from: offset)
            )
        }
        return RevisionLoopMachine.GateOutcome(
            passed: true,
            blocking: blocking,
            latencyMs: ProcessCritic.milliseconds(clock.now - start)
        )
    }

    /// Appends `text` to `file`; returns the offset where it starts.
    private static func append(_ text: String, to file: URL) throws -> UInt64 {
        let handle = try FileHandle(forWritingTo: file)
        defer { try? handle.close() }
        let offset = try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
        return offset
    }

    /// The last ``outputTailBytes`` of `file` from `offset` on, cut at a line start when it was shortened.
    private static func tail(of file: URL, from offset: UInt64) throws -> String {
        let handle = try FileHandle(forReadingFrom: file)
        defer { try? handle.close() }
        let end = try handle.seekToEnd()
        let from = max(offset, end > UInt64(outputTailBytes) ? end - UInt64(outputTailBytes) : 0)
        try handle.seek(toOffset: from)
        var text = String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
        if from > offset, let newline = text.firstIndex(of: "\n") {
            text = "…" + text[text.index(after: newline)...]
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
