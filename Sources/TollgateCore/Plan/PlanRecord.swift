/// A plan dispatched as tasks in a tactical phase, as the job's state keeps it (DESIGN §10): the todos, each task's
/// state and what it left, and the plan's own state.
///
/// Recorded with every step of the dispatch, so a dispatch killed at any point is rebuilt from it
/// (``DispatchMachine/init(plan:maxParallel:recorded:)``) and never runs a finished task again.
public struct PlanRecord: Codable, Sendable, Equatable {
    /// The plan's state, the seed's: `draft → dispatching → running → verifying → verified | failed`, and
    /// `cancelled`.
    public enum Status: String, Codable, Sendable, Equatable, CaseIterable {
        case draft, dispatching, running, verifying, verified, failed, cancelled
    }

    /// One todo of the plan and the task that carries it out.
    public struct Task: Codable, Sendable, Equatable {
        public var id: String
        public var title: String
        /// Markdown for the task's brief.
        public var details: String?
        public var dependsOn: [String]
        public var priority: Int?
        public var state: DispatchMachine.TaskState
        /// The phase branch's commit the task branch was made from: the base of its landing.
        public var startPoint: String?
        /// The task branch's tip when its agent ended.
        public var tip: String?
        /// Its commit on the phase branch, once it landed.
        public var commit: String?
        /// How long its agent ran, in milliseconds.
        public var durationMs: Int?
        /// The agent's one-line summary.
        public var summary: String?
        /// Why its agent failed.
        public var failure: String?
        /// The paths its landing conflicted on.
        public var conflicts: [String]

        public init(_ todo: PlanTodo) {
            self.id = todo.id
            self.title = todo.title
            self.details = todo.details
            self.dependsOn = todo.dependsOn
            self.priority = todo.priority
            self.state = .queued
            self.startPoint = nil
            self.tip = nil
            self.commit = nil
            self.durationMs = nil
            self.summary = nil
            self.failure = nil
            self.conflicts = []
        }

        /// The todo this task carries out.
        public var todo: PlanTodo {
            PlanTodo(id: id, title: title, details: details, dependsOn: dependsOn, priority: priority)
        }
    }

    /// The phase the plan is dispatched in.
    public var phase: PhaseRef
    public var status: Status
    /// The tasks in the plan's order.
    public var tasks: [Task]
    /// The revision of the phase the tasks ran in: its verification judges the tasks too (a later revision, after
    /// requested changes, is judged by its gates alone).
    public var revision: Int
    /// Where the engine left the phase branch: the start point of the first task, then each landing's commit.
    ///
    /// Only the engine moves the phase branch while the plan is dispatched, so a landing merges with this commit and moves
    /// the branch from it; found elsewhere, the branch was moved by someone else (a task's agent) and is put back.
    /// Nil before the first task starts (and in a state written before it was kept).
    public var phaseTip: String?

    /// A plan about to be dispatched in `phase` at `revision` (every task queued).
    public init(plan: TodoPlan, phase: PhaseRef, revision: Int) {
        self.phase = phase
        self.status = .draft
        self.tasks = plan.todos.map(Task.init)
        self.revision = revision
    }

    /// The phase branch the tasks land on.
    public var branch: String { phase.branch }

    /// The plan, for ``DispatchMachine``.
    public var todoPlan: TodoPlan { TodoPlan(todos: tasks.map(\.todo)) }

    /// Each task's recorded state, by id.
    public var states: [String: DispatchMachine.TaskState] {
        Dictionary(tasks.map { ($0.id, $0.state) }, uniquingKeysWith: { first, _ in first })
    }

    /// The task `id`, if the plan has it.
    public func task(_ id: String) -> Task? { tasks.first { $0.id == id } }

    /// Changes the task `id` (nothing when the plan has none).
    public mutating func update(_ id: String, _ change: (inout Task) -> Void) {
        guard let index = tasks.firstIndex(where: { $0.id == id }) else { return }
        change(&tasks[index])
    }

    /// A task's branch, `<phase branch>-task-<id>`.
    public func branch(of id: String) -> String { PlanProgress.branch(of: id, on: branch) }

    /// The tasks that ended in `error`, `conflict` or `blocked`.
    public var failedTasks: [Task] { tasks.filter { [.error, .conflict, .blocked].contains($0.state) } }

    /// What went wrong, a sentence a task, in the plan's order.
    public var failureLines: [String] {
        failedTasks.map { task in
            switch task.state {
            case .error: "task `\(task.id)` failed: \(task.failure ?? "its agent failed")"
            case .conflict:
                "task `\(task.id)` conflicts with the phase branch"
                    + (task.conflicts.isEmpty ? "" : " in " + task.conflicts.map { "`\($0)`" }.joined(separator: ", "))
                    + "; its work is kept on \(branch(of: task.id))"
            default:
                "task `\(task.id)` is blocked: "
                    + task.dependsOn.filter { self.task($0)?.state != .done }.map { "`\($0)`" }.joined(separator: ", ")
                    + " did not land"
            }
        }
    }

    /// The plan as `status` and the pull request show it.
    public var progress: PlanProgress {
        PlanProgress(
            tasks: tasks.map { task in
                PlanProgress.Task(
                    id: task.id,
                    title: task.title,
                    status: task.state,
                    dependsOn: task.dependsOn,
                    branch: branch(of: task.id),
                    commit: task.commit,
                    durationMs: task.durationMs
                )
            }
        )
    }
}

/// The verification of one revision of a phase (DESIGN §10): the gates' results as each one ended, and, once every
/// gate ran, what failed (the plan's failed tasks included).
public struct VerifyRecord: Codable, Sendable, Equatable {
    public var phase: PhaseRef
    public var revision: Int
    /// The commit the gates ran on: the phase branch's head when the verification began.
    public var commit: String
    /// The gates that ended so far, in order.
    public var results: [GateResult]
    /// Set once every gate ran: what failed, a sentence each (empty: verified).
    public var failures: [String]?

    public init(phase: PhaseRef, revision: Int, commit: String, results: [GateResult] = []) {
        self.phase = phase
        self.revision = revision
        self.commit = commit
        self.results = results
        self.failures = nil
    }

    /// Whether every gate ran and the verdict is recorded.
    public var isFinished: Bool { failures != nil }

    /// The report committed as `verify/phase-N/rev-M/`.
    public var report: GateReport {
        GateReport(phase: phase.number, revision: revision, commit: commit, results: results)
    }
}

extension JobState {
    /// Why the current revision's verification failed (its failed tasks and gates); nil when it passed or did not run.
    ///
    /// A boundary with a failure freezes at every level.
    public var verifyFailure: String? {
        guard let verification, verification.phase == phase, verification.revision == revision,
            let failures = verification.failures, !failures.isEmpty
        else { return nil }
        return "verification failed: " + failures.joined(separator: "; ")
    }

    /// The plan dispatched in the current phase, if it was.
    public var currentPlan: PlanRecord? {
        guard let plan, plan.phase == phase else { return nil }
        return plan
    }
}
