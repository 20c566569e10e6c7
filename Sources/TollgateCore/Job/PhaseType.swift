/// The kind of a phase: phases alternate, starting with a strategic one.
public enum PhaseType: String, Codable, Sendable, CaseIterable, Equatable, ConfigChoice {
    /// Planning and retrospective: `plan.md`, `todos.yaml`.
    case strategic
    /// Execution of the todos of the plan before it.
    case tactical

    /// The type of the phase after this one.
    public var next: PhaseType { self == .strategic ? .tactical : .strategic }

    /// The type of phase number `number` (1-based): odd phases are strategic.
    public static func of(phase number: Int) -> PhaseType { number % 2 == 1 ? .strategic : .tactical }
}
