import Foundation
import TollgateCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Runs a critic command over one artifact: its stdout streams through ``CritiqueParser`` into the ``Scoreboard`` as
/// it comes, under a per-round and a total deadline.
///
/// The critic is run by `/bin/sh -c` in `directory`. It gets the artifact two ways: on standard input, and as a
/// path in `TOLLGATE_CRITIQUE_ARTIFACT` (absolute; the file must not be changed). The settings that shape its output
/// are in the environment under their keys' variables (`TOLLGATE_CRITIQUE_MAX_ROUNDS`, `_THRESHOLD`,
/// `_WEIGHTS_<ROLE>`, `_ROUND_TIMEOUT_SECONDS`, `_TOTAL_TIMEOUT_SECONDS`), with protocol v1's `_SCALE`, `_PANEL` and
/// `_PROTOCOL_VERSION`, so a critic that reads its settings from the environment sees those the scoreboard applies.
///
/// How a run ends, as events the transcript keeps (so a replay ends the same way):
/// - the round clock (from the start, then from each `<ROUND>`) or the total clock runs out → `timed_out`, and the
///   process group gets SIGTERM, then SIGKILL after the grace period;
/// - the scoreboard asks to stop (the stream is unusable, or `maxRounds` is used up) → the critic is stopped;
/// - `</CRITIQUE_RUN>` ends the reading; a critic still running `graceSeconds` later is stopped, which is not an
///   error (its run is complete);
/// - the critic exits 0 → the parser is flushed (a stream cut mid-block is `degraded`);
/// - the critic exits non-zero → `process_failed` (the run `failed` unless a round already shipped);
/// - the critic is killed by SIGINT, SIGTERM or SIGHUP from elsewhere (or exits 128 + one of them, as a shell does
///   when such a signal stops its command) → `interrupted`; by another signal → `process_failed` with the negated
///   signal number.
public struct CritiqueRunner {
    /// What one run produced.
    public struct Outcome: Sendable, Equatable {
        /// Every event the scoreboard saw, in order (the transcript's lines).
        public var events: [CritiqueEvent]
        /// The protocol version the stream announced (the configured one when it announced none).
        public var protocolVersion: CritiqueProtocol
        /// The scoreboard's summary.
        public var summary: CritiqueSummary
        /// The artifact the run keeps (the shipped round's, or the fallback's), if it carried one.
        public var keptArtifact: String?
        /// Milliseconds the run took.
        public var latencyMs: Int

        /// The transcript: the header line, then one event a line.
        public func transcript() throws -> String {
            try CritiqueTranscript.render(events, version: protocolVersion)
        }

        /// Records lint findings on the kept artifact as `lint` warnings.
        ///
        /// Each goes into the summary's warnings and, as a warning event, at the end of the transcript, so a replay
        /// of the transcript has them too. The status is the scoreboard's, unchanged (the shell decides what
        /// findings mean for a pass).
        public mutating func addLint(_ findings: [ArtifactLint.Finding]) {
            let warnings = findings.map { CritiqueWarning.lint("\($0.rule): \($0.message)", line: $0.line) }
            events += warnings.map(CritiqueEvent.warning)
            summary.warnings += warnings
        }
    }

    /// The signals that mean someone stopped the critic (the run is `interrupted`, not `failed`).
    static let stoppingSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    /// The variable that holds the artifact's absolute path.
    public static let artifactVariable = "TOLLGATE_CRITIQUE_ARTIFACT"

    public var config: CritiqueConfig
    /// The environment the critic starts from (the runner adds its own variables).
    public var environment: [String: String]
    /// Seconds between SIGTERM and SIGKILL when the critic is stopped.
    public var graceSeconds: Int

    /// Creates a runner.
    public init(config: CritiqueConfig, environment: [String: String], graceSeconds: Int = 2) {
        self.config = config
        self.environment = environment
        self.graceSeconds = graceSeconds
    }

    /// The variables the runner adds to the critic's environment for `artifact`.
    public func critiqueEnvironment(artifact: URL) -> [String: String] {
        var variables = [
            Self.artifactVariable: artifact.path,
            "TOLLGATE_CRITIQUE_SCALE": "\(config.scale)",
            "TOLLGATE_CRITIQUE_PANEL": config.panel.map(\.rawValue).joined(separator: ","),
            "TOLLGATE_CRITIQUE_PROTOCOL_VERSION": "\(config.protocolVersion)",
        ]
        func set<Value>(_ setting: Setting<Value>, _ text: String) {
            if let name = ConfigLayer.environmentVariable(for: setting.key) { variables[name] = text }
        }
        set(ConfigKeys.critiqueMaxRounds, "\(config.maxRounds)")
        set(ConfigKeys.critiqueThreshold, "\(config.threshold)")
        set(ConfigKeys.critiqueRoundTimeoutSeconds, "\(config.roundTimeoutSeconds)")
        set(ConfigKeys.critiqueTotalTimeoutSeconds, "\(config.totalTimeoutSeconds)")
        for (role, key) in CritiqueConfig.weightKeys { set(key, "\(config.weight(of: role))") }
        return variables
    }

