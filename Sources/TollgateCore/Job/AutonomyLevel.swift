/// How much a job is left to itself: decides at which phase boundaries the engine freezes for review.
public enum AutonomyLevel: String, Codable, Sendable, CaseIterable, Equatable, ConfigChoice {
    /// Never stops; every phase is squash-merged at once and the job completes on its own.
    case full
    /// Stops once, for the final review after the agent reports the job complete.
    case review
    /// Stops after the first strategic phase (the plan) and for the final review.
    case partial
    /// Stops after every strategic phase and for the final review.
    case guided
    /// Stops after every phase.
    case dependent

    /// One sentence a person or an agent reads to know when this level freezes.
    public var rule: String {
        switch self {
        case .full: "never stops for review: every phase is merged at once and the job completes on its own"
        case .review: "runs on its own and stops once, for a final review, when the agent reports the job complete"
        case .partial: "stops for review after the first plan (phase 1) and for the final review"
        case .guided:
            "stops for review after every strategic phase and for the final review; tactical phases merge at once"
        case .dependent: "stops for review after every phase"
        }
    }
}
