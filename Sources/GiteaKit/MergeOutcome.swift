/// What a merge call found: it merged the pull request now, or it had been merged before.
public enum MergeOutcome: Sendable, Equatable {
    /// This call merged the pull request.
    case merged
    /// The pull request was already merged (e.g. a retried call whose first attempt succeeded).
    case alreadyMerged
}
