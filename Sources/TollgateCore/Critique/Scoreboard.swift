/// The pure machine that gives a critique stream its meaning: composites, decisions and the final status.
///
/// Feed it every ``CritiqueEvent`` in order through ``eventReceived(_:)``, whether from a live parser
/// or a transcript; ``summary`` is the outcome so far. The rules:
///
/// - **Composite:** the weighted mean of the round's scores, with the weights renormalised over the
///   panelists that gave a score (``composite(of:weights:)``). A panel role with a weight above 0 that
///   is missing from the round scores 0 and adds one open must-fix; a missing role of weight 0 (the
///   designer) is only noted. The result is rounded to two decimals, and the decision uses that value.
/// - **Decision:** ship when the composite ≥ `threshold` and the round has no open must-fix, otherwise
///   continue. The stream's own composite, must-fix count and decision are only checked: a difference
///   is a warning, and the recomputed value wins.
/// - **Limits:** rounds after `maxRounds`, or after a round shipped, are ignored with a warning.
/// - **End:** see ``summary`` for the status rules and the fallback policy.
///
/// Time never comes from a clock: the shell reports ``CritiqueEvent/timedOut(_:)`` and
/// ``CritiqueEvent/interrupted`` as events, which the transcript keeps, so a replay ends the same way.
///
/// States: between rounds, inside a counted round, inside an ignored round, stopped (after the first of
/// degraded, timed out, interrupted or process failed).
public struct Scoreboard: Sendable, Equatable {
    /// What the shell should do after an event.
    public enum Action: Sendable, Equatable {
        /// A round closed with these recomputed figures (for telemetry and progress output).
        case roundScored(CritiqueSummary.Round)
        /// The run cannot produce anything more that counts; the critic process may be stopped.
        case stopCritic(reason: String)
    }

    private enum Stop: Sendable, Equatable {
        case degraded(CritiqueParseError)
        case timedOut(CritiqueEvent.TimeoutScope)
        case interrupted
        case processFailed(Int)
    }

    private struct OpenRound: Sendable, Equatable {
        var number: Int
        var counted: Bool
        var panelists: [CritiqueEvent.Panelist] = []
    }

    private let config: CritiqueConfig
    private var protocolVersion = CritiqueProtocol.current.rawValue
    private var rounds: [CritiqueSummary.Round] = []
    private var open: OpenRound?
    private var shippedByRule: Int?
    private var ship: CritiqueEvent.Ship?
    private var artifacts: [Int: CritiqueEvent.Artifact] = [:]
    private var warnings: [CritiqueWarning] = []
    private var stop: Stop?

    /// Creates a scoreboard that applies `config`'s threshold, weights, panel, round limit and policy.
    public init(config: CritiqueConfig) {
        self.config = config
    }

    // MARK: - Events

    /// Takes the next event of the run and says what the shell should do.
    public mutating func eventReceived(_ event: CritiqueEvent) -> [Action] {
        switch event {
        case .runStarted(let start):
            self.protocolVersion = start.version
            return []
        case .roundStarted(let number):
            return self.roundStarted(number)
        case .panelist(let panelist):
            guard var open = self.open, open.counted, open.number == panelist.round, self.stop == nil else { return [] }
            open.panelists.append(panelist)
            self.open = open
            if let artifact = panelist.artifact { self.artifacts[panelist.round] = artifact }
            return []
        case .roundEnded(let end):
            guard let open = self.open, open.number == end.round else { return [] }
            self.open = nil
            guard open.counted, self.stop == nil else { return [] }
            let round = self.score(open, end: end)
            self.rounds.append(round)
            if round.decision == .ship { self.shippedByRule = round.n }
            return [.roundScored(round)]
        case .ship(let ship):
            self.shipReceived(ship)
            return []
        case .runFinished:
            return []
        case .warning(let warning):
            self.warnings.append(warning)
            return []
        case .degraded(let error):
            return self.stopped(.degraded(error), reason: "the critique stream is unusable: \(error)")
        case .timedOut(let scope):
            let reason = scope == .budget ? "the budget's seconds ran out" : "the \(scope.rawValue) timeout ran out"
            return self.stopped(.timedOut(scope), reason: reason)
        case .interrupted:
            return self.stopped(.interrupted, reason: "a user interrupted the run")
        case .processFailed(let status):
            return self.stopped(.processFailed(status), reason: "the critic exited with status \(status)")
        }
    }

    private mutating func roundStarted(_ number: Int) -> [Action] {
        guard self.stop == nil else { return [] }
        if let shipped = self.shippedByRule {
            self.warnings.append(
                CritiqueWarning(
                    .roundIgnored,
                    round: number,
                    detail: "round \(number) came after round \(shipped) shipped; ignored"
                )
            )
            self.open = OpenRound(number: number, counted: false)
            return []
        }
        if self.rounds.count >= self.config.maxRounds {
            self.warnings.append(
                CritiqueWarning(
                    .roundIgnored,
                    round: number,
                    detail: "round \(number) is beyond maxRounds \(self.config.maxRounds); ignored"
                )
            )
            self.open = OpenRound(number: number, counted: false)
            return [.stopCritic(reason: "maxRounds \(self.config.maxRounds) reached")]
        }
        self.open = OpenRound(number: number, counted: true)
        return []
    }

