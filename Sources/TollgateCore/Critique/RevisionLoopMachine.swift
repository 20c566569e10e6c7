/// The bounded revise → gates → critique loop, as a pure machine.
///
/// The loop starts after a first critique that did not ship. Each iteration asks the shell to revise
/// the best artifact so far (with that iteration's critique as feedback), to run the gates (when there
/// are any), then to critique the revision. It never loops by itself: every step is an ``Action`` and
/// every result comes back through an event-named method.
///
/// It stops, with a ``RevisionLoopSummary/StopReason``:
/// - `shipped` when a critique ships;
/// - `gate_blocked` when a blocking gate fails;
/// - `no_change` when a revision is more than `similarityStop` similar to its starting point
///   (``Similarity/ratio(_:_:)``);
/// - `time_budget` when, as an iteration is due, less than the floor remains (time is an input);
/// - `token_budget` when, as an iteration is due, the tokens spent reached the budget;
/// - `exhausted` after ``Settings/maxIterations`` iterations, never more than 3 whatever is configured;
/// - `error` when a step fails or a critique is degraded or failed.
///
/// The best iteration is the one whose critique ranks first by ``CritiqueOutcome/ranks(above:)``: a
/// shipped critique, then the higher composite, then fewer open must-fix items; the original counts as
/// iteration 0 and the earlier iteration wins a full tie. Every finished step is handed out as
/// ``Action/persist(_:)``; a machine built again from those records
/// (``init(settings:original:initialCritique:hasGates:completed:)``) re-runs nothing that finished.
///
/// States: ready, revising(n), gating(n), critiquing(n), finished.
public struct RevisionLoopMachine: Sendable, Equatable {
    /// The loop's limits.
    public struct Settings: Sendable, Equatable, Codable {
        /// The most iterations, already capped at ``CritiqueConfig/hardMaxIterations``.
        public var maxIterations: Int
        /// Seconds that must remain for another iteration to start.
        public var floorSeconds: Double
        /// Tokens the loop may spend in total.
        public var maxOutputTokens: Int
        /// Above this similarity, a revision counts as no change.
        public var similarityStop: Double

        /// Creates settings; `maxIterations` is capped at 3.
        public init(
            maxIterations: Int = 3,
            floorSeconds: Double = 20,
            maxOutputTokens: Int = 20_000,
            similarityStop: Double = 0.95
        ) {
            self.maxIterations = min(max(maxIterations, 0), CritiqueConfig.hardMaxIterations)
            self.floorSeconds = floorSeconds
            self.maxOutputTokens = maxOutputTokens
            self.similarityStop = similarityStop
        }

        /// The settings a configuration implies.
        public init(_ config: CritiqueConfig) {
            self.init(
                maxIterations: config.maxIterations,
                floorSeconds: Double(config.loopFloorSeconds),
                maxOutputTokens: config.maxOutputTokens,
                similarityStop: config.similarityStop
            )
        }
    }

    /// What a critique step reported, reduced to what the loop needs.
    public struct CritiqueOutcome: Sendable, Equatable, Codable {
        /// The critique's status.
        public var status: CritiqueStatus
        /// The critique's composite, if it had one.
        public var composite: Double?
        /// The critique's open must-fix count, if known.
        public var openMustFix: Int?
        /// Tokens the critic spent.
        public var tokens: Int
        /// Milliseconds the critique took.
        public var latencyMs: Int

        /// Creates an outcome.
        public init(
            status: CritiqueStatus,
            composite: Double?,
            openMustFix: Int? = nil,
            tokens: Int = 0,
            latencyMs: Int = 0
        ) {
            self.status = status
            self.composite = composite
            self.openMustFix = openMustFix
            self.tokens = tokens
            self.latencyMs = latencyMs
        }

        /// The outcome of a critique run from its summary.
        public init(summary: CritiqueSummary, tokens: Int = 0, latencyMs: Int = 0) {
            self.init(
                status: summary.status,
                composite: summary.composite,
                openMustFix: summary.openMustFix,
                tokens: tokens,
                latencyMs: latencyMs
            )
        }

