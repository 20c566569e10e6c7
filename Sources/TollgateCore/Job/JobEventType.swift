/// The kind of a job event, dotted (`phase.started`): a type with the engine's kinds as constants, written in
/// `events.ndjson` as its plain string.
///
/// Open like ``PanelistRole``: a trail written by a newer Tollgate reads back with kinds this build does not name.
public struct JobEventType: RawRepresentable, Hashable, Sendable, Codable, ExpressibleByStringLiteral,
    CustomStringConvertible
{
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    public init(stringLiteral value: String) { self.rawValue = value }

    public init(from decoder: any Decoder) throws {
        self.rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.rawValue)
    }

    public var description: String { self.rawValue }

    // MARK: - The job

    public static let jobCreated: JobEventType = "job.created"
    public static let jobStarted: JobEventType = "job.started"
    public static let jobRetried: JobEventType = "job.retried"
    public static let jobFailed: JobEventType = "job.failed"
    public static let jobCompleted: JobEventType = "job.completed"
    public static let jobCancelled: JobEventType = "job.cancelled"
    public static let configChanged: JobEventType = "config.changed"

    // MARK: - A phase

    public static let phaseStarted: JobEventType = "phase.started"
    public static let agentFinished: JobEventType = "agent.finished"
    public static let agentFailed: JobEventType = "agent.failed"
    public static let revisionCommitted: JobEventType = "revision.committed"
    public static let critiqueScheduled: JobEventType = "critique.scheduled"
    public static let critiqueFinished: JobEventType = "critique.finished"
    public static let boundaryFreeze: JobEventType = "boundary.freeze"
    public static let boundaryMerge: JobEventType = "boundary.merge"
    public static let phaseMerged: JobEventType = "phase.merged"
    public static let phaseFinished: JobEventType = "phase.finished"

    // MARK: - Plans (DESIGN §10)

    public static let planCreated: JobEventType = "plan.created"
    public static let planSkipped: JobEventType = "plan.skipped"
    public static let planInvalid: JobEventType = "plan.invalid"
    public static let planDispatched: JobEventType = "plan.dispatched"
    public static let taskStarted: JobEventType = "task.started"
    public static let taskFinished: JobEventType = "task.finished"
    public static let taskMerged: JobEventType = "task.merged"
    public static let taskConflict: JobEventType = "task.conflict"
    /// A task that cannot start because a dependency did not land (beyond DESIGN §10's list: the state change
    /// needs its event).
    public static let taskBlocked: JobEventType = "task.blocked"
    public static let planCompleted: JobEventType = "plan.completed"
    public static let gateFinished: JobEventType = "gate.finished"
    public static let planVerified: JobEventType = "plan.verified"
    public static let planFailed: JobEventType = "plan.failed"

    // MARK: - Budgets (DESIGN §11)

    public static let budgetReserved: JobEventType = "budget.reserved"
    public static let budgetCharged: JobEventType = "budget.charged"
    public static let budgetSoftCap: JobEventType = "budget.soft_cap"
    public static let budgetBlocked: JobEventType = "budget.blocked"
    public static let jobUnblocked: JobEventType = "job.unblocked"

    // MARK: - Reviews

    public static let reviewOpened: JobEventType = "review.opened"
    public static let reviewRerequested: JobEventType = "review.rerequested"
    public static let verdictApproved: JobEventType = "verdict.approved"
    public static let verdictStale: JobEventType = "verdict.stale"
    public static let verdictClosed: JobEventType = "verdict.closed"
    /// The local host's own records of its reviews.
    public static let reviewCreated: JobEventType = "review.created"
    public static let reviewSubmitted: JobEventType = "review.submitted"
    public static let reviewMerged: JobEventType = "review.merged"
    public static let reviewClosed: JobEventType = "review.closed"
    public static let reviewHeadUpdated: JobEventType = "review.head_updated"
}
