import Foundation
import Synchronization
import TollgateCore
import TollgateEngine

/// An in-process agent for the tests of dispatched plans (DESIGN §10).
///
/// Phase 1 (strategic) writes the given `todos.yaml`; a later strategic phase reports the job complete. A tactical
/// run that is not a task (one run, or a feedback run) appends a line to `work/phase-N.txt`. A task does what its
/// ``Behaviour`` says: it waits (asynchronously, so tasks overlap without holding a thread), checks that the files
/// of the tasks it builds on are in its worktree, writes its files, and fails when told to. Every run is recorded
/// with when it started and ended.
public final class PlanAgentRunner: AgentRunner {
    /// What a task's agent does.
    public struct Behaviour: Sendable {
        /// Files written in the task's worktree, by path (default: `tasks/<id>.txt`).
        public var files: [String: String]?
        /// How long the agent works.
        public var duration: Duration
        /// Paths that must be in the worktree when the agent starts (the work of the tasks it depends on); one
        /// missing fails the task.
        public var requires: [String]
        /// The failure the agent reports, if it fails.
        public var failure: String?
        /// The usage a task that succeeds reports (default: 10 output tokens).
        public var usage: AgentOutcome.Usage?
        /// What the agent does last, given its worktree (a hostile agent's git commands, a wait for another task).
        public var act: (@Sendable (_ worktree: URL) async throws -> Void)?

        public init(
            files: [String: String]? = nil,
            duration: Duration = .milliseconds(20),
            requires: [String] = [],
            failure: String? = nil,
            usage: AgentOutcome.Usage? = .init(outputTokens: 10),
            act: (@Sendable (_ worktree: URL) async throws -> Void)? = nil
        ) {
            self.files = files
            self.duration = duration
            self.requires = requires
            self.failure = failure
            self.usage = usage
            self.act = act
        }
    }

    /// One run, with its time.
    public struct Run: Sendable {
        public var environment: [String: String]
        public var directory: URL
        public var started: ContinuousClock.Instant
        public var ended: ContinuousClock.Instant
        /// The timeout the engine gave the agent.
        public var timeoutSeconds: Int = 0

        /// The task's id in task mode.
        public var task: String? { environment["TOLLGATE_TASK"] }
        public var mode: String? { environment["TOLLGATE_MODE"] }
    }

    private let plan: String
    private let behaviours: [String: Behaviour]
    private let log = Mutex<[Run]>([])

    /// An agent whose first strategic phase writes `plan` as `todos.yaml`.
    public init(plan: String, tasks: [String: Behaviour] = [:]) {
        self.plan = plan
        self.behaviours = tasks
    }

    /// Every run so far, in the order they ended.
    public var runs: [Run] { log.withLock { $0 } }

    /// The task runs, in the order they ended.
    public var taskRuns: [Run] { runs.filter { $0.mode == "task" } }

    /// How many times the agent of task `id` ran.
    public func runCount(of id: String) -> Int { taskRuns.filter { $0.task == id }.count }

    public func run(_ invocation: AgentInvocation) async throws -> AgentReport {
        let started = ContinuousClock.now
        let environment = invocation.environment
        let directory = invocation.directory
        let phase = Int(environment["TOLLGATE_PHASE"] ?? "") ?? 0
        let type = environment["TOLLGATE_PHASE_TYPE"] ?? ""
        var report: AgentReport
        if environment["TOLLGATE_MODE"] == "task", let id = environment["TOLLGATE_TASK"] {
            let behaviour = behaviours[id] ?? Behaviour()
            try await Task.sleep(for: behaviour.duration)
            let missing = behaviour.requires.filter {
                !FileManager.default.fileExists(atPath: directory.appendingPathComponent($0).path)
            }
            for (path, text) in behaviour.files ?? ["tasks/\(id).txt": "task \(id) done\n"] {
                try Self.write(text, to: path, in: directory)
            }
            try await behaviour.act?(directory)
            if !missing.isEmpty {
                report = AgentReport(failure: "task \(id) started without \(missing.joined(separator: ", "))")
            } else if let failure = behaviour.failure {
                report = AgentReport(failure: failure)
            } else {
                report = AgentReport(
                    outcome: AgentOutcome(summary: "Do \(id)", details: "Did \(id).", usage: behaviour.usage)
                )
            }
        } else if type == "strategic" {
            if phase == 1 {
                try Self.write(plan, to: TodoPlan.fileName, in: directory)
                try Self.write("# Plan\n", to: "plan.md", in: directory)
            } else {
                try Self.write("todos: []\n", to: TodoPlan.fileName, in: directory)
            }
            report = AgentReport(
                outcome: AgentOutcome(summary: "Plan phase \(phase)", details: "Planned.", jobComplete: phase > 1)
            )
        } else {
            try ScriptedAgentRunner.append(
                "phase \(phase) \(type) mode \(environment["TOLLGATE_MODE"] ?? "")\n",
                to: "work/phase-\(phase).txt",
                in: directory
            )
            report = AgentReport(outcome: AgentOutcome(summary: "Work of phase \(phase)", details: "Worked."))
        }
        let run = Run(
            environment: environment,
            directory: directory,
            started: started,
            ended: .now,
            timeoutSeconds: invocation.timeoutSeconds
        )
        log.withLock { $0.append(run) }
        return report
    }

    /// Writes `text` at `path` under `directory`, making its folder.
    public static func write(_ text: String, to path: String, in directory: URL) throws {
        let url = directory.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }
}