        /// Whether this critique's artifact is strictly better to keep than `other`'s.
        ///
        /// In order: a shipped critique beats one that did not ship; then the higher composite wins (a
        /// missing composite loses to any); then fewer open must-fix items win (an unknown count loses
        /// to any known one). Equal on all three is a tie, and a tie is not "above": the loop keeps the
        /// earlier iteration. Tokens, latency and the other statuses play no part.
        public func ranks(above other: CritiqueOutcome) -> Bool {
            let shipped = self.status == .shipped
            if shipped != (other.status == .shipped) { return shipped }
            if self.composite != other.composite {
                guard let composite = self.composite else { return false }
                return other.composite.map { composite > $0 } ?? true
            }
            if self.openMustFix != other.openMustFix {
                guard let open = self.openMustFix else { return false }
                return other.openMustFix.map { open < $0 } ?? true
            }
            return false
        }
    }

    /// What the gates reported on a revision.
    public struct GateOutcome: Sendable, Equatable, Codable {
        /// Whether every gate passed.
        public var passed: Bool
        /// Whether a failing gate blocks (it then stops the loop); ignored when `passed`.
        public var blocking: Bool
        /// Milliseconds the gates took.
        public var latencyMs: Int
        /// The gate that failed (its name), if one did.
        public var failedGate: String?
        /// The end of the failed gate's output, if one failed.
        public var outputTail: String?

        /// Creates a gate outcome.
        public init(
            passed: Bool,
            blocking: Bool = true,
            latencyMs: Int = 0,
            failedGate: String? = nil,
            outputTail: String? = nil
        ) {
            self.passed = passed
            self.blocking = blocking
            self.latencyMs = latencyMs
            self.failedGate = failedGate
            self.outputTail = outputTail
        }
    }

    /// The persisted record of one iteration; filled step by step.
    public struct Iteration: Sendable, Equatable, Codable {
        /// The iteration's number, from 1.
        public var iteration: Int
        /// The iteration whose artifact was revised (0: the original).
        public var base: Int
        /// The revised artifact, once the revision finished.
        public var artifact: String?
        /// Tokens the revision spent.
        public var revisionTokens: Int
        /// Milliseconds the revision took.
        public var revisionLatencyMs: Int
        /// The similarity of the revision to its base, once computed.
        public var similarity: Double?
        /// The gates' outcome, once they ran.
        public var gates: GateOutcome?
        /// The critique's outcome, once it ran.
        public var critique: CritiqueOutcome?
        /// Why a step of this iteration failed, if one did.
        public var failure: String?

        /// Creates a record.
        public init(
            iteration: Int,
            base: Int,
            artifact: String? = nil,
            revisionTokens: Int = 0,
            revisionLatencyMs: Int = 0,
            similarity: Double? = nil,
            gates: GateOutcome? = nil,
            critique: CritiqueOutcome? = nil,
            failure: String? = nil
        ) {
            self.iteration = iteration
            self.base = base
            self.artifact = artifact
            self.revisionTokens = revisionTokens
            self.revisionLatencyMs = revisionLatencyMs
            self.similarity = similarity
            self.gates = gates
            self.critique = critique
            self.failure = failure
        }
    }

    /// What the shell must do next.
    public enum Action: Sendable, Equatable {
        /// Revise the artifact of iteration `base` (0: the original) using its critique as feedback.
        case revise(iteration: Int, base: Int)
        /// Run the gates on the revision of `iteration`.
        case runGates(iteration: Int)
        /// Critique the revision of `iteration`.
        case critique(iteration: Int)
        /// Store this record, replacing any earlier record of the same iteration.
        case persist(Iteration)
        /// The loop is over: keep the artifact of `bestIteration` and record the summary.
        case finish(RevisionLoopSummary)
    }

    private enum State: Sendable, Equatable {
        case ready
        case revising(Int)
        case gating(Int)
        case critiquing(Int)
        case finished(RevisionLoopSummary)
    }

    private let settings: Settings
    private let hasGates: Bool
    private let original: String
    private let initial: CritiqueOutcome
    private var records: [Iteration]
    private var replayed = 0
    private var bestIteration = 0
    /// The critique of ``bestIteration`` (the first critique while the original is the best).
    private var bestCritique: CritiqueOutcome
    private var tokens = 0
    private var latencyMs = 0
    private var state = State.ready