    private mutating func shipReceived(_ ship: CritiqueEvent.Ship) {
        guard self.ship == nil else { return }
        self.ship = ship
        let claimed = ship.round.map { "round \($0)" } ?? "a round"
        if let shipped = self.shippedByRule {
            if let round = ship.round, round != shipped {
                self.warnings.append(
                    CritiqueWarning(
                        .shipMismatch,
                        round: round,
                        detail: "the critic shipped \(claimed) but round \(shipped) met the ship rule"
                    )
                )
            }
        } else {
            self.warnings.append(
                CritiqueWarning(
                    .shipMismatch,
                    round: ship.round,
                    detail: "the critic shipped \(claimed) but no round met the ship rule"
                )
            )
        }
    }

    private mutating func stopped(_ stop: Stop, reason: String) -> [Action] {
        guard self.stop == nil else { return [] }
        self.stop = stop
        return [.stopCritic(reason: reason)]
    }

    // MARK: - Scoring

    /// The weighted mean of `scores`, with the weights renormalised over the roles present.
    ///
    /// Roles are summed in name order so the result does not depend on dictionary order. A role missing
    /// from `weights` weighs 0; when the present roles weigh 0 in total, the composite is 0.
    public static func composite(of scores: [PanelistRole: Double], weights: [PanelistRole: Double]) -> Double {
        var total = 0.0
        var sum = 0.0
        for role in scores.keys.sorted() {
            let weight = weights[role] ?? 0
            total += weight
            sum += weight * (scores[role] ?? 0)
        }
        return total > 0 ? sum / total : 0
    }

    /// Rounds `value` to two decimals, the precision composites are reported and compared at.
    public static func rounded(_ value: Double) -> Double { (value * 100).rounded() / 100 }

    /// The tolerance within which the stream's composite may differ from the recomputed one.
    public static let compositeTolerance = 0.05

    private mutating func score(_ open: OpenRound, end: CritiqueEvent.RoundEnd) -> CritiqueSummary.Round {
        var present: [PanelistRole: Double] = [:]
        var panelists: [CritiqueSummary.Panelist] = []
        var mustFix: [CritiqueSummary.MustFix] = []
        var openMustFix = 0
        for role in self.config.panel {
            let weight = self.config.weight(of: role)
            if let given = open.panelists.first(where: { $0.role == role }) {
                if let score = given.score { present[role] = score }
                panelists.append(
                    CritiqueSummary.Panelist(
                        role: role,
                        score: given.score,
                        weight: weight,
                        dimensions: given.dimensions,
                        notes: given.notes
                    )
                )
                mustFix += given.mustFix.map { CritiqueSummary.MustFix(role: role, text: $0) }
                openMustFix += given.mustFixCount
            } else if weight > 0 {
                present[role] = 0
                openMustFix += 1
                panelists.append(CritiqueSummary.Panelist(role: role, score: 0, missing: true, weight: weight))
                self.warnings.append(
                    CritiqueWarning(
                        .missingRole,
                        round: open.number,
                        detail: "\(role) is missing from round \(open.number); it scores 0 and counts one open must-fix"
                    )
                )
            } else {
                panelists.append(CritiqueSummary.Panelist(role: role, score: nil, missing: true, weight: weight))
                self.warnings.append(
                    CritiqueWarning(
                        .missingRole,
                        round: open.number,
                        detail: "\(role) is missing from round \(open.number); it weighs 0, so nothing changes"
                    )
                )
            }
        }
        let composite = Self.rounded(Self.composite(of: present, weights: self.config.weights))
        let decision: CritiqueDecision =
            composite >= self.config.threshold && openMustFix == 0 ? .ship : .continue
        if let claimed = end.composite, abs(claimed - composite) > Self.compositeTolerance + 1e-9 {
            self.warnings.append(
                CritiqueWarning(
                    .compositeMismatch,
                    round: open.number,
                    detail:
                        "the critic's composite \(claimed) differs from the recomputed \(composite); \(composite) used"
                )
            )
        }
        if let claimed = end.mustFix, claimed != openMustFix {
            self.warnings.append(
                CritiqueWarning(
                    .mustFixMismatch,
                    round: open.number,
                    detail: "the critic counted \(claimed) open must-fix; the scoreboard counts \(openMustFix)"
                )
            )
        }
        if end.decision != decision {
            self.warnings.append(
                CritiqueWarning(
                    .decisionOverridden,
                    round: open.number,
                    detail: "the critic decided \(end.decision) but the ship rule says \(decision)"
                )
            )
        }
        return CritiqueSummary.Round(
            n: open.number,
            composite: composite,
            streamComposite: end.composite,
            openMustFix: openMustFix,
            panelists: panelists,
            mustFix: mustFix,
            decision: decision,
            reason: end.reason
        )
    }

