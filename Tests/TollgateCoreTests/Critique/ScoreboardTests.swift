import Foundation
import Testing
import TollgateCore

struct ScoreboardTests {
    static let weights: [PanelistRole: Double] = CritiqueConfig.default.weights

    // MARK: - Composite formula

    @Test(arguments: [
        // every scoring role present
        ([PanelistRole.critic: 6.4, .brand: 7.5, .a11y: 5.0, .copy: 6.0], 6.26),
        // the designer's score weighs 0
        ([.designer: 10, .critic: 8, .brand: 8, .a11y: 8, .copy: 8], 8.0),
        // copy absent: weights renormalised over critic 0.4, brand 0.2, a11y 0.2
        ([.critic: 9, .brand: 6, .a11y: 6], 7.5),
        // only the critic
        ([.critic: 7.3], 7.3),
        // only the designer: the present roles weigh 0 in total
        ([.designer: 9], 0),
        ([:], 0),
    ])
    func compositeIsTheWeightedMeanRenormalisedOverPresentRoles(scores: [PanelistRole: Double], expected: Double) async
    {
        #expect(Scoreboard.rounded(Scoreboard.composite(of: scores, weights: Self.weights)) == expected)
    }

    @Test func missingScoringRoleScoresZeroAndAddsAMustFix() async {
        var scoreboard = Scoreboard(config: .default)
        let actions = Self.feed(
            &scoreboard,
            Self.round(1, scores: [.critic: 9, .brand: 9, .a11y: 9], mustFix: [:], decision: .ship)
        )
        guard case .roundScored(let round) = actions.last else {
            Issue.record("expected a scored round, got \(actions)")
            return
        }
        // copy missing: 0.4·9 + 0.2·9 + 0.2·9 + 0.2·0 = 7.2, and one open must-fix.
        #expect(round.composite == 7.2)
        #expect(round.openMustFix == 1)
        #expect(round.decision == .continue)
        #expect(
            round.panelists.first { $0.role == .copy }
                == CritiqueSummary.Panelist(role: .copy, score: 0, missing: true, weight: 0.2)
        )
        let kinds = scoreboard.summary.warnings.map(\.kind)
        #expect(kinds.contains(.missingRole) && kinds.contains(.decisionOverridden))
    }

    @Test func panelistWithoutAScoreIsLeftOutOfTheComposite() async {
        var scoreboard = Scoreboard(config: .default)
        var events = Self.round(1, scores: [.critic: 9, .brand: 9, .a11y: 9], mustFix: [:], decision: .ship)
        events.insert(.panelist(CritiqueEvent.Panelist(round: 1, role: .copy)), at: 3)
        _ = Self.feed(&scoreboard, events)
        #expect(scoreboard.summary.rounds.first?.composite == 9)
        #expect(scoreboard.summary.status == .shipped)
    }

    // MARK: - Transitions

    struct Script: Sendable, CustomStringConvertible {
        var description: String
        var policy: CritiqueConfig.FallbackPolicy = .shipBest
        var composites: [Double]
        var mustFix: [Int] = []
        var tail: [CritiqueEvent] = []
        var status: CritiqueStatus
        var kept: Int?
        var composite: Double?
    }

    static let scripts: [Script] = [
        Script(description: "ships in round 1", composites: [8.5], status: .shipped, kept: 1, composite: 8.5),
        Script(description: "ships in round 3", composites: [6, 7, 8], status: .shipped, kept: 3, composite: 8),
        Script(
            description: "threshold met but must-fix open",
            composites: [9, 9, 9],
            mustFix: [1, 1, 1],
            status: .belowThreshold,
            kept: 1,
            composite: 9
        ),
        Script(
            description: "ship_best keeps the best round",
            composites: [6, 7.5, 7],
            status: .belowThreshold,
            kept: 2,
            composite: 7.5
        ),
        Script(
            description: "ship_best keeps the earlier of a tie",
            composites: [7, 6, 7],
            status: .belowThreshold,
            kept: 1,
            composite: 7
        ),
        Script(
            description: "ship_last keeps the last round",
            policy: .shipLast,
            composites: [6, 7.5, 7],
            status: .belowThreshold,
            kept: 3,
            composite: 7
        ),
        Script(
            description: "fail keeps nothing",
            policy: .fail,
            composites: [6, 7.5, 7],
            status: .belowThreshold,
            kept: nil,
            composite: 7.5
        ),
        Script(
            description: "a round timeout keeps the best so far",
            composites: [6, 7],
            tail: [.timedOut(.round)],
            status: .timedOut,
            kept: 2,
            composite: 7
        ),
        Script(
            description: "a total timeout before any round keeps nothing",
            composites: [],
            tail: [.timedOut(.total)],
            status: .timedOut,
            kept: nil,
            composite: nil
        ),
        Script(
            description: "an interrupt keeps the best so far",
            composites: [7, 6],
            tail: [.interrupted, .processFailed(exitStatus: -15)],
            status: .interrupted,
            kept: 1,
            composite: 7
        ),
        Script(
            description: "a crash before shipping fails",
            composites: [6],
            tail: [.processFailed(exitStatus: 2)],
            status: .failed,
            kept: nil,
            composite: nil
        ),
        Script(
            description: "a crash after a round shipped still ships",
            composites: [9],
            tail: [.processFailed(exitStatus: 2)],
            status: .shipped,
            kept: 1,
            composite: 9
        ),
        Script(
            description: "degraded keeps nothing",
            composites: [6],
            tail: [.degraded(CritiqueParseError(.malformedBlock, detail: "x")), .timedOut(.total)],
            status: .degraded,
            kept: nil,
            composite: nil
        ),
        Script(
            description: "a timeout after degraded stays degraded",
            composites: [],
            tail: [.degraded(CritiqueParseError(.oversizeBlock, detail: "x"))],
            status: .degraded,
            kept: nil,
            composite: nil
        ),
        Script(description: "no round at all fails", composites: [], status: .failed, kept: nil, composite: nil),
    ]

    @Test(arguments: Self.scripts)
    func runEndsWithTheStatusTheRulesGive(script: Script) async {
        var config = CritiqueConfig.default
        config.fallbackPolicy = script.policy
        var scoreboard = Scoreboard(config: config)
        for (index, composite) in script.composites.enumerated() {
            let mustFix = index < script.mustFix.count ? script.mustFix[index] : 0
            _ = Self.feed(&scoreboard, Self.uniformRound(index + 1, score: composite, mustFix: mustFix))
        }
        _ = Self.feed(&scoreboard, script.tail)
        let summary = scoreboard.summary
        #expect(summary.status == script.status)
        #expect(summary.shippedRound == script.kept)
        #expect(summary.composite == script.composite)
    }

    @Test func roundsBeyondMaxRoundsAreIgnoredAndStopTheCritic() async {
        var scoreboard = Scoreboard(config: .default)
        for n in 1...3 { _ = Self.feed(&scoreboard, Self.uniformRound(n, score: 5)) }
        let actions = Self.feed(&scoreboard, Self.uniformRound(4, score: 9.5))
        #expect(actions == [.stopCritic(reason: "maxRounds 3 reached")])
        #expect(scoreboard.summary.rounds.count == 3)
        #expect(scoreboard.summary.status == .belowThreshold)
        #expect(scoreboard.summary.warnings.map(\.kind) == [.roundIgnored])
    }

    @Test func roundsAfterAShippedRoundAreIgnored() async {
        var scoreboard = Scoreboard(config: .default)
        _ = Self.feed(&scoreboard, Self.uniformRound(1, score: 9))
        _ = Self.feed(&scoreboard, Self.uniformRound(2, score: 9.9))
        #expect(scoreboard.summary.rounds.map(\.n) == [1])
        #expect(scoreboard.summary.shippedRound == 1)
    }

    @Test func onlyTheFirstStopEventAsksToStopTheCritic() async {
        var scoreboard = Scoreboard(config: .default)
        #expect(scoreboard.eventReceived(.timedOut(.round)) == [.stopCritic(reason: "the round timeout ran out")])
        #expect(scoreboard.eventReceived(.interrupted) == [])
        #expect(scoreboard.summary.status == .timedOut)
    }

    @Test func shipWithoutConsensusIsAWarningAndTheRuleWins() async {
        var scoreboard = Scoreboard(config: .default)
        _ = Self.feed(&scoreboard, Self.uniformRound(1, score: 6))
        _ = scoreboard.eventReceived(.ship(CritiqueEvent.Ship(round: 1, composite: 9, status: "shipped")))
        #expect(scoreboard.summary.status == .belowThreshold)
        #expect(scoreboard.summary.warnings.map(\.kind) == [.shipMismatch])
    }

    @Test func keptArtifactFollowsTheKeptRound() async {
        var scoreboard = Scoreboard(config: .default)
        _ = Self.feed(&scoreboard, Self.uniformRound(1, score: 7, artifact: "v1"))
        _ = Self.feed(&scoreboard, Self.uniformRound(2, score: 6))
        #expect(scoreboard.summary.shippedRound == 1)
        #expect(scoreboard.keptArtifact?.text == "v1")
        #expect(scoreboard.artifact(forRound: 2)?.text == "v1")
    }

    @Test func summaryEncodesWithSortedKeysAndRoundTrips() async throws {
        var scoreboard = Scoreboard(config: .default)
        _ = Self.feed(&scoreboard, Self.uniformRound(1, score: 8.25))
        let data = try scoreboard.summary.encodedJSON()
        let text = String(decoding: data, as: UTF8.self)
        let keys = ["\"cause\"", "\"composite\"", "\"fallbackPolicy\"", "\"maxRounds\"", "\"openMustFix\""]
        let positions = keys.compactMap { text.range(of: $0)?.lowerBound }
        #expect(positions.count == keys.count && positions == positions.sorted())
        #expect(try CritiqueSummary.decoded(from: data) == scoreboard.summary)
    }

    // MARK: - Helpers

    static func feed(_ scoreboard: inout Scoreboard, _ events: [CritiqueEvent]) -> [Scoreboard.Action] {
        events.flatMap { scoreboard.eventReceived($0) }
    }

    static func uniformRound(_ n: Int, score: Double, mustFix: Int = 0, artifact: String? = nil) -> [CritiqueEvent] {
        var events = Self.round(
            n,
            scores: [.critic: score, .brand: score, .a11y: score, .copy: score],
            mustFix: mustFix > 0 ? [.critic: mustFix] : [:],
            decision: score >= 8 && mustFix == 0 ? .ship : .continue
        )
        if let artifact, case .panelist(var designer) = events[1] {
            designer.artifact = CritiqueEvent.Artifact(mime: "text/plain", text: artifact)
            events[1] = .panelist(designer)
        }
        return events
    }

    static func round(
        _ n: Int,
        scores: [PanelistRole: Double],
        mustFix: [PanelistRole: Int],
        decision: CritiqueDecision
    ) -> [CritiqueEvent] {
        var events: [CritiqueEvent] = [
            .roundStarted(round: n), .panelist(CritiqueEvent.Panelist(round: n, role: .designer)),
        ]
        for role in [PanelistRole.critic, .brand, .a11y, .copy] {
            guard let score = scores[role] else { continue }
            let fixes = (0..<(mustFix[role] ?? 0)).map { "fix \($0)" }
            events.append(.panelist(CritiqueEvent.Panelist(round: n, role: role, score: score, mustFix: fixes)))
        }
        let composite = Scoreboard.rounded(Scoreboard.composite(of: scores, weights: Self.weights))
        events.append(.roundEnded(CritiqueEvent.RoundEnd(round: n, composite: composite, decision: decision)))
        return events
    }
}
