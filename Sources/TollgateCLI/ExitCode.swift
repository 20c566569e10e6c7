/// The exit statuses scripts can rely on.
public enum ExitCode: Int32, Sendable, Equatable {
    /// Done: the job completed, or the command did its work.
    case success = 0
    /// A failure: the message says what and what to do.
    case failure = 1
    /// The job is frozen, awaiting a review.
    case frozen = 3
    /// The job is blocked: the next run would cross a budget's hard cap (DESIGN §11).
    case blocked = 4
    /// The command line was wrong (`EX_USAGE`).
    case usage = 64
    /// Tollgate was interrupted by SIGINT (128 + 2, as a shell reports it); SIGTERM and SIGHUP give 143 and 129.
    case interruptedByINT = 130
    case interruptedByTERM = 143
    case interruptedByHUP = 129
}
