/// The dispatch of a plan's todos as tasks (DESIGN §10), as a pure machine: it is told what happened (a task
/// started, finished, landed or conflicted) and answers what to do next.
///
/// The shell runs agents in worktrees, merges, and records each event; a dispatch killed at any point is rebuilt from
/// the recorded task states and goes on without running a finished task again.
public struct DispatchMachine: Sendable, Equatable {
    /// A task's state: `queued → running → done | error | conflict`, or `blocked` when a dependency did not finish.
    public enum TaskState: String, Sendable, Codable, Equatable {
        case queued, running, finished, done, error, conflict, blocked

        /// Whether nothing more happens to the task in this dispatch.
        public var isFinal: Bool { self == .done || self == .error || self == .conflict || self == .blocked }
    }

    /// What the shell does next.
    public enum Action: Sendable, Equatable {
        /// Start the task's agent in its worktree, on its task branch made from the phase branch's head.
        case start(String)
        /// Land the finished task's branch on the phase branch (one commit, a three-way merge); one at a time, in the
        /// order the tasks finished.
        case land(String)
        /// Record these tasks as blocked: a dependency ended in error, conflict or blocked.
        case block([String])
        /// Every task is final: run the verify gates on the phase branch's head.
        case verify(failedTasks: [String])
    }

    public let plan: TodoPlan
    public let maxParallel: Int
    public private(set) var states: [String: TaskState]
    /// A landing is under way: no other starts until it is recorded (the phase branch moves by compare-and-swap).
    public private(set) var landing: String?
    /// Finished tasks waiting to land, in the order they finished.
    public private(set) var toLand: [String]

    /// A fresh dispatch, or one rebuilt from `recorded` states (a task recorded `running` whose agent is gone is
    /// started again: its result was never recorded; one recorded `finished` is landed, not run again).
    public init(plan: TodoPlan, maxParallel: Int, recorded: [String: TaskState] = [:]) {
        self.plan = plan
        self.maxParallel = max(1, maxParallel)
        var states: [String: TaskState] = [:]
        for todo in plan.todos {
            let state = recorded[todo.id] ?? .queued
            states[todo.id] = state == .running ? .queued : state
        }
        self.states = states
        self.toLand = plan.todos.map(\.id).filter { states[$0] == .finished }
    }

    private func ids(in wanted: Set<TaskState>) -> Set<String> {
        Set(states.filter { wanted.contains($0.value) }.map(\.key))
    }

    /// What to do now, given the states: blocks first, then a landing, then starts up to `maxParallel`, or verify.
    public func next() -> [Action] {
        let failed = ids(in: [.error, .conflict, .blocked])
        let newlyBlocked = plan.blocked(byFailed: failed).filter { states[$0] == .queued }
        if !newlyBlocked.isEmpty {
            return [.block(plan.todos.map(\.id).filter(newlyBlocked.contains))]
        }
        var actions: [Action] = []
        if landing == nil, let finished = toLand.first { actions.append(.land(finished)) }
        let running = ids(in: [.running]).count
        let done = ids(in: [.done])
        let started = ids(in: [.running, .finished, .done, .error, .conflict, .blocked])
        let ready = plan.ready(merged: done, started: started)
        actions += ready.prefix(max(0, maxParallel - running)).map { .start($0.id) }
        if actions.isEmpty, landing == nil, states.values.allSatisfy(\.isFinal) {
            let failedTasks = plan.todos.map(\.id).filter { states[$0] != .done }
            return [.verify(failedTasks: failedTasks)]
        }
        return actions
    }

    // MARK: - What happened

    public mutating func started(_ id: String) { set(id, .running, from: [.queued]) }

    /// The task's agent ended: `succeeded` queues its landing, else the task is `error` (its work stays on its
    /// branch).
    public mutating func finished(_ id: String, succeeded: Bool) {
        guard states[id] == .running else { return }
        states[id] = succeeded ? .finished : .error
        if succeeded { toLand.append(id) }
    }

    public mutating func landingStarted(_ id: String) {
        guard states[id] == .finished, landing == nil else { return }
        landing = id
    }

    /// The task's commit is on the phase branch.
    public mutating func landed(_ id: String) {
        set(id, .done, from: [.finished])
        toLand.removeAll { $0 == id }
        if landing == id { landing = nil }
    }

    /// The task's branch conflicts with the phase branch: nothing was written, the task branch is kept.
    public mutating func conflicted(_ id: String) {
        set(id, .conflict, from: [.finished])
        toLand.removeAll { $0 == id }
        if landing == id { landing = nil }
    }

    public mutating func blocked(_ ids: [String]) {
        for id in ids { set(id, .blocked, from: [.queued]) }
    }

    private mutating func set(_ id: String, _ state: TaskState, from allowed: Set<TaskState>) {
        guard let current = states[id], allowed.contains(current) else { return }
        states[id] = state
    }
}
