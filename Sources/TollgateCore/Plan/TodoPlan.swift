/// A strategic phase's plan: the todos of `todos.yaml` (DESIGN §10), checked as a list and as a graph.
public struct TodoPlan: Sendable, Equatable {
    /// The plan's file, at the root of the workspace.
    public static let fileName = "todos.yaml"

    /// The todos in file order.
    public var todos: [PlanTodo]

    public init(todos: [PlanTodo]) {
        self.todos = todos
    }

    /// The keys a todo may have.
    public static let todoKeys = ["id", "title", "details", "dependsOn", "priority"]

    /// Reads `text` (the contents of `todos.yaml`) as a plan.
    ///
    /// A document with no top-level `todos` key, or with `todos: []`, holds no plan. Syntax errors stop at the
    /// first; errors of the todos themselves (a bad or duplicate id, a missing title, an unknown dependency, a
    /// cycle) are all reported, in file order.
    public static func read(_ text: String) -> PlanReading {
        let root: YAMLNode?
        do {
            root = try YAMLSubsetReader.read(text)
        } catch {
            return .invalid([error])
        }
        guard let root else { return .noPlan }
        guard case .mapping(let entries, _) = root else {
            return .invalid([
                PlanError(
                    at: root.position,
                    "the file is \(root.kindDescription); a plan is a mapping with the key `todos:` holding a list"
                )
            ])
        }
        guard let todosEntry = entries.first(where: { $0.key == "todos" }) else { return .noPlan }
        switch todosEntry.value {
        case .sequence(let items, _):
            if items.isEmpty { return .noPlan }
            return Self.check(items)
        case .scalar("", false, _):
            return .noPlan
        case let other:
            return .invalid([
                PlanError(
                    at: other.position,
                    "`todos` holds \(other.kindDescription); it must be a list of todos, each starting with `- id:`"
                )
            ])
        }
    }

    // MARK: - Checking

    private static func check(_ items: [YAMLNode]) -> PlanReading {
        var errors: [PlanError] = []
        var todos: [PlanTodo] = []
        for item in items {
            switch todo(from: item) {
            case .success(let todo): todos.append(todo)
            case .failure(let failures): errors.append(contentsOf: failures.errors)
            }
        }
        errors.append(contentsOf: graphErrors(todos))
        guard errors.isEmpty else { return .invalid(errors.sorted { ($0.line, $0.column) < ($1.line, $1.column) }) }
        return .plan(TodoPlan(todos: todos))
    }

    private struct Failures: Error {
        var errors: [PlanError]
    }

