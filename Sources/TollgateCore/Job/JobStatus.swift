/// Where a job stands: `created → running → (pending_review ⇄ running)* → completed | failed | cancelled`, and
/// `blocked` (a budget's hard cap would be crossed by the next run; raising it lets `run` go on).
public enum JobStatus: String, Codable, Sendable, CaseIterable, Equatable {
    case created
    case running
    case pendingReview = "pending_review"
    case completed
    case failed
    case cancelled
    case blocked

    /// Whether nothing more will happen to the job.
    public var isFinal: Bool { self == .completed || self == .cancelled }
}
