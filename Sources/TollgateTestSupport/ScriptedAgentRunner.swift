import Foundation
import Synchronization
import TollgateCore
import TollgateEngine

/// An ``AgentRunner`` that runs a Swift script in process instead of `/bin/sh`.
///
/// The script sees the invocation an agent would (the `TOLLGATE_*` environment, the workspace, the brief and feedback
/// files), changes the workspace as an agent would, and says how the run ended. Every invocation is recorded, with
/// the feedback items it was given.
///
/// It is no more lenient than ``ShellAgentRunner``: the outcome it returns is cleaned the same way
/// (``AgentOutcome/cleaned``), and a script that reports no outcome fails the run with the shell runner's message.
public final class ScriptedAgentRunner: AgentRunner {
    /// What one run of the script saw.
    public struct Run: Sendable {
        public var invocation: AgentInvocation
        /// The items of `TOLLGATE_FEEDBACK`, read when the run started (empty without the variable).
        public var feedback: [FeedbackItem]

        public var environment: [String: String] { invocation.environment }
    }

    /// What a script answers: an outcome (nil: it wrote none) or a failure it reports, as a process's exit would.
    public enum Ending: Sendable {
        case outcome(AgentOutcome)
        case noOutcome
        case failed(String)
    }

    public typealias Script = @Sendable (_ invocation: AgentInvocation) throws -> Ending

    private let script: Script
    private let log = Mutex<[Run]>([])

    public init(_ script: @escaping Script) {
        self.script = script
    }

    /// Every run so far, in order.
    public var runs: [Run] { log.withLock { $0 } }

    public func run(_ invocation: AgentInvocation) async throws -> AgentReport {
        let feedback =
            try invocation.environment["TOLLGATE_FEEDBACK"].map {
                try JSONDecoder().decode([FeedbackItem].self, from: Data(contentsOf: URL(fileURLWithPath: $0)))
            } ?? []
        log.withLock { $0.append(Run(invocation: invocation, feedback: feedback)) }
        switch try script(invocation) {
        case .outcome(let outcome): return AgentReport(outcome: outcome.cleaned)
        case .noOutcome:
            return AgentReport(
                failure: "the agent wrote no outcome to TOLLGATE_OUTCOME; the agent must write its outcome JSON to "
                    + "the file TOLLGATE_OUTCOME names"
            )
        case .failed(let failure): return AgentReport(failure: failure)
        }
    }

    /// The agent of ``AgentScript/phases(completeAt:capture:)``, in process: it appends a line to
    /// `work/phase-N.txt` (so every run changes the tree) and reports the job complete from phase `completeAt`, and
    /// `usage` as each run's usage.
    public static func phases(completeAt: Int, usage: AgentOutcome.Usage? = nil) -> ScriptedAgentRunner {
        ScriptedAgentRunner { invocation in
            let environment = invocation.environment
            let phase = Int(environment["TOLLGATE_PHASE"] ?? "") ?? 0
            let type = environment["TOLLGATE_PHASE_TYPE"] ?? ""
            let revision = environment["TOLLGATE_REVISION"] ?? ""
            let line =
                "phase \(phase) \(type) revision \(revision) mode \(environment["TOLLGATE_MODE"] ?? "") "
                + "branch \(environment["TOLLGATE_BRANCH"] ?? "")\n"
            try append(line, to: "work/phase-\(phase).txt", in: invocation.directory)
            return .outcome(
                AgentOutcome(
                    summary: "Phase \(phase) \(type)",
                    details: "Did phase \(phase) (revision \(revision)).",
                    jobComplete: phase >= completeAt,
                    usage: usage
                )
            )
        }
    }

    /// Appends `text` to the workspace file at `path`, making its folder.
    public static func append(_ text: String, to path: String, in directory: URL) throws {
        let url = directory.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        if let handle = try? FileHandle(forWritingTo: url) {
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(text.utf8))
        } else {
            try Data(text.utf8).write(to: url)
        }
    }
}
