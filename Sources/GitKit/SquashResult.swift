/// What a squash merge did.
public enum SquashResult: Sendable, Equatable {
    /// The branch brings nothing the target does not have already; nothing changed.
    case upToDate
    /// The target now points at this new commit. `fastPath` means the target had not moved since the
    /// branch point, so the branch tip's tree was taken as is, with no merge computation.
    case merged(OID, fastPath: Bool)
    /// The merge has conflicts; nothing changed (no commit, no ref move, no checkout).
    case conflicts([MergeConflict])
}