    /// Creates a loop over `original`, whose first critique was `initialCritique`.
    ///
    /// - Parameters:
    ///   - hasGates: whether a gates step runs between revision and critique.
    ///   - completed: the records persisted by an earlier run of this loop, in order; their finished
    ///     steps are not run again.
    public init(
        settings: Settings,
        original: String,
        initialCritique: CritiqueOutcome,
        hasGates: Bool = false,
        completed: [Iteration] = []
    ) {
        self.settings = settings
        self.hasGates = hasGates
        self.original = original
        self.initial = initialCritique
        self.records = completed.sorted { $0.iteration < $1.iteration }
        self.bestCritique = initialCritique
        self.tokens = initialCritique.tokens
        self.latencyMs = initialCritique.latencyMs
    }

    /// The records so far, for a shell that persists them in one go.
    public var iterations: [Iteration] { self.records }

    /// The artifact of `iteration` (0: the original), if its revision finished.
    public func artifact(of iteration: Int) -> String? {
        iteration == 0 ? self.original : self.records.first { $0.iteration == iteration }?.artifact
    }

    // MARK: - Events

    /// Starts (or resumes) the loop with `remainingSeconds` left in its time budget.
    public mutating func started(remainingSeconds: Double) -> [Action] {
        guard self.state == .ready else { preconditionFailure("Invalid state: the loop started twice (\(self.state))") }
        if self.initial.status == .shipped { return self.finish(.shipped) }
        if self.initial.status == .degraded || self.initial.status == .failed { return self.finish(.error) }
        // Replay what an earlier run finished, without asking for it again.
        for index in self.records.indices {
            let record = self.records[index]
            guard record.iteration == index + 1, record.iteration <= self.settings.maxIterations else { break }
            self.replayed = index + 1
            if let failure = record.failure { return self.finish(.error, failure: failure) }
            guard let artifact = record.artifact else {
                return self.beginIteration(record.iteration, remainingSeconds: remainingSeconds, resuming: true)
            }
            self.tokens += record.revisionTokens
            self.latencyMs += record.revisionLatencyMs
            if self.isUnchanged(artifact, base: record.base) { return self.finish(.noChange) }
            if self.hasGates {
                guard let gates = record.gates else {
                    self.state = .gating(record.iteration)
                    return [.runGates(iteration: record.iteration)]
                }
                self.latencyMs += gates.latencyMs
                if !gates.passed && gates.blocking { return self.finish(.gateBlocked) }
            }
            guard let critique = record.critique else {
                self.state = .critiquing(record.iteration)
                return [.critique(iteration: record.iteration)]
            }
            if let stop = self.critiqueCounted(critique, iteration: record.iteration) { return self.finish(stop) }
        }
        self.records.removeSubrange(self.replayed...)
        return self.beginIteration(self.replayed + 1, remainingSeconds: remainingSeconds, resuming: false)
    }

    /// The revision of the current iteration finished with `artifact`.
    public mutating func revisionFinished(artifact: String, tokens: Int, latencyMs: Int) -> [Action] {
        guard case .revising(let iteration) = self.state else {
            preconditionFailure("Invalid state: a revision finished in \(self.state)")
        }
        self.tokens += tokens
        self.latencyMs += latencyMs
        var record = self.record(iteration)
        record.artifact = artifact
        record.revisionTokens = tokens
        record.revisionLatencyMs = latencyMs
        let similarity = Similarity.ratio(artifact, self.artifact(of: record.base) ?? self.original)
        record.similarity = Scoreboard.rounded(similarity)
        self.store(record)
        if similarity > self.settings.similarityStop { return [.persist(record)] + self.finish(.noChange) }
        if self.hasGates {
            self.state = .gating(iteration)
            return [.persist(record), .runGates(iteration: iteration)]
        }
        self.state = .critiquing(iteration)
        return [.persist(record), .critique(iteration: iteration)]
    }

