/// The autonomy rule: whether a phase boundary stops for a human review.
///
/// Checked in this order: `full` never freezes; a reported `jobComplete` freezes; `dependent` freezes after every
/// phase; `guided` after strategic phases; `partial` after the first strategic phase; otherwise the phase merges at once.
public enum FreezeRule {
    /// Why a boundary freezes; `nil` from ``decide(level:phase:jobComplete:)`` means it merges at once.
    public enum Reason: Codable, Sendable, Equatable, CustomStringConvertible {
        /// The agent reported the job complete: the final review.
        case finalReview
        /// The autonomy level asks for a review of this phase.
        case autonomy(AutonomyLevel)
        /// A guard tripped where the level would have merged (a critique below threshold, a budget cap).
        case guardTripped(String)

        public var description: String {
            switch self {
            case .finalReview: "final review: the agent reported the job complete"
            case .autonomy(let level): "autonomy \(level.rawValue): \(level.rule)"
            case .guardTripped(let why): "escalated: \(why)"
            }
        }
    }

    /// Decides the boundary after `phase`.
    public static func decide(level: AutonomyLevel, phase: PhaseRef, jobComplete: Bool) -> Reason? {
        switch level {
        case .full:
            return nil
        case _ where jobComplete:
            return .finalReview
        case .dependent:
            return .autonomy(level)
        case .guided where phase.type == .strategic:
            return .autonomy(level)
        case .partial where phase.type == .strategic && phase.number == 1:
            return .autonomy(level)
        default:
            return nil
        }
    }
}