    private static func todo(from node: YAMLNode) -> Result<PlanTodo, Failures> {
        guard case .mapping(let entries, let position) = node else {
            return .failure(
                Failures(errors: [
                    PlanError(
                        at: node.position,
                        "a todo is \(node.kindDescription) here; write it as `- id: …` with `title: …`"
                    )
                ])
            )
        }
        var errors: [PlanError] = []
        var id: String?
        var idPosition = position
        var title: String?
        var details: String?
        var dependsOn: [PlanDependency] = []
        var priority: Int?
        for entry in entries {
            switch entry.key {
            case "id":
                guard let value = scalar(entry, &errors) else { continue }
                idPosition = entry.value.position
                if PlanTodo.isValidID(value) {
                    id = value
                } else {
                    errors.append(
                        PlanError(
                            at: entry.value.position,
                            "the id `\(value)` is not allowed; an id is 1 to 40 of a-z, 0-9 and `-`, starting with a letter or digit"
                        )
                    )
                }
            case "title":
                guard let value = scalar(entry, &errors) else { continue }
                if value.contains(where: \.isNewline) || value.isEmpty {
                    errors.append(PlanError(at: entry.value.position, "a title is one line of text, not empty"))
                } else {
                    title = value
                }
            case "details":
                details = scalar(entry, &errors)
            case "dependsOn":
                switch entry.value {
                case .sequence(let items, _):
                    for item in items {
                        guard case .scalar(let value, _, let at) = item else {
                            errors.append(
                                PlanError(at: item.position, "`dependsOn` lists ids only, e.g. [lexer, tokens]")
                            )
                            continue
                        }
                        dependsOn.append(PlanDependency(id: value, position: at))
                    }
                case .scalar("", false, _):
                    break
                case let other:
                    errors.append(
                        PlanError(
                            at: other.position,
                            "`dependsOn` holds \(other.kindDescription); write a list of ids, e.g. [lexer, tokens]"
                        )
                    )
                }
            case "priority":
                guard let value = scalar(entry, &errors) else { continue }
                if case .scalar(_, false, _) = entry.value, let number = Int(value), String(number) == value {
                    priority = number
                } else {
                    errors.append(
                        PlanError(at: entry.value.position, "the priority `\(value)` is not a whole number, e.g. 1")
                    )
                }
            default:
                errors.append(
                    PlanError(
                        at: entry.keyPosition,
                        "unknown key `\(entry.key)` in a todo; allowed: \(todoKeys.map { "`\($0)`" }.joined(separator: ", "))"
                    )
                )
            }
        }
        if !entries.contains(where: { $0.key == "id" }) {
            errors.append(PlanError(at: position, "this todo has no `id`"))
        }
        if !entries.contains(where: { $0.key == "title" }) {
            errors.append(PlanError(at: position, "this todo has no `title`"))
        }
        guard errors.isEmpty, let id, let title else { return .failure(Failures(errors: errors)) }
        return .success(
            PlanTodo(
                id: id,
                title: title,
                details: details,
                dependsOn: dependsOn.map(\.id),
                priority: priority,
                position: idPosition,
                dependencyPositions: dependsOn.map(\.position)
            )
        )
    }

    private struct PlanDependency {
        var id: String
        var position: SourcePosition
    }

    /// The text of a scalar entry, or an error saying a value was expected.
    private static func scalar(_ entry: YAMLEntry, _ errors: inout [PlanError]) -> String? {
        guard case .scalar(let value, _, _) = entry.value else {
            errors.append(
                PlanError(
                    at: entry.value.position,
                    "`\(entry.key)` holds \(entry.value.kindDescription); it takes a value"
                )
            )
            return nil
        }
        return value
    }

    /// Duplicate ids, unknown or self dependencies, and cycles (each cycle named once, from its first todo in file
    /// order).
    private static func graphErrors(_ todos: [PlanTodo]) -> [PlanError] {
        var errors: [PlanError] = []
        var firstLine: [String: Int] = [:]
        for todo in todos {
            if let line = firstLine[todo.id] {
                errors.append(PlanError(at: todo.position, "the id `\(todo.id)` is used twice (first on line \(line))"))
            } else {
                firstLine[todo.id] = todo.position.line
            }
        }
        let known = Set(todos.map(\.id))
        for todo in todos {
            var listed: Set<String> = []
            for (dependency, position) in zip(todo.dependsOn, todo.dependencyPositions) {
                if dependency == todo.id {
                    errors.append(PlanError(at: position, "`\(todo.id)` depends on itself"))
                } else if !known.contains(dependency) {
                    errors.append(
                        PlanError(at: position, "`\(todo.id)` depends on `\(dependency)`, which no todo has as id")
                    )
                } else if !listed.insert(dependency).inserted {
                    errors.append(PlanError(at: position, "`\(todo.id)` lists `\(dependency)` twice"))
                }
            }
        }
        guard errors.isEmpty else { return errors }
        return cycles(todos).map { cycle in
            let start = todos.first { $0.id == cycle[0] }?.position ?? SourcePosition(line: 0, column: 0)
            return PlanError(
                at: start,
                "the todos depend on each other in a cycle: \((cycle + [cycle[0]]).joined(separator: " → "))"
            )
        }
    }