    /// Runs `config.command` over `artifact` in `directory`; the critic's stderr goes to `errorFile` (inherited when
    /// nil).
    ///
    /// - Parameter budget: the critic's deadline under the budget (DESIGN §11): when it is shorter than the total
    ///   timeout, the run is stopped there, and the transcript says the budget stopped it (a `budget` warning with
    ///   the cap and the command that raises it, then `timed_out` with scope `budget`).
    /// - Throws: `EngineError.spawnFailed` when the critic cannot be started at all; everything else the critic
    ///   does is part of the outcome.
    public func run(artifact: URL, directory: URL, errorFile: URL? = nil, budget: BudgetDeadline? = nil) throws
        -> Outcome
    {
        let clock = ContinuousClock()
        let start = clock.now
        let process = try StreamingChildProcess.shell(
            config.command,
            environment: environment.merging(critiqueEnvironment(artifact: artifact)) { _, new in new },
            directory: directory,
            input: artifact,
            errorFile: errorFile
        )
        // The budget's deadline, when a hard seconds cap leaves less than the total timeout.
        let budgetStop = budget.flatMap { $0.stopped("the critic") }
        let budgetDeadline = budget.map { start + .seconds($0.limit.seconds) }
        let ownDeadline = start + .seconds(config.totalTimeoutSeconds)
        let totalDeadline = budgetStop != nil ? min(ownDeadline, budgetDeadline ?? ownDeadline) : ownDeadline
        /// The timeout that ran out at `now`: the budget's, when it set the deadline.
        func timedOut(at now: ContinuousClock.Instant) -> [CritiqueEvent] {
            if let budgetStop, let budgetDeadline, budgetDeadline < ownDeadline, now >= budgetDeadline {
                return [.warning(CritiqueWarning(.budget, detail: budgetStop)), .timedOut(.budget)]
            }
            return [.timedOut(now >= totalDeadline ? .total : .round)]
        }
        var roundDeadline = start + .seconds(config.roundTimeoutSeconds)
        var parser = CritiqueParser(options: CritiqueParser.Options(config))
        var scoreboard = Scoreboard(config: config)
        var events: [CritiqueEvent] = []

        /// Feeds one event; true when the critic must be stopped.
        func feed(_ event: CritiqueEvent) -> Bool {
            events.append(event)
            if case .roundStarted = event { roundDeadline = clock.now + .seconds(config.roundTimeoutSeconds) }
            return scoreboard.eventReceived(event).contains { action in
                if case .stopCritic = action { return true }
                return false
            }
        }

        var runFinished = false
        var awaitExit = false
        reading: while true {
            switch process.read(until: min(roundDeadline, totalDeadline)) {
            case .data(let bytes):
                parser.append(bytes)
                while let event = parser.next() {
                    if feed(event) {
                        process.terminate(graceSeconds: graceSeconds)
                        break reading
                    }
                    if event == .runFinished {
                        // The run is complete: what a background process may still write is not read.
                        runFinished = true
                        awaitExit = true
                        break reading
                    }
                }
            case .deadline:
                for event in timedOut(at: clock.now) { _ = feed(event) }
                process.terminate(graceSeconds: graceSeconds)
                break reading
            case .endOfStream:
                awaitExit = true
                break reading
            }
        }
        if awaitExit {
            let deadline = runFinished ? min(clock.now + .seconds(graceSeconds), totalDeadline) : totalDeadline
            if let termination = process.waitForExit(until: deadline) {
                switch process.interruption.map({ ChildProcess.Termination.interrupted(signal: $0) }) ?? termination {
                case .exited(0):
                    for event in parser.finish() {
                        if feed(event) { break }
                    }
                case .exited(let status) where Self.stoppingSignals.map({ 128 + $0 }).contains(status):
                    _ = feed(.interrupted)  // the shell reports a command a signal stopped as 128 + the signal
                case .exited(let status):
                    _ = feed(.processFailed(exitStatus: Int(status)))
                case .signalled(let signal) where Self.stoppingSignals.contains(signal):
                    _ = feed(.interrupted)
                case .signalled(let signal):
                    _ = feed(.processFailed(exitStatus: -Int(signal)))
                case .timedOut:
                    for event in timedOut(at: totalDeadline) { _ = feed(event) }
                case .interrupted:
                    _ = feed(.interrupted)
                }
            } else if !runFinished {
                for event in timedOut(at: totalDeadline) { _ = feed(event) }
            }
            process.terminate(graceSeconds: graceSeconds)  // a critic that lingers after its run, and grandchildren
        }
        let elapsed = clock.now - start
        let version = parser.protocolVersion ?? CritiqueProtocol(rawValue: config.protocolVersion) ?? .current
        return Outcome(
            events: events,
            protocolVersion: version,
            summary: scoreboard.summary,
            keptArtifact: scoreboard.keptArtifact?.text,
            latencyMs: Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
        )
    }
}
