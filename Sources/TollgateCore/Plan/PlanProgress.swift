/// Where a dispatched plan stands, task by task, and the texts that show it: the pull request body's checklist and
/// the `tollgate status` table (DESIGN §10).
///
/// Pure: the shell gathers the records from the job's state.
public struct PlanProgress: Sendable, Equatable, Codable {
    /// One task as `status --json` shows it (`plan.tasks`).
    public struct Task: Sendable, Equatable, Codable {
        public var id: String
        public var title: String
        public var status: DispatchMachine.TaskState
        public var dependsOn: [String]
        /// Its branch, `<phase branch>-task-<id>`.
        public var branch: String
        /// Its landed commit on the phase branch, once `done`.
        public var commit: String?
        /// How long its agent ran, once it ended.
        public var durationMs: Int?

        public init(
            id: String,
            title: String,
            status: DispatchMachine.TaskState,
            dependsOn: [String] = [],
            branch: String,
            commit: String? = nil,
            durationMs: Int? = nil
        ) {
            self.id = id
            self.title = title
            self.status = status
            self.dependsOn = dependsOn
            self.branch = branch
            self.commit = commit
            self.durationMs = durationMs
        }
    }

    /// The tasks, in the plan's order.
    public var tasks: [Task]

    public init(tasks: [Task]) {
        self.tasks = tasks
    }

    /// The progress of `plan` on `phaseBranch` from the recorded states, commits and durations (a task with no
    /// recorded state is `queued`).
    public init(
        plan: TodoPlan,
        phaseBranch: String,
        states: [String: DispatchMachine.TaskState],
        commits: [String: String] = [:],
        durationsMs: [String: Int] = [:]
    ) {
        self.init(
            tasks: plan.todos.map { todo in
                Task(
                    id: todo.id,
                    title: todo.title,
                    status: states[todo.id] ?? .queued,
                    dependsOn: todo.dependsOn,
                    branch: Self.branch(of: todo.id, on: phaseBranch),
                    commit: commits[todo.id],
                    durationMs: durationsMs[todo.id]
                )
            }
        )
    }

    /// A task's branch: `<phase branch>-task-<id>`, such as `phase-2-tactical-task-lexer`.
    public static func branch(of id: String, on phaseBranch: String) -> String { "\(phaseBranch)-task-\(id)" }

    /// How many tasks have landed, such as `3/4`.
    public var summary: String { "\(tasks.filter { $0.status == .done }.count)/\(tasks.count)" }

    // MARK: - The pull request's checklist

    /// The plan as a Markdown checklist for the pull request body: a ticked box for each landed task, each line with
    /// the task's id, title and state (the landed commit, or what stopped it: the dependencies that did not land).
    public func checklist() -> String {
        let byID = Dictionary(tasks.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var lines = ["### Plan (\(summary) landed)", ""]
        for task in tasks {
            let box = task.status == .done ? "[x]" : "[ ]"
            var state: String
            switch task.status {
            case .queued: state = "queued"
            case .running: state = "running"
            case .finished: state = "finished, landing"
            case .done: state = task.commit.map { "landed in \(String($0.prefix(10)))" } ?? "landed"
            case .error: state = "**failed**"
            case .conflict: state = "**conflict** with the phase branch"
            case .blocked:
                let missing = task.dependsOn.filter { byID[$0]?.status != .done }
                state =
                    "**blocked**" + (missing.isEmpty ? "" : " by " + missing.map { "`\($0)`" }.joined(separator: ", "))
            }
            if let duration = task.durationMs, task.status != .queued, task.status != .running {
                state += ", " + GateReport.seconds(duration)
            }
            lines.append("- \(box) `\(task.id)` \(Self.inline(task.title)) — \(state)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A title as inline Markdown text: characters Markdown or HTML would read as markup are escaped.
    static func inline(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "&": result += "&amp;"
            case "\\", "`", "*", "_", "[", "]", "#", "|", "~": result += "\\" + String(character)
            case "\n", "\r": result += " "
            default: result.append(character)
            }
        }
        return result
    }

    // MARK: - The status table

    /// What `tollgate status` calls a task recorded `running` whose agent is no longer there (tollgate was
    /// interrupted or killed while it ran): the next run starts it again.
    public static let interrupted = "interrupted"

    /// The plan as `tollgate status` shows it: one row a task with its state, its agent's time and its branch,
    /// columns padded to their widest cell.
    ///
    /// The tasks in `interrupted` (recorded running, their agents gone) show as ``interrupted``.
    public func table(interrupted: Set<String> = []) -> String {
        let header = ["TASK", "STATE", "TIME", "BRANCH"]
        let rows = tasks.map { task in
            [
                task.id, interrupted.contains(task.id) ? Self.interrupted : task.status.rawValue,
                task.durationMs.map(GateReport.seconds) ?? "–", task.branch,
            ]
        }
        let widths = header.indices.map { column in
            ([header] + rows).map { $0[column].count }.max() ?? 0
        }
        return ([header] + rows).map { cells in
            cells.enumerated().map { column, cell in
                column == cells.count - 1 ? cell : cell + String(repeating: " ", count: widths[column] - cell.count)
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}
