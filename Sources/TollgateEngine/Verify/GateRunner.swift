import Foundation
import TollgateCore

/// Runs gates (DESIGN §10): each ``GateSpec`` by `/bin/sh -c` in the workspace, in order, in a process group of its
/// own with its time limit (SIGTERM to the group, the grace period, SIGKILL), as agents run; the one runner of
/// `verify.gates` and `critique.revision.gates`.
///
/// A gate passes on exit status 0 within its time; any other status, a signal or the time limit fails it. Every
/// gate runs even after one failed, unless ``stopsAtFirstFailure`` (the critique loop's choice). Each gate's output
/// (stdout and stderr) is appended to a log file after a `$ command` line; its result keeps the output's size,
/// SHA-256 and end, with the secrets it is given redacted from the end.
///
/// `run` blocks until the last gate ends; an async caller runs it off the cooperative pool.
public struct GateRunner: Sendable {
    /// How many bytes of a gate's output its result keeps (the end of it).
    public static let defaultTailBytes = 4000

    /// The gates, in the order they run.
    public var gates: [GateSpec]
    /// The time limit of a gate that names none, in seconds.
    public var defaultTimeoutSeconds: Int
    /// Seconds between SIGTERM and SIGKILL when a gate runs past its time.
    public var graceSeconds: Int
    /// Whether the first failed gate ends the run (the later gates are not run).
    public var stopsAtFirstFailure: Bool
    /// How many bytes of each gate's output its result keeps.
    public var tailBytes: Int
    /// The seconds the budget leaves the gates of one ``run(_:recorded:started:finished:)`` together (DESIGN §11):
    /// each gate's time limit is the least of its own and what the gates before it left; nil: their own only.
    public var budget: BudgetDeadline?

    /// Creates a runner.
    public init(
        gates: [GateSpec],
        defaultTimeoutSeconds: Int,
        graceSeconds: Int = 5,
        stopsAtFirstFailure: Bool = false,
        tailBytes: Int = GateRunner.defaultTailBytes,
        budget: BudgetDeadline? = nil
    ) {
        self.gates = gates
        self.defaultTimeoutSeconds = defaultTimeoutSeconds
        self.graceSeconds = graceSeconds
        self.stopsAtFirstFailure = stopsAtFirstFailure
        self.tailBytes = tailBytes
        self.budget = budget
    }

    /// Where the gates run and what they are told.
    public struct Context: Sendable {
        /// The working directory (the workspace at the commit the gates check).
        public var directory: URL
        /// The environment; each gate also gets `TOLLGATE_GATE` (its name) and `TOLLGATE_WORKSPACE` (`directory`).
        public var environment: [String: String]
        /// The log file of the gate at an index (one file may take every gate: each appends after its own line).
        public var log: @Sendable (_ index: Int, _ gate: GateSpec) -> URL
        /// Texts (tokens) replaced by `[REDACTED]` in the output's end kept in a result.
        public var redacting: [String]

        /// Creates a context.
        public init(
            directory: URL,
            environment: [String: String],
            log: @escaping @Sendable (_ index: Int, _ gate: GateSpec) -> URL,
            redacting: [String] = []
        ) {
            self.directory = directory
            self.environment = environment
            self.log = log
            self.redacting = redacting
        }

        /// One log file a gate in `folder`: `gate-<n>.log`, counted from 1.
        public static func logFiles(in folder: URL) -> @Sendable (Int, GateSpec) -> URL {
            { index, _ in folder.appendingPathComponent("gate-\(index + 1).log") }
        }
    }

