/// What is wrong with a plan: where (line and column, from 1) and what is allowed instead.
///
/// Syntax errors come from ``YAMLSubsetReader``; the others from checking the plan as a list of todos and as a
/// graph (``TodoPlan/read(_:)``). A position of line 0 means the whole file.
public struct PlanError: Error, Sendable, Equatable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public var message: String

    public init(line: Int, column: Int, message: String) {
        self.line = line
        self.column = column
        self.message = message
    }

    init(at position: SourcePosition, _ message: String) {
        self.init(line: position.line, column: position.column, message: message)
    }

    /// `todos.yaml:3:7: message`, as compilers print it.
    public var description: String {
        line == 0 ? "\(TodoPlan.fileName): \(message)" : "\(TodoPlan.fileName):\(line):\(column): \(message)"
    }
}
