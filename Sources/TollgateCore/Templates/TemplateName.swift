/// The templates Tollgate renders, each with its file name under `Templates/` and its allowed placeholders.
public enum TemplateName: String, Sendable, Hashable, CaseIterable, Comparable {
    /// `workspace.md`: committed at the root of every workspace; tells agent and reviewer what the job is.
    case workspace = "workspace.md"
    /// The brief of a strategic phase in work mode: plan and retrospective.
    case briefStrategic = "brief-strategic.md"
    /// The brief of a tactical phase in work mode: carry out the todos.
    case briefTactical = "brief-tactical.md"
    /// The brief of any phase in feedback mode: answer the review.
    case briefFeedback = "brief-feedback.md"
    /// The brief of one task of a dispatched plan: carry out one todo in its own worktree (DESIGN §10).
    case briefTask = "brief-task.md"
    /// The body of a phase's pull request.
    case prBody = "pr-body.md"
    /// The squash commit message; its first line is `Phase N (type): summary`.
    case squashMessage = "squash-message.md"
    /// The retrospective committed as `archive/phase-N-type.md`.
    case retrospective = "retrospective.md"

    /// The file name under `Templates/`.
    public var fileName: String { self.rawValue }

    /// The placeholders the template may use; the engine gives a value for each of them.
    public var allowedPlaceholders: [String] {
        switch self {
        case .workspace:
            return ["jobId", "description", "expert", "autonomy", "autonomyRule", "reviewHost"]
        case .briefStrategic, .briefTactical, .briefFeedback:
            return [
                "jobId", "description", "expert", "autonomy", "phase", "phaseType", "revision", "branch", "mode",
                "freezeNote", "feedback", "outcomePath", "previous",
            ]
        case .briefTask:
            return [
                "jobId", "description", "expert", "autonomy", "phase", "phaseType", "revision", "branch", "mode",
                "phaseBranch", "task", "taskTitle", "taskDetails", "dependencies", "plan", "outcomePath",
            ]
        case .prBody:
            return [
                "jobId", "phase", "phaseType", "revision", "branch", "summary", "filesChanged", "lookAt", "score",
                "freezeReason", "resumeHint", "plan",
            ]
        case .squashMessage:
            return ["phase", "phaseType", "summary", "details", "trailers"]
        case .retrospective:
            return ["jobId", "phase", "phaseType", "revision", "summary", "details"]
        }
    }

    /// The brief for a phase type (`strategic`, `tactical`) and mode (`work`, `feedback`).
    ///
    /// - Returns: `briefFeedback` in feedback mode whatever the type; nil for an unknown type or mode.
    public static func brief(phaseType: String, mode: String) -> TemplateName? {
        switch (phaseType, mode) {
        case ("strategic", "feedback"), ("tactical", "feedback"): return .briefFeedback
        case ("strategic", "work"): return .briefStrategic
        case ("tactical", "work"): return .briefTactical
        default: return nil
        }
    }

    public static func < (lhs: TemplateName, rhs: TemplateName) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
}
