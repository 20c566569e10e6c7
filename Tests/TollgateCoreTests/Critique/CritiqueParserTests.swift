import Foundation
import Testing
import TollgateCore
import TollgateTestSupport

struct CritiqueParserTests {
    // MARK: - Goldens

    @Test(arguments: CritiqueFixtures.names)
    func fixtureYieldsItsGoldenEventsAndSummary(name: String) async throws {
        let events = CritiqueFixtures.events(try CritiqueFixtures.input(name))
        try Golden.assertMatches(
            try CritiqueTranscript.render(events),
            at: CritiqueFixtures.url("\(name).events.txt")
        )
        let summary = String(decoding: try CritiqueFixtures.summary(events).encodedJSON(), as: UTF8.self)
        try Golden.assertMatches(summary, at: CritiqueFixtures.url("\(name).summary.json"))
    }

    // MARK: - Chunk invariance

    /// Splits each fixture in two at every byte offset; `TOLLGATE_CRITIQUE_SAMPLE_SPLITS=1` keeps only the
    /// offsets where the parser stops mid-token and a seeded sample of the others (see
    /// ``CritiqueFixtures/splitOffsets(_:seed:all:)``).
    @Test(arguments: CritiqueFixtures.names)
    func splittingAnywhereGivesTheSameEvents(name: String) async throws {
        let bytes = try CritiqueFixtures.input(name)
        let whole = CritiqueFixtures.events(bytes)
        let seed = CritiqueFixtures.seed(name)
        for offset in CritiqueFixtures.splitOffsets(bytes, seed: seed) {
            let split = CritiqueFixtures.events(bytes, splitAt: [offset])
            #expect(split == whole, "split at byte \(offset) of \(name) (sample seed \(seed))")
            if split != whole { return }
        }
    }

