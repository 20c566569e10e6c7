import Foundation
import TollgateCore

/// Runs `agent.command` with `/bin/sh -c` in the workspace, and reads the outcome it leaves.
public struct ShellAgentRunner: AgentRunner {
    /// Added to the agent's environment (this process's own, with the directory of the running tollgate first on
    /// `PATH` so that `tollgate example-agent` resolves even when tollgate is not installed).
    public var baseEnvironment: [String: String]
    /// Told, about once a second while the agent runs, the time it has run and the last line of its log.
    public var heartbeat: (@Sendable (_ elapsed: Duration, _ lastLine: String?) -> Void)?
    /// Where each run's `agent.duration_ms` goes (DESIGN §11); nil records nothing.
    public var telemetry: TelemetryLog?

    public init(
        baseEnvironment: [String: String] = ShellAgentRunner.defaultEnvironment(),
        heartbeat: (@Sendable (_ elapsed: Duration, _ lastLine: String?) -> Void)? = nil,
        telemetry: TelemetryLog? = nil
    ) {
        self.baseEnvironment = baseEnvironment
        self.heartbeat = heartbeat
        self.telemetry = telemetry
    }

    public func run(_ invocation: AgentInvocation) async throws -> AgentReport {
        // Emptied, not removed: the agent's `>` then rewrites the file instead of creating one (a new file costs
        // much more than a rewrite where ext4 runs without a journal). Empty reads as no outcome. A link or FIFO an
        // agent left there is replaced, never emptied through.
        let emptied = openOwnRegularFile(invocation.outcomeFile.path)
        if emptied >= 0 {
            close(emptied)
        } else {
            try? FileManager.default.removeItem(at: invocation.outcomeFile)
        }
        try FileManager.default.createDirectory(
            at: invocation.logFile.deletingLastPathComponent(),
            withIntermediateDirectories: true
        )
        let environment = baseEnvironment.merging(invocation.environment) { _, new in new }
        var process = ChildProcess.shell(
            invocation.command,
            environment: environment,
            directory: invocation.directory,
            outputFile: invocation.logFile,
            timeoutSeconds: invocation.timeoutSeconds,
            graceSeconds: invocation.graceSeconds,
            runtimeRecord: invocation.runtimeRecord
        )
        if let heartbeat {
            let log = invocation.logFile
            process.heartbeat = { elapsed in heartbeat(elapsed, LogTail.lines(of: log, count: 1).last) }
        }
        let started = ContinuousClock.now
        let child = process
        let termination = try await Blocking.run { try child.run() }
        telemetry?.record(
            .agentDuration,
            Double(ProcessCritic.milliseconds(ContinuousClock.now - started)),
            phase: invocation.environment["TOLLGATE_PHASE"].flatMap { Int($0) }
        )
        var report = Self.readOutcome(at: invocation.outcomeFile)
        switch termination {
        case .exited(0):
            // The contract: no outcome, or a malformed one, fails the run (its work is still committed).
            if let problem = report.warnings.first {
                report.failure = problem + "; the agent must write its outcome JSON to the file TOLLGATE_OUTCOME names"
                report.warnings.removeFirst()
            }
        case .exited(127):
            report.failure =
                "the agent command was not found: `\(invocation.command)` (the shell exited 127). "
                + "Check agent.command (`tollgate config`); log: \(invocation.logFile.path)"
        case .exited(126):
            report.failure =
                "the agent command is not executable: `\(invocation.command)` (the shell exited 126). "
                + "Check its permissions; log: \(invocation.logFile.path)"
        case .timedOut where invocation.budgetStop != nil:
            report.failure = (invocation.budgetStop ?? "") + "; log: \(invocation.logFile.path)"
        case .timedOut(let seconds):
            report.failure =
                "the agent did not finish within agent.timeoutSeconds (\(seconds) s) and was stopped. "
                + "Raise the limit with `tollgate config \(ShellQuoting.quoted(invocation.directory.path)) --set agent.timeoutSeconds=N`; log: \(invocation.logFile.path)"
        case .interrupted(let signal):
            report.failure =
                "tollgate was interrupted (\(ProcessGroups.name(of: signal))) and stopped the agent with its process "
                + "group; `tollgate run \(ShellQuoting.quoted(invocation.directory.path))` runs the phase again; log: \(invocation.logFile.path)"
        case .exited, .signalled:
            report.failure = "the agent \(termination) (`\(invocation.command)`); log: \(invocation.logFile.path)"
        }
        if report.failure != nil, termination != .exited(0) {
            let tail = LogTail.lines(of: invocation.logFile, count: 5)
            if !tail.isEmpty {
                report.failure? +=
                    "\nlast lines of the agent's output:\n" + tail.map { "  | " + $0 }.joined(separator: "\n")
            }
        }
        return report
    }

    /// Reads the outcome JSON; a missing or malformed one comes back as a warning for the caller to weigh.
    static func readOutcome(at url: URL) -> AgentReport {
        guard let data = try? Data(contentsOf: url), !data.isEmpty else {
            return AgentReport(warnings: ["the agent wrote no outcome to TOLLGATE_OUTCOME"])
        }
        do {
            // Cleaned here, once: the texts go into commit messages whose trailers a rerun reads back.
            return AgentReport(outcome: try JSONDecoder().decode(AgentOutcome.self, from: data).cleaned)
        } catch {
            return AgentReport(
                warnings: [
                    "the agent's outcome (\(url.path)) is not of the expected shape: \(DecodingProblem.sentence(error))"
                ]
            )
        }
    }

    /// This process's environment with its own executable's directory first on `PATH`.
    public static func defaultEnvironment() -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        if let directory = Bundle.main.executableURL?.deletingLastPathComponent().path {
            environment["PATH"] = directory + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        }
        return environment
    }
}

/// The last lines of a log file, read from its end (a long log is not read whole), each made one clean line.
enum LogTail {
    static func lines(of url: URL, count: Int, window: Int = 8192) -> [String] {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return [] }
        defer { try? handle.close() }
        guard let size = try? handle.seekToEnd() else { return [] }
        let start = size > UInt64(window) ? size - UInt64(window) : 0
        guard (try? handle.seek(toOffset: start)) != nil, let data = try? handle.readToEnd() else { return [] }
        var lines = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).map(String.init)
        if start > 0, !lines.isEmpty { lines.removeFirst() }  // cut mid-line
        return lines.compactMap(CommitText.line).suffix(count).map { $0 }
    }
}
