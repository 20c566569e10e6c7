import Foundation
import Testing
import TollgateCore
import TollgateTestSupport

struct CritiqueReplayTests {
    @Test(arguments: CritiqueFixtures.names)
    func replayOfTheTranscriptEqualsTheLiveSummary(name: String) async throws {
        let events = CritiqueFixtures.events(try CritiqueFixtures.input(name))
        let live = CritiqueFixtures.summary(events)
        let transcript = try CritiqueTranscript.render(events)
        #expect(try CritiqueReplay.summary(transcript: transcript, config: CritiqueFixtures.config) == live)
    }

    @Test func replayKeepsShellEventsSuchAsTimeouts() async throws {
        var events = CritiqueFixtures.events(try CritiqueFixtures.input("happy_three_rounds"))
        events.insert(.timedOut(.round), at: 12)
        let live = CritiqueFixtures.summary(events)
        #expect(live.status == .timedOut)
        let replayed = try CritiqueReplay.summary(
            transcript: try CritiqueTranscript.render(events),
            config: CritiqueFixtures.config
        )
        #expect(replayed == live)
    }

    @Test func transcriptStartsWithTheProtocolVersion() async throws {
        let text = try CritiqueTranscript.render([.roundStarted(round: 1)])
        #expect(
            text
                == "{\"format\":\"tollgate-critique-transcript\",\"protocolVersion\":1}\n{\"round\":1,\"type\":\"round_started\"}\n"
        )
        #expect(throws: CritiqueParseError.self) {
            try CritiqueTranscript.read("{\"round\":1,\"type\":\"round_started\"}\n")
        }
        #expect(throws: CritiqueParseError.self) {
            try CritiqueTranscript.read("{\"format\":\"tollgate-critique-transcript\",\"protocolVersion\":7}\n")
        }
    }

    @Test func everyEventKindRoundTripsThroughJSON() async throws {
        let events: [CritiqueEvent] = [
            .runStarted(.init(version: 1, maxRounds: 3, threshold: 8, scale: 10)), .roundStarted(round: 1),
            .panelist(
                .init(
                    round: 1,
                    role: .critic,
                    score: 6.5,
                    declaredMustFix: 1,
                    notes: "n",
                    dimensions: [.init(name: "d", score: 5, note: "x")],
                    mustFix: ["m"],
                    artifact: .init(mime: "t", text: "a")
                )
            ),
            .roundEnded(.init(round: 1, composite: 6.5, mustFix: 1, decision: .continue, reason: "r")),
            .ship(.init(round: 1, composite: 6.5, status: "shipped", artifact: nil, summary: "s")), .runFinished,
            .warning(CritiqueWarning(.weakDebate, position: 3, round: 1, detail: "w")),
            .degraded(CritiqueParseError(.oversizeBlock, position: 9, detail: "d")), .timedOut(.total), .interrupted,
            .processFailed(exitStatus: -9),
        ]
        let (version, decoded) = try CritiqueTranscript.read(try CritiqueTranscript.render(events))
        #expect(version == .v1 && decoded == events)
    }

    @Test func lintWarningRoundTripsAndReachesTheReport() async throws {
        let finding = CritiqueWarning.lint("a TODO marker", line: 12)
        #expect(finding == CritiqueWarning(.lint, detail: "line 12: a TODO marker"))
        #expect(CritiqueWarning.lint("lorem ipsum").detail == "lorem ipsum")
        let line = try CritiqueTranscript.line(for: .warning(finding))
        #expect(line.contains(#""kind":"lint""#))
        var events = CritiqueFixtures.events(try CritiqueFixtures.input("happy_three_rounds"))
        events.append(.warning(finding))
        let (_, decoded) = try CritiqueTranscript.read(try CritiqueTranscript.render(events))
        #expect(decoded == events)
        let summary = CritiqueFixtures.summary(decoded)
        #expect(summary.warnings.last == finding)
        #expect(CritiqueReport.render(summary).contains("- lint: line 12: a TODO marker"))
    }

    @Test func reportOfTheHappyRunMatchesItsGolden() async throws {
        let events = CritiqueFixtures.events(try CritiqueFixtures.input("happy_three_rounds"))
        let report = try CritiqueReplay.report(
            transcript: try CritiqueTranscript.render(events),
            config: CritiqueFixtures.config
        )
        try Golden.assertMatches(report, at: CritiqueFixtures.url("happy_three_rounds.report.md"))
    }

    @Test func reportOfARunBelowThresholdMatchesItsGolden() async throws {
        let events = CritiqueFixtures.events(try CritiqueFixtures.input("composite_mismatch_missing_panelist"))
        let report = CritiqueReport.render(CritiqueFixtures.summary(events))
        try Golden.assertMatches(report, at: CritiqueFixtures.url("composite_mismatch_missing_panelist.report.md"))
    }
}