    @Test func splitOffsetsKeepTheTokenBoundariesAndSampleTheRest() async throws {
        let text =
            String(repeating: "t", count: 100) + "<X>" + String(repeating: "t", count: 100) + "<![CDATA[c]]>é\u{1B}[1m"
            + String(repeating: "u", count: 100)
        let bytes = Array(text.utf8)
        let offsets = Set(CritiqueFixtures.splitOffsets(bytes, seed: 7, all: false))
        // "<X>" at 100, "<![CDATA[" at 203, "]]>" at 213, "é" at 216 (two bytes), ESC at 218.
        let required = [99, 100, 101, 102, 103, 202, 203, 207, 211, 212, 213, 214, 215, 216, 217, 218, 219, 221]
        #expect(required.allSatisfy(offsets.contains), "missing \(required.filter { !offsets.contains($0) })")
        #expect(offsets.contains(bytes.count) && offsets.contains(bytes.count - CritiqueFixtures.edgeBytes))
        // Plain text between tokens is sampled, not split everywhere, and the sample repeats.
        let plain = (110..<200).filter(offsets.contains).count
        #expect(plain > 0 && plain < 90 / 2)
        #expect(
            CritiqueFixtures.splitOffsets(bytes, seed: 7, all: false)
                == CritiqueFixtures.splitOffsets(bytes, seed: 7, all: false)
        )
    }

    @Test(arguments: CritiqueFixtures.names)
    func feedingOneByteAtATimeGivesTheSameEvents(name: String) async throws {
        let bytes = try CritiqueFixtures.input(name)
        #expect(
            CritiqueFixtures.events(bytes, splitAt: Array(1..<max(1, bytes.count))) == CritiqueFixtures.events(bytes)
        )
    }

    @Test func threeWaySplitsGiveTheSameEvents() async throws {
        let bytes = try CritiqueFixtures.input("happy_three_rounds")
        let whole = CritiqueFixtures.events(bytes)
        for first in stride(from: 0, to: bytes.count, by: 97) {
            for second in stride(from: first, to: bytes.count, by: 89) {
                #expect(CritiqueFixtures.events(bytes, splitAt: [first, second]) == whole)
            }
        }
    }

    // MARK: - Invariants, one by one

    @Test func happyRunYieldsRoundsPanelistsAndShipInOrder() async throws {
        let events = CritiqueFixtures.events(try CritiqueFixtures.input("happy_three_rounds"))
        let types = events.map(\.typeName)
        #expect(types.first == "run_started")
        #expect(types.last == "run_finished")
        #expect(types.filter { $0 == "round_started" }.count == 3)
        #expect(types.filter { $0 == "panelist" }.count == 15)
        #expect(types.filter { $0 == "ship" }.count == 1)
        #expect(!types.contains("warning") && !types.contains("degraded"))
        guard case .panelist(let critic) = events[3] else {
            Issue.record("expected the critic's block, got \(events[3])")
            return
        }
        #expect(critic.role == .critic && critic.score == 6.4 && critic.declaredMustFix == 2)
        #expect(critic.mustFix == ["Number the steps.", "Name at least one risk."])
        #expect(
            critic.dimensions.first
                == CritiqueEvent.Dimension(name: "structure", score: 6, note: "Steps are bullets, not a sequence.")
        )
    }

    @Test func artifactKeepsItsCDATAVerbatim() async {
        let text = """
            <CRITIQUE_RUN version="1"><ROUND n="1"><PANELIST role="designer">
            <ARTIFACT mime="text/markdown"><![CDATA[
            # Title
              a < b && c ]] > d
            ]]></ARTIFACT></PANELIST><ROUND_END n="1" composite="0" must_fix="0" decision="continue"/></ROUND></CRITIQUE_RUN>
            """
        let events = CritiqueParser.events(in: text)
        let artifact = events.compactMap { event -> CritiqueEvent.Artifact? in
            if case .panelist(let panelist) = event { return panelist.artifact }
            return nil
        }.first
        #expect(artifact == CritiqueEvent.Artifact(mime: "text/markdown", text: "\n# Title\n  a < b && c ]] > d\n"))
    }

    @Test func textDecodesEntitiesAndKeepsStrayLessThanSigns() async {
        let events = CritiqueParser.events(in: Self.oneRound(critic: "<MUST_FIX>Keep 3 &lt; 4 & x < y.</MUST_FIX>"))
        #expect(Self.panelist(.critic, in: events)?.mustFix == ["Keep 3 < 4 & x < y."])
    }

    @Test func unknownRoleIsDroppedWithAWarning() async {
        let events = CritiqueParser.events(in: Self.oneRound(extra: #"<PANELIST role="seo" score="9"></PANELIST>"#))
        #expect(events.contains { if case .warning(let w) = $0 { w.kind == .unknownRole } else { false } })
        #expect(!events.contains { if case .panelist(let p) = $0 { p.role == "seo" } else { false } })
    }

    @Test(arguments: [("11.5", 10.0), ("-2", 0.0), ("10", 10.0), ("0", 0.0), ("7.25", 7.25)])
    func scoresAreClampedToTheScale(raw: String, expected: Double) async {
        let events = CritiqueParser.events(in: Self.oneRound(criticScore: raw))
        #expect(Self.panelist(.critic, in: events)?.score == expected)
        let clamped = events.contains { if case .warning(let w) = $0 { w.kind == .scoreClamped } else { false } }
        #expect(clamped == (Double(raw) != expected))
    }

    @Test func numbersReadTheSameAsTheStandardParser() async {
        // The parser reads plain decimals itself; every value must equal what Double(_:) reads.
        var random = CritiqueFixtures.SplitMix64(seed: 42)
        var raws = [
            "0", "-0", "7", "7.25", "0.1", "0.3", "9.999999999999999", "123456789012345", "1234567890123456",
            "0.000000000000001", "-2.5", "007.50", "7.", ".5", "1e1", "+3", "1_0", "--1", "1.2.3",
        ]
        for _ in 0..<200 {
            let digits = String(random.next() % 1_000_000_000_000)
            let point = Int(random.next() % UInt64(digits.count + 1))
            raws.append(point == 0 ? digits : String(digits.prefix(point)) + "." + digits.dropFirst(point))
        }
        for raw in raws {
            let text = Self.oneRound().replacingOccurrences(of: #"composite="7""#, with: "composite=\"\(raw)\"")
            let composite = CritiqueParser.events(in: text).lazy.compactMap { event -> Double?? in
                if case .roundEnded(let end) = event { return end.composite }
                return nil
            }.first
            let expected = Double(raw).flatMap { $0.isFinite ? $0 : nil }
            #expect(composite == .some(expected), "composite=\"\(raw)\"")
            if let expected, let read = composite ?? nil { #expect(read.sign == expected.sign, "sign of \(raw)") }
        }
    }

    @Test func nonNumericScoreIsIgnoredWithAWarning() async {
        let events = CritiqueParser.events(in: Self.oneRound(criticScore: "great"))
        #expect(Self.panelist(.critic, in: events)?.score == nil)
        #expect(events.contains { if case .warning(let w) = $0 { w.kind == .invalidScore } else { false } })
    }

    @Test func unknownDecisionBecomesContinueWithAWarning() async {
        let text = Self.oneRound(decision: "perhaps")
        let events = CritiqueParser.events(in: text)
        #expect(
            events.contains(
                .roundEnded(CritiqueEvent.RoundEnd(round: 1, composite: 7, mustFix: 0, decision: .continue))
            )
        )
        #expect(events.contains { if case .warning(let w) = $0 { w.kind == .unknownDecision } else { false } })
    }

    @Test func continuingRoundWithoutTwoDifferingMustFixWarnsOfWeakDebate() async {
        let weak = CritiqueParser.events(in: Self.oneRound(critic: "<MUST_FIX>A.</MUST_FIX>"))
        #expect(weak.contains { if case .warning(let w) = $0 { w.kind == .weakDebate } else { false } })
        let strong = CritiqueParser.events(
            in: Self.oneRound(
                critic: "<MUST_FIX>A.</MUST_FIX>",
                extra: #"<PANELIST role="copy" score="7"><MUST_FIX>B.</MUST_FIX></PANELIST>"#
            )
        )
        #expect(!strong.contains { if case .warning(let w) = $0 { w.kind == .weakDebate } else { false } })
    }

    @Test func missingVersionAssumesVersionOneWithAWarning() async {
        let events = CritiqueParser.events(in: Self.oneRound().replacing(#" version="1""#, with: ""))
        #expect(
            events.first
                == .warning(
                    CritiqueWarning(.versionMissing, position: 0, detail: "<CRITIQUE_RUN> has no version; 1 assumed")
                )
        )
        #expect(events.contains(.runStarted(CritiqueEvent.RunStart(version: 1, maxRounds: 3))))
    }

    @Test func unsupportedVersionDegradesTheRun() async {
        let events = CritiqueParser.events(in: Self.oneRound().replacing(#"version="1""#, with: #"version="2""#))
        #expect(events.count == 1)
        guard case .degraded(let error) = events.first else {
            Issue.record("expected a degraded event, got \(events)")
            return
        }
        #expect(error.kind == .unsupportedVersion && error.position == 0)
    }

    @Test func streamWithoutARunDegrades() async {
        let events = CritiqueParser.events(in: "Sorry, I cannot critique this. <b>bold</b>")
        #expect(
            events == [.degraded(CritiqueParseError(.missingRun, detail: "the stream ended without <CRITIQUE_RUN>"))]
        )
    }

    @Test func chatterAroundTheRunIsIgnored() async {
        let plain = CritiqueParser.events(in: Self.oneRound())
        let noisy = CritiqueParser.events(
            in: "Here is my review <3 of it:\n" + Self.oneRound() + "\nHope that helps! <END>"
        )
        #expect(plain.filter { $0.typeName != "warning" } == noisy.filter { $0.typeName != "warning" })
    }

    @Test func errorsPointAtTheOffendingByte() async {
        let cases: [(String, CritiqueParseError.Kind)] = [
            (#"<CRITIQUE_RUN version="1"><ROUND n="1">1️⃣<![CDATA[x]]></ROUND></CRITIQUE_RUN>"#, .cdataOutOfPlace),
            (
                #"<CRITIQUE_RUN version="1"><ROUND n="1"><PANELIST role="critic"><DIM name="a">x1️⃣</PANELIST>"#,
                .malformedBlock
            ),
            (#"<CRITIQUE_RUN version="1"><ROUND n="1">1️⃣<FINDING severity="high"></ROUND>"#, .malformedBlock),
            (#"<CRITIQUE_RUN version="1"><ROUND n="1"><PANELIST role="critic">1️⃣</ROUND>"#, .malformedBlock),
            (#"intro 1️⃣<CRITIQUE_RUN version="9">"#, .unsupportedVersion),
        ]
        for (marked, kind) in cases {
            let (text, offset) = Self.marked(marked)
            let degraded = CritiqueParser.events(in: text).compactMap { event -> CritiqueParseError? in
                if case .degraded(let error) = event { return error }
                return nil
            }
            #expect(degraded.map(\.kind) == [kind], "\(marked)")
            #expect(degraded.first?.position == offset, "\(marked): \(degraded)")
        }
    }

    @Test func nothingIsParsedAfterTheStreamDegrades() async {
        var parser = CritiqueParser()
        parser.append(#"<CRITIQUE_RUN version="1"><ROUND n="1"><![CDATA[x]]>"#)
        var events: [CritiqueEvent] = []
        while let event = parser.next() { events.append(event) }
        parser.append(String(repeating: "<ROUND n=\"2\">", count: 1000))
        #expect(parser.next() == nil)
        #expect(parser.bufferedByteCount == 0)
        #expect(events.last.map(\.typeName) == "degraded")
        #expect(parser.finish().isEmpty)
    }

    @Test func bufferStaysBoundedWhileAHugeStreamFlowsThrough() async {
        var parser = CritiqueParser(options: CritiqueParser.Options(maxBlockBytes: 4096))
        parser.append(#"<CRITIQUE_RUN version="1">"#)
        let round = Self.roundBlock(n: 1)
        var peak = 0
        var rounds = 0
        for n in 1...2000 {
            parser.append(Self.roundBlock(n: n))
            while let event = parser.next() { if case .roundEnded = event { rounds += 1 } }
            peak = max(peak, parser.bufferedByteCount)
        }
        #expect(rounds == 2000)
        #expect(peak <= round.utf8.count + 64)
    }

    @Test func oversizeTextIsRejectedBeforeItIsBufferedWhole() async {
        var parser = CritiqueParser(options: CritiqueParser.Options(maxBlockBytes: 2048))
        parser.append(#"<CRITIQUE_RUN version="1"><ROUND n="1"><PANELIST role="designer"><NOTES>"#)
        var degraded: CritiqueParseError?
        for _ in 0..<100 {
            parser.append(String(repeating: "n", count: 100))
            while let event = parser.next() { if case .degraded(let error) = event { degraded = error } }
            #expect(parser.bufferedByteCount <= 2048 + 100)
        }
        #expect(degraded?.kind == .oversizeBlock)
    }

    @Test func selfClosingTagsOpenAndClose() async {
        let text =
            #"<CRITIQUE_RUN version="1"><ROUND n="1"><PANELIST role="designer"><ARTIFACT mime="x"><![CDATA[a]]></ARTIFACT></PANELIST><PANELIST role="critic" score="7"/><ROUND_END n="1" decision="continue"/></ROUND></CRITIQUE_RUN>"#
        let events = CritiqueParser.events(in: text)
        #expect(Self.panelist(.critic, in: events) == CritiqueEvent.Panelist(round: 1, role: .critic, score: 7))
        #expect(events.last == .runFinished)
    }

    @Test func roundNumbersThatDoNotIncreaseAreRenumbered() async {
        let text = Self.oneRound() + ""
        let twice =
            text.replacing("</CRITIQUE_RUN>", with: "")
            + #"<ROUND n="1"><ROUND_END n="1" decision="continue"/></ROUND></CRITIQUE_RUN>"#
        let events = CritiqueParser.events(in: twice)
        #expect(events.contains(.roundStarted(round: 2)))
        #expect(events.contains { if case .warning(let w) = $0 { w.kind == .roundRenumbered } else { false } })
    }

    @Test func duplicateRoleInARoundKeepsTheFirstBlock() async {
        let events = CritiqueParser.events(in: Self.oneRound(extra: #"<PANELIST role="critic" score="1"></PANELIST>"#))
        #expect(Self.panelist(.critic, in: events)?.score == 7)
        #expect(events.contains { if case .warning(let w) = $0 { w.kind == .duplicateRole } else { false } })
    }

    // MARK: - Helpers

    static func oneRound(
        criticScore: String = "7",
        critic: String = "",
        extra: String = "",
        decision: String = "continue"
    ) -> String {
        """
        <CRITIQUE_RUN version="1" maxRounds="3">
        <ROUND n="1">
        <PANELIST role="designer"><ARTIFACT mime="text/plain"><![CDATA[draft]]></ARTIFACT></PANELIST>
        <PANELIST role="critic" score="\(criticScore)">\(critic)</PANELIST>
        \(extra)
        <ROUND_END n="1" composite="7" must_fix="0" decision="\(decision)"></ROUND_END>
        </ROUND>
        </CRITIQUE_RUN>
        """
    }

    static func roundBlock(n: Int) -> String {
        """
        <ROUND n="\(n)"><PANELIST role="designer"><ARTIFACT mime="text/plain"><![CDATA[\(String(repeating: "a", count: 200))]]></ARTIFACT></PANELIST>
        <PANELIST role="critic" score="7" must_fix="1"><DIM name="d" score="7">note</DIM><MUST_FIX>x</MUST_FIX></PANELIST>
        <PANELIST role="copy" score="7" must_fix="1"><MUST_FIX>y</MUST_FIX></PANELIST>
        <ROUND_END n="\(n)" composite="7" must_fix="2" decision="continue"><REASON>r</REASON></ROUND_END></ROUND>

        """
    }

    static func panelist(_ role: PanelistRole, in events: [CritiqueEvent]) -> CritiqueEvent.Panelist? {
        events.lazy.compactMap { event -> CritiqueEvent.Panelist? in
            if case .panelist(let panelist) = event, panelist.role == role { return panelist }
            return nil
        }.first
    }

    /// Removes the `1️⃣` marker and returns the text with the marker's byte offset.
    static func marked(_ text: String) -> (String, Int?) {
        guard let range = text.range(of: "1️⃣") else { return (text, nil) }
        let offset = text.utf8.distance(from: text.startIndex, to: range.lowerBound)
        return (text.replacingCharacters(in: range, with: ""), offset)
    }
}