    /// The gates of the current iteration finished.
    public mutating func gatesFinished(_ outcome: GateOutcome) -> [Action] {
        guard case .gating(let iteration) = self.state else {
            preconditionFailure("Invalid state: gates finished in \(self.state)")
        }
        self.latencyMs += outcome.latencyMs
        var record = self.record(iteration)
        record.gates = outcome
        self.store(record)
        if !outcome.passed && outcome.blocking { return [.persist(record)] + self.finish(.gateBlocked) }
        self.state = .critiquing(iteration)
        return [.persist(record), .critique(iteration: iteration)]
    }

    /// The critique of the current iteration finished; `remainingSeconds` is what is left of the budget.
    public mutating func critiqueFinished(_ outcome: CritiqueOutcome, remainingSeconds: Double) -> [Action] {
        guard case .critiquing(let iteration) = self.state else {
            preconditionFailure("Invalid state: a critique finished in \(self.state)")
        }
        var record = self.record(iteration)
        record.critique = outcome
        self.store(record)
        if let stop = self.critiqueCounted(outcome, iteration: iteration) {
            return [.persist(record)] + self.finish(stop)
        }
        return [.persist(record)]
            + self.beginIteration(iteration + 1, remainingSeconds: remainingSeconds, resuming: false)
    }

    /// The current step failed (the agent, a gate or the critic could not run); the loop stops.
    public mutating func stepFailed(reason: String) -> [Action] {
        switch self.state {
        case .revising(let iteration), .gating(let iteration), .critiquing(let iteration):
            var record = self.record(iteration)
            record.failure = reason
            self.store(record)
            return [.persist(record)] + self.finish(.error, failure: reason)
        case .ready, .finished:
            preconditionFailure("Invalid state: a step failed in \(self.state)")
        }
    }

    // MARK: - Helpers

    private mutating func beginIteration(_ iteration: Int, remainingSeconds: Double, resuming: Bool) -> [Action] {
        if iteration > self.settings.maxIterations { return self.finish(.exhausted) }
        if remainingSeconds < self.settings.floorSeconds { return self.finish(.timeBudget) }
        if self.tokens >= self.settings.maxOutputTokens { return self.finish(.tokenBudget) }
        if !resuming { self.records.append(Iteration(iteration: iteration, base: self.bestIteration)) }
        self.state = .revising(iteration)
        return [.revise(iteration: iteration, base: self.record(iteration).base)]
    }

    /// Counts a finished critique; returns the stop reason it implies, if any.
    private mutating func critiqueCounted(_ outcome: CritiqueOutcome, iteration: Int) -> RevisionLoopSummary.StopReason?
    {
        self.tokens += outcome.tokens
        self.latencyMs += outcome.latencyMs
        // A degraded or failed critique, or one without a composite, says nothing about the artifact.
        if outcome.composite != nil, outcome.status != .degraded, outcome.status != .failed,
            outcome.ranks(above: self.bestCritique)
        {
            self.bestCritique = outcome
            self.bestIteration = iteration
        }
        switch outcome.status {
        case .shipped: return .shipped
        case .degraded, .failed: return .error
        case .belowThreshold, .timedOut, .interrupted: return nil
        }
    }

    private func isUnchanged(_ artifact: String, base: Int) -> Bool {
        Similarity.ratio(artifact, self.artifact(of: base) ?? self.original) > self.settings.similarityStop
    }

    private func record(_ iteration: Int) -> Iteration {
        guard let record = self.records.first(where: { $0.iteration == iteration }) else {
            preconditionFailure("Invalid state: no record of iteration \(iteration)")
        }
        return record
    }

    private mutating func store(_ record: Iteration) {
        guard let index = self.records.firstIndex(where: { $0.iteration == record.iteration }) else {
            preconditionFailure("Invalid state: no record of iteration \(record.iteration)")
        }
        self.records[index] = record
    }

    private mutating func finish(_ reason: RevisionLoopSummary.StopReason, failure: String? = nil) -> [Action] {
        let summary = RevisionLoopSummary(
            iterations: self.records.filter { $0.artifact != nil }.count,
            startComposite: self.initial.composite,
            endComposite: self.bestCritique.composite,
            tokens: self.tokens,
            latencyMs: self.latencyMs,
            stopReason: reason,
            bestIteration: self.bestIteration,
            failure: failure
        )
        self.state = .finished(summary)
        return [.finish(summary)]
    }
}