    /// Every cycle of the dependency graph once, as the ids along it, each starting from its first todo in file
    /// order.
    static func cycles(_ todos: [PlanTodo]) -> [[String]] {
        let order = Dictionary(uniqueKeysWithValues: todos.enumerated().map { ($1.id, $0) })
        let edges = Dictionary(uniqueKeysWithValues: todos.map { ($0.id, $0.dependsOn) })
        enum Mark { case visiting, done }
        var marks: [String: Mark] = [:]
        var stack: [String] = []
        var found: [[String]] = []
        var seen: Set<[String]> = []
        func visit(_ id: String) {
            marks[id] = .visiting
            stack.append(id)
            for next in edges[id] ?? [] {
                switch marks[next] {
                case .visiting:
                    guard let start = stack.lastIndex(of: next) else { continue }
                    var cycle = Array(stack[start...])
                    let first = cycle.indices.min { order[cycle[$0], default: 0] < order[cycle[$1], default: 0] } ?? 0
                    cycle = Array(cycle[first...] + cycle[..<first])
                    if seen.insert(cycle).inserted { found.append(cycle) }
                case .done: continue
                case nil: visit(next)
                }
            }
            stack.removeLast()
            marks[id] = .done
        }
        for todo in todos where marks[todo.id] == nil { visit(todo.id) }
        return found
    }

    // MARK: - Order

    /// The todos that may start: not started yet, every dependency in `merged`; by priority (a todo without one after
    /// those with one), then file order.
    public func ready(merged: Set<String>, started: Set<String>) -> [PlanTodo] {
        todos.enumerated()
            .filter { !started.contains($1.id) && $1.dependsOn.allSatisfy(merged.contains) }
            .sorted { ($0.element.priority ?? Int.max, $0.offset) < ($1.element.priority ?? Int.max, $1.offset) }
            .map(\.element)
    }

    /// The todos that can never start because a dependency, directly or through others, is in `failed`.
    public func blocked(byFailed failed: Set<String>) -> Set<String> {
        var blocked: Set<String> = []
        var changed = true
        while changed {
            changed = false
            for todo in todos where !blocked.contains(todo.id) && !failed.contains(todo.id) {
                if todo.dependsOn.contains(where: { failed.contains($0) || blocked.contains($0) }) {
                    blocked.insert(todo.id)
                    changed = true
                }
            }
        }
        return blocked
    }
}

/// One todo of a plan.
public struct PlanTodo: Sendable, Equatable {
    public var id: String
    public var title: String
    /// Markdown for the task's brief.
    public var details: String?
    /// Ids of todos of the same plan that must land first.
    public var dependsOn: [String]
    /// Lower starts first among ready todos; none sorts after every todo that has one.
    public var priority: Int?
    /// Where the todo's id is written.
    public var position: SourcePosition
    var dependencyPositions: [SourcePosition]

    public init(
        id: String,
        title: String,
        details: String? = nil,
        dependsOn: [String] = [],
        priority: Int? = nil,
        position: SourcePosition = SourcePosition(line: 0, column: 0),
        dependencyPositions: [SourcePosition]? = nil
    ) {
        self.id = id
        self.title = title
        self.details = details
        self.dependsOn = dependsOn
        self.priority = priority
        self.position = position
        self.dependencyPositions =
            dependencyPositions ?? Array(repeating: SourcePosition(line: 0, column: 0), count: dependsOn.count)
    }

    /// `[a-z0-9][a-z0-9-]{0,39}`: an id names a branch (`phase-2-tactical-task-<id>`) and a folder.
    public static func isValidID(_ id: String) -> Bool {
        let characters = Array(id.unicodeScalars)
        guard (1...40).contains(characters.count), let first = characters.first else { return false }
        func allowed(_ scalar: Unicode.Scalar) -> Bool { ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) }
        return allowed(first) && characters.allSatisfy { allowed($0) || $0 == "-" }
    }
}

/// What `todos.yaml` holds: no plan, a plan, or errors.
public enum PlanReading: Sendable, Equatable {
    /// No `todos` key, or an empty list: the tactical phase is one run.
    case noPlan
    case plan(TodoPlan)
    case invalid([PlanError])
}
