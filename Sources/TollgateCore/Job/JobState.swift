/// The job machine's state, which the state branch keeps in `job.json`.
///
/// It carries no version of its own: the file's one `version` is the document's (`JobDocument` in the engine),
/// read before anything else. Collections are kept sorted so the file diffs cleanly.
public struct JobState: Codable, Sendable, Equatable {
    public var id: String
    public var description: String
    public var expert: String?
    public var autonomy: AutonomyLevel
    /// `local` or `gitea`.
    public var reviewHost: ReviewHostKind
    public var maxPhases: Int
    public var status: JobStatus
    public var phase: PhaseRef
    /// Agent passes over the current branch: 1 after the first run, +1 for each change request.
    public var revision: Int
    /// Agent runs started in the whole job; numbers each run.
    public var runs: Int
    /// The step the engine does next (the recorded intent); `nil` once the job is over.
    public var next: Step?
    /// The open review, while there is one.
    public var review: ReviewHandle?
    /// Why the current boundary froze.
    public var freezeReason: FreezeRule.Reason?
    /// Review items handed to the next agent run.
    public var pendingFeedback: [FeedbackItem]
    /// Ids of review items already handed to the agent, sorted.
    public var answered: [String]
    /// The last agent run's report, kept until its work is committed.
    public var lastRun: AgentReport?
    /// The current phase's agent reported the job complete.
    public var jobComplete: Bool
    /// The phase's one-line summary (from its first successful run) and latest retrospective.
    public var phaseSummary: String?
    public var phaseDetails: String?
    /// People who pushed their own commits to the current phase branch during review (`Name <email>`), credited
    /// with `Co-authored-by:` when the phase lands.
    public var coauthors: [String]
    /// The current phase's critique, once it ran.
    public var critique: PhaseCritique?
    /// Why the job failed, while it is failed.
    public var failure: String?
    /// Phases merged into `main`, in order.
    public var merged: [MergedPhase]
    /// Usage summed over the agent runs.
    public var usage: AgentOutcome.Usage
    /// The plan dispatched as tasks in the latest tactical phase that dispatched one (DESIGN §10); kept after the
    /// phase, until the next dispatch.
    public var plan: PlanRecord?
    /// The current phase's latest verification (its gates and failed tasks); nil before one ran.
    public var verification: VerifyRecord?
    /// The job's budget account (DESIGN §11); nil until a run was reserved or charged.
    public var budget: JobBudget?

    public init(
        id: String,
        description: String,
        expert: String?,
        autonomy: AutonomyLevel,
        reviewHost: ReviewHostKind,
        maxPhases: Int
    ) {
        self.id = id
        self.description = description
        self.expert = expert
        self.autonomy = autonomy
        self.reviewHost = reviewHost
        self.maxPhases = maxPhases
        self.status = .created
        self.phase = .first
        self.revision = 0
        self.runs = 0
        self.next = .preparePhase
        self.review = nil
        self.freezeReason = nil
        self.pendingFeedback = []
        self.answered = []
        self.lastRun = nil
        self.jobComplete = false
        self.phaseSummary = nil
        self.phaseDetails = nil
        self.coauthors = []
        self.critique = nil
        self.failure = nil
        self.merged = []
        self.usage = AgentOutcome.Usage(inputTokens: 0, outputTokens: 0, costUSD: 0)
        self.plan = nil
        self.verification = nil
        self.budget = nil
    }

    /// The branch the current phase lives on.
    public var branch: String { phase.branch }
}

/// Where an open review lives.
public struct ReviewHandle: Codable, Sendable, Equatable {
    /// Where the review is.
    public var host: ReviewHostKind
    /// The review's number on its host (the pull request index on Gitea).
    public var id: Int
    /// A web address (Gitea) or a path a person can look at (local).
    public var location: String
    /// The head commit the review was last requested for.
    public var head: String

    public init(host: ReviewHostKind, id: Int, location: String, head: String) {
        self.host = host
        self.id = id
        self.location = location
        self.head = head
    }
}

/// A phase that landed on `main`.
public struct MergedPhase: Codable, Sendable, Equatable {
    public var phase: PhaseRef
    public var commit: String
    public var approvers: [String]

    public init(phase: PhaseRef, commit: String, approvers: [String]) {
        self.phase = phase
        self.commit = commit
        self.approvers = approvers
    }
}