    /// Runs the gates and returns their results, in order.
    ///
    /// - Parameters:
    ///   - recorded: results an earlier, interrupted run recorded: a leading run of them whose names match the
    ///     first gates is taken as it is, and those gates do not run again.
    ///   - started: called as each gate starts, with its index (for a `pending` commit status).
    ///   - finished: called as each gate ends, with its result (to record it before the next one starts).
    /// - Throws: `EngineError.interrupted` when tollgate itself was interrupted while a gate ran (that gate's result
    ///   is not reported), or a failure to make or read the log file.
    public func run(
        _ context: Context,
        recorded: [GateResult] = [],
        started: (Int, GateSpec) -> Void = { _, _ in },
        finished: (Int, GateResult) -> Void = { _, _ in }
    ) throws -> [GateResult] {
        var results: [GateResult] = []
        // What the gates run now took of the budget's seconds, rounded up to whole seconds.
        var usedSeconds = 0
        for (index, gate) in gates.enumerated() {
            if index < recorded.count, recorded[index].name == gate.name, results.count == index {
                results.append(recorded[index])
            } else {
                started(index, gate)
                let own = gate.timeoutSeconds ?? defaultTimeoutSeconds
                let deadline = budget.flatMap {
                    $0.limit.isShortened ? $0.narrowed(own: own, seconds: $0.limit.seconds - usedSeconds) : nil
                }
                let result = try run(gate, context: context, log: context.log(index, gate), budget: deadline)
                usedSeconds += (result.durationMs + 999) / 1000
                finished(index, result)
                results.append(result)
            }
            if stopsAtFirstFailure, results.last?.passed == false { break }
        }
        return results
    }

    /// Runs the gate at `index` alone (its log is `context.log(index, gate)`): for a driver that does something
    /// between gates, such as posting commit statuses.
    ///
    /// - Parameter budget: the gate's own deadline under the budget (its reservation's); nil: its own timeout.
    public func run(gateAt index: Int, _ context: Context, budget: BudgetDeadline? = nil) throws -> GateResult {
        let gate = gates[index]
        let own = gate.timeoutSeconds ?? defaultTimeoutSeconds
        let deadline = budget.flatMap { $0.limit.isShortened ? $0.narrowed(own: own, seconds: $0.limit.seconds) : nil }
        return try run(gate, context: context, log: context.log(index, gate), budget: deadline)
    }

    /// Runs one gate, for at most `budget`'s seconds when given (the least of its own timeout and the budget's).
    private func run(_ gate: GateSpec, context: Context, log: URL, budget: BudgetDeadline?) throws -> GateResult {
        let timeout = budget?.limit.seconds ?? gate.timeoutSeconds ?? defaultTimeoutSeconds
        try FileManager.default.createDirectory(at: log.deletingLastPathComponent(), withIntermediateDirectories: true)
        // Never appended through a link an agent left at the log's path (the log keeps what earlier runs wrote).
        removeUnlessOwnRegularFile(log.path)
        if !FileManager.default.fileExists(atPath: log.path) { try Workspace.writeInPlace(Data(), to: log) }
        _ = try Self.append("$ \(gate.command)\n", to: log)
        if let budget, let cap = budget.limit.cap, timeout <= 0 {
            // The gates before it used what the budget left: it does not start with no time at all.
            let raised = Int((cap.value + Double(budget.limit.own)).rounded(.up))
            let reason =
                "the gate did not start: the budget left it no second of its own \(budget.limit.own) s timeout "
                + "(\(cap.key) is \(Int(cap.value)) s). To give such a run its whole timeout, raise the cap: `"
                + budget.raise("\(cap.key)=\(raised)") + "` (the spend so far is kept)"
            _ = try Self.append("[\(reason)]\n", to: log)
            return GateResult(
                name: gate.name,
                command: gate.command,
                passed: false,
                exitCode: nil,
                timeoutSeconds: 0,
                durationMs: 0,
                startError: reason
            )
        }
        let offset = try Self.append("", to: log)
        var environment = context.environment
        environment["TOLLGATE_GATE"] = gate.name
        environment["TOLLGATE_WORKSPACE"] = context.directory.path

        let clock = ContinuousClock()
        let start = clock.now
        let termination: ChildProcess.Termination
        do {
            termination = try ChildProcess.shell(
                gate.command,
                environment: environment,
                directory: context.directory,
                outputFile: log,
                timeoutSeconds: timeout,
                graceSeconds: graceSeconds
            ).run()
        } catch {
            let reason = "\(error)"
            _ = try Self.append("[the gate could not start: \(reason)]\n", to: log)
            return GateResult(
                name: gate.name,
                command: gate.command,
                passed: false,
                exitCode: nil,
                timeoutSeconds: timeout,
                durationMs: Self.milliseconds(clock.now - start),
                startError: "the gate could not start: \(reason)"
            )
        }
        let duration = Self.milliseconds(clock.now - start)
        if case .interrupted(let signal) = termination { throw EngineError.interrupted(signal: signal) }
        let output = try Self.digest(of: log, from: offset, tailBytes: tailBytes)
        var result = GateResult(
            name: gate.name,
            command: gate.command,
            passed: termination.succeeded,
            exitCode: nil,
            timeoutSeconds: timeout,
            durationMs: duration,
            outputTail: Self.redact(output.tail, context.redacting),
            outputSHA256: output.sha256,
            outputBytes: output.bytes
        )
        switch termination {
        case .exited(let code): result.exitCode = code
        case .signalled(let signal): result.signal = signal
        case .timedOut:
            result.timedOut = true
            result.budgetStop = budget?.stopped("the gate \(gate.name)")
        case .interrupted: break
        }
        if !result.passed { _ = try Self.append("[\(Self.ending(of: result))]\n", to: log) }
        return result
    }

