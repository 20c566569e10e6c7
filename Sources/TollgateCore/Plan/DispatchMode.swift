/// How a tactical phase with a plan runs (`dispatch.mode`, DESIGN §10).
public enum DispatchMode: String, Codable, Sendable, CaseIterable, Equatable, ConfigChoice, CustomStringConvertible {
    /// Tasks when the plan has two todos or more, else one run.
    case auto
    /// Always one agent run over the whole plan.
    case single
    /// Always one agent a task.
    case tasks

    public var description: String { self.rawValue }
}