    // MARK: - Outcome

    /// The round with the highest composite; the earliest wins a tie.
    private var bestRound: CritiqueSummary.Round? {
        self.rounds.reduce(nil) { best, round in
            guard let best else { return round }
            return round.composite > best.composite ? round : best
        }
    }

    /// The round the fallback policy keeps when none shipped.
    private var fallbackRound: CritiqueSummary.Round? {
        switch self.config.fallbackPolicy {
        case .shipBest: self.bestRound
        case .shipLast: self.rounds.last
        case .fail: nil
        }
    }

    private func fallbackCause(_ kept: CritiqueSummary.Round?) -> String {
        let policy = self.config.fallbackPolicy.rawValue
        if let kept { return "\(policy) kept round \(kept.n)" }
        return self.rounds.isEmpty ? "no round had closed" : "\(policy): nothing kept"
    }

    /// The outcome so far; after the last event, the outcome of the run.
    ///
    /// The status, in order of precedence:
    /// 1. a round met the ship rule → `shipped`, that round is kept;
    /// 2. the first stop event decides: `interrupted` or `timed_out` keep the round the fallback
    ///    policy picks among the rounds closed so far; `degraded` and `failed` (the critic exited
    ///    non-zero) keep nothing;
    /// 3. no round closed → `failed`;
    /// 4. otherwise `below_threshold`, keeping the round the fallback policy picks (`ship_best`: the
    ///    highest composite, earliest on a tie; `ship_last`: the last round; `fail`: none).
    ///
    /// ``CritiqueSummary/composite`` is the kept round's, or the best round's when nothing is kept
    /// (and `nil` when the run is degraded or failed).
    public var summary: CritiqueSummary {
        var status: CritiqueStatus
        var kept: CritiqueSummary.Round?
        var cause: String
        var degradedReason: CritiqueParseError?
        if let shipped = self.shippedByRule, let round = self.rounds.first(where: { $0.n == shipped }) {
            status = .shipped
            kept = round
            cause = "round \(shipped) met the ship rule"
        } else if let stop = self.stop {
            switch stop {
            case .interrupted:
                status = .interrupted
                kept = self.fallbackRound
                cause = "interrupted; " + self.fallbackCause(kept)
            case .timedOut(let scope):
                status = .timedOut
                kept = self.fallbackRound
                switch scope {
                case .round, .total:
                    let seconds = scope == .round ? self.config.roundTimeoutSeconds : self.config.totalTimeoutSeconds
                    cause = "the \(scope.rawValue) timeout (\(seconds) s) ran out; " + self.fallbackCause(kept)
                case .budget:
                    // The engine's warning just before it names the cap and the command that raises it.
                    let stop = self.warnings.last { $0.kind == .budget }?.detail ?? "the budget's seconds ran out"
                    cause = stop + "; " + self.fallbackCause(kept)
                }
            case .degraded(let error):
                status = .degraded
                degradedReason = error
                cause = error.description
            case .processFailed(let exitStatus):
                status = .failed
                cause = "the critic exited with status \(exitStatus) before any round shipped"
            }
        } else if self.rounds.isEmpty {
            status = .failed
            cause = "the run ended before any round closed"
        } else {
            status = .belowThreshold
            kept = self.fallbackRound
            cause = "no round met the ship rule; " + self.fallbackCause(kept)
        }
        let reported = status == .degraded || status == .failed ? nil : (kept ?? self.bestRound)
        return CritiqueSummary(
            protocolVersion: self.protocolVersion,
            status: status,
            composite: reported?.composite,
            openMustFix: reported?.openMustFix,
            shippedRound: kept?.n,
            threshold: self.config.threshold,
            scale: self.config.scale,
            maxRounds: self.config.maxRounds,
            fallbackPolicy: self.config.fallbackPolicy,
            rounds: self.rounds,
            warnings: self.warnings,
            degradedReason: degradedReason,
            cause: cause
        )
    }

    /// The artifact in force at `round`: the latest one a panelist carried in that round or before.
    public func artifact(forRound round: Int) -> CritiqueEvent.Artifact? {
        self.artifacts.filter { $0.key <= round }.max { $0.key < $1.key }?.value
    }

    /// The artifact of the kept round, preferring the `<SHIP>` block's own artifact when a round shipped.
    public var keptArtifact: CritiqueEvent.Artifact? {
        let summary = self.summary
        guard let round = summary.shippedRound else { return nil }
        if summary.status == .shipped, let artifact = self.ship?.artifact { return artifact }
        return self.artifact(forRound: round)
    }

}
