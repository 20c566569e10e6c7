import Foundation
import Testing
import TollgateCore

/// Attribute values read the way the protocol defines them, whichever way the parser reads them.
///
/// The parser reads plain values (a known role, digits, a plain decimal) straight from the bytes and
/// anything else through the entity-decoded string; these cases sit on the edge between the two.
struct CritiqueAttributeTests {
    @Test func spacingQuotesUnknownAndRepeatedAttributesFollowTheSyntax() async throws {
        // Blanks around `=`, single quotes, an attribute the protocol does not know, and a repeated
        // name (the first value wins); a count with blanks around it reads as the trimmed number.
        let panelist = #"<PANELIST  role = 'critic' tone="dry" score='7.5' score="2" must_fix=" 2 "></PANELIST>"#
        let events = CritiqueParser.events(in: Self.run(panelists: panelist))
        let critic = try #require(Self.panelist("critic", in: events))
        #expect(critic.score == 7.5)
        #expect(critic.declaredMustFix == 2)
        #expect(Self.warnings(in: events).isEmpty)
    }

    @Test func greaterThanInsideAQuotedValueBelongsToTheValue() async throws {
        let panelist = #"<PANELIST role="critic" score="6"><DIM name="a>b" score='6'>n</DIM></PANELIST>"#
        let critic = try #require(Self.panelist("critic", in: CritiqueParser.events(in: Self.run(panelists: panelist))))
        #expect(critic.dimensions == [CritiqueEvent.Dimension(name: "a>b", score: 6, note: "n")])
    }

    @Test func entitiesAreDecodedBeforeAValueIsRead() async throws {
        let roles: [PanelistRole] = [.designer, .critic, "r&d"]
        let panelists = #"""
            <PANELIST role="r&amp;d" score="5"><DIM name="x &lt; y" score="5">n</DIM></PANELIST>
            <PANELIST role="critic" score="&lt;7"></PANELIST>
            """#
        let events = CritiqueParser.events(in: Self.run(panelists: panelists), options: .init(roles: roles))
        let research = try #require(Self.panelist("r&d", in: events))
        #expect(research.dimensions.first?.name == "x < y")
        #expect(Self.panelist("critic", in: events)?.score == nil)
        let details = Self.warnings(in: events).map(\.detail)
        #expect(details == [#"score of critic "<7" is not a number; ignored"#])
    }

    @Test func countsAndRoundNumbersReadAsIntDoes() async throws {
        // `Int("+2")` is 2 and `Int("-0")` is 0; a negative count is not a count.
        let panelists = #"""
            <PANELIST role="critic" score="7" must_fix="+2"></PANELIST>
            <PANELIST role="brand" score="7" must_fix="-0"></PANELIST>
            <PANELIST role="copy" score="7" must_fix="-1"></PANELIST>
            """#
        let events = CritiqueParser.events(in: Self.run(panelists: panelists, round: "+1"))
        #expect(Self.panelist("critic", in: events)?.declaredMustFix == 2)
        #expect(Self.panelist("brand", in: events)?.declaredMustFix == 0)
        #expect(Self.panelist("copy", in: events)?.declaredMustFix == nil)
        #expect(events.contains(.roundStarted(round: 1)))
        let details = Self.warnings(in: events).map(\.detail)
        #expect(details == [#"must_fix of copy "-1" is not a count; ignored"#])
    }

    @Test func aRoleSpelledAnotherCanonicalWayIsOnThePanel() async throws {
        // Roles compare as strings, and strings compare by canonical equivalence: "e" followed by a
        // combining acute accent is the same role as the precomposed "é".
        let roles: [PanelistRole] = [.designer, "caf\u{E9}"]
        let panelist = "<PANELIST role=\"cafe\u{301}\" score=\"6\"></PANELIST>"
        let events = CritiqueParser.events(in: Self.run(panelists: panelist), options: .init(roles: roles))
        let kept = try #require(Self.panelist("caf\u{E9}", in: events))
        #expect(kept.score == 6)
        #expect(Self.warnings(in: events).allSatisfy { $0.kind != .unknownRole })
    }

    @Test func namesThatOnlyBeginWithAProtocolNameAreOtherNames() async throws {
        // The parser recognises the protocol's names a word at a time when enough bytes follow, and byte
        // by byte near the end of the input; either way a longer name is another name. The padding
        // after each tag keeps 16 bytes after every name, and splitting at every offset reads the same
        // names byte by byte.
        let pad = String(repeating: " ", count: 16)
        let panelist = [
            #"<PANELIST roles="x" role_="x" role="critic" scores="1" score="6" must_fixes="9" must_fix="1">"#,
            #"<DIM names="no" name="yes" scored="1" score="6" nn="2" n="3">a</DIM>"#,
            "<MUST_FIX>keep </MUST_FIXED> inside</MUST_FIX>",
            "</PANELIST>",
        ].joined(separator: pad)
        let text = Self.run(panelists: panelist)
        let events = CritiqueParser.events(in: text)
        let critic = try #require(Self.panelist("critic", in: events))
        #expect(critic.score == 6)
        #expect(critic.declaredMustFix == 1)
        #expect(critic.dimensions == [CritiqueEvent.Dimension(name: "yes", score: 6, note: "a")])
        #expect(critic.mustFix == ["keep </MUST_FIXED> inside"])
        let bytes = Array(text.utf8)
        for offset in 1..<bytes.count {
            var parser = CritiqueParser()
            parser.append(bytes[..<offset])
            var split: [CritiqueEvent] = []
            while let event = parser.next() { split.append(event) }
            parser.append(bytes[offset...])
            split += parser.finish()
            #expect(split == events, "split at byte \(offset)")
            if split != events { return }
        }
        // A tag name that only begins like one of the protocol's is an unknown tag.
        let unknown = CritiqueParser.events(in: Self.run(panelists: #"<PANELIST role="critic"><DIMS>"#))
        guard case .degraded(let error) = unknown.last else {
            Issue.record("expected a degraded run, got \(unknown)")
            return
        }
        #expect(error.detail == "unknown tag <DIMS> inside <PANELIST>")
    }

    // MARK: - Helpers

    /// A one-round run whose designer carries the artifact, with `panelists` after it.
    static func run(panelists: String, round: String = "1") -> String {
        """
        <CRITIQUE_RUN version="1">
        <ROUND n="\(round)">
        <PANELIST role="designer"><ARTIFACT mime="text/plain"><![CDATA[draft]]></ARTIFACT></PANELIST>
        \(panelists)
        <ROUND_END n="1" composite="7" must_fix="0" decision="ship"></ROUND_END>
        </ROUND>
        </CRITIQUE_RUN>
        """
    }

    static func panelist(_ role: PanelistRole, in events: [CritiqueEvent]) -> CritiqueEvent.Panelist? {
        events.lazy.compactMap { event -> CritiqueEvent.Panelist? in
            if case .panelist(let panelist) = event, panelist.role == role { return panelist }
            return nil
        }.first
    }

    static func warnings(in events: [CritiqueEvent]) -> [CritiqueWarning] {
        events.compactMap { event in
            if case .warning(let warning) = event { return warning }
            return nil
        }
    }
}
