import Testing
import TollgateCore

struct ExampleCriticTests {
    /// The shape of the example agent's first plan: a title, goals and numbered steps, no risks.
    static let plan = """
        # Plan: write the report

        ## Goals

        - A report the team can read in five minutes.

        ## Steps

        1. Collect the figures.
        2. Draft the report.
        3. Review it.

        """

    static func summary(_ text: String) -> (CritiqueSummary, [CritiqueEvent]) {
        let events = CritiqueParser.events(in: text)
        var scoreboard = Scoreboard(config: .default)
        for event in events { _ = scoreboard.eventReceived(event) }
        return (scoreboard.summary, events)
    }

    @Test func firstRoundIsBelowThresholdWithAMustFixAndALaterRoundShips() async {
        let (summary, events) = Self.summary(ExampleCritic.transcript(artifact: Self.plan))
        #expect(!events.contains { if case .warning = $0 { true } else { false } })
        #expect(summary.status == .shipped && summary.shippedRound == 2 && summary.rounds.count == 2)
        let first = summary.rounds[0]
        #expect(first.composite == 7.5 && first.decision == .continue && first.openMustFix == 2)
        #expect(first.mustFix.contains { $0.role == .critic && $0.text.contains("## Risks") })
        #expect(summary.rounds[1].composite == 8.6 && summary.rounds[1].openMustFix == 0)
        #expect(summary.warnings.isEmpty)
    }

    @Test func planThatAddedRisksShipsInItsFirstRound() async {
        let revised = ExampleCritic.revised(Self.plan)
        #expect(revised.hasPrefix(Self.plan) && revised.contains("## Risks"))
        let (summary, _) = Self.summary(ExampleCritic.transcript(artifact: revised))
        #expect(summary.status == .shipped && summary.shippedRound == 1 && summary.composite == 8.6)
    }

    @Test func singleRoundOfTheFirstPlanDoesNotShip() async {
        var config = CritiqueConfig.default
        config.maxRounds = 1
        let text = ExampleCritic.transcript(artifact: Self.plan, config: config)
        var scoreboard = Scoreboard(config: config)
        for event in CritiqueParser.events(in: text) { _ = scoreboard.eventReceived(event) }
        #expect(scoreboard.summary.status == .belowThreshold && scoreboard.summary.composite == 7.5)
    }

    @Test func outputIsDeterministic() async {
        #expect(ExampleCritic.transcript(artifact: Self.plan) == ExampleCritic.transcript(artifact: Self.plan))
        #expect(ExampleCritic.round(1, artifact: Self.plan) == ExampleCritic.round(1, artifact: Self.plan))
    }

    @Test func artifactWithCDATATerminatorSurvivesTheRoundTrip() async {
        let tricky = Self.plan + "\nA line with ]]> inside.\n"
        let events = CritiqueParser.events(in: ExampleCritic.transcript(artifact: tricky))
        let first = events.lazy.compactMap { event -> String? in
            if case .panelist(let panelist) = event { return panelist.artifact?.text }
            return nil
        }.first
        #expect(first == tricky)
    }
}