    /// How a failed gate ended, as a sentence: `the gate exited with status 3`, `the gate did not finish within
    /// 600 s and was stopped`, `the gate was killed by signal 9`, `the gate could not start: …`.
    public static func ending(of result: GateResult) -> String {
        if let startError = result.startError { return startError }
        if result.timedOut, let budgetStop = result.budgetStop { return budgetStop }
        let termination: ChildProcess.Termination =
            result.timedOut
            ? .timedOut(seconds: result.timeoutSeconds)
            : result.signal.map { .signalled($0) } ?? .exited(result.exitCode ?? -1)
        return "the gate \(termination)"
    }

    // MARK: - Output

    /// Appends `text` to `file`; returns the offset where it ends.
    private static func append(_ text: String, to file: URL) throws -> UInt64 {
        let handle = try FileHandle(forWritingTo: file)
        defer { try? handle.close() }
        _ = try handle.seekToEnd()
        if !text.isEmpty { try handle.write(contentsOf: Data(text.utf8)) }
        return try handle.offset()
    }

    /// The size, SHA-256 and end of `file` from `offset` on, read in pieces; the end is cut at a line start (marked
    /// `…`) when it was shortened, and trimmed of blank lines.
    static func digest(of file: URL, from offset: UInt64, tailBytes: Int) throws -> (
        bytes: Int, sha256: String, tail: String
    ) {
        let handle = try FileHandle(forReadingFrom: file)
        defer { try? handle.close() }
        try handle.seek(toOffset: offset)
        var hash = SHA256()
        var bytes = 0
        var tail = Data()
        while let chunk = try handle.read(upToCount: 1 << 16), !chunk.isEmpty {
            hash.update(chunk)
            bytes += chunk.count
            tail.append(chunk)
            if tail.count > 2 * tailBytes { tail = tail.suffix(tailBytes) }
        }
        let shortened = tail.count > tailBytes || bytes > tail.count
        if tail.count > tailBytes { tail = tail.suffix(tailBytes) }
        var text = String(decoding: tail, as: UTF8.self)
        if shortened, let newline = text.firstIndex(of: "\n") {
            text = "…" + text[text.index(after: newline)...]
        }
        return (bytes, hash.finalHex(), text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    private static func redact(_ text: String, _ secrets: [String]) -> String {
        secrets.filter { !$0.isEmpty }.reduce(text) { $0.replacingOccurrences(of: $1, with: "[REDACTED]") }
    }

    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }
}
