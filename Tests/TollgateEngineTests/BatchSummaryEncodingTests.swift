import Foundation
import Testing
import TollgateCore

@testable import TollgateEngine

/// `summary.json` and `report.md` from pieces are byte for byte the whole summary's, through a batch's life: units
/// queued, finished one by one, a budget and a block set, a unit added.
struct BatchSummaryEncodingTests {
    private func expectSame(_ encoding: BatchSummaryEncoding, _ summary: BatchSummary) throws {
        #expect(encoding.report(summary) == summary.report())
        let pieces = try encoding.encoded(summary)
        let whole = try JSONCoding.encoder.encode(summary)
        #expect(
            pieces == whole,
            "\(String(decoding: pieces, as: UTF8.self))\n---\n\(String(decoding: whole, as: UTF8.self))"
        )
    }

    @Test func piecesMatchTheWholeEncodingAsTheBatchGoesOn() throws {
        let encoding = BatchSummaryEncoding()
        var summary = BatchSummary(batch: "20261208-000000-abcd", units: [])
        try expectSame(encoding, summary)

        let names = ["ch/a b.md", "ch/c|d.md", "ch/\"quoted\".md", "ch/ünïcode/é.md", "ch/slash/x.md"]
        summary = BatchSummary(batch: summary.batch, units: names.map { .init(unit: $0, state: .queued) })
        try expectSame(encoding, summary)

        summary.record(
            .init(unit: names[1], state: .shipped, firstComposite: 7.25, finalComposite: 8.6, mustFix: 0)
        )
        try expectSame(encoding, summary)
        summary.record(.init(unit: names[3], state: .belowThreshold, firstComposite: 4.5, mustFix: 3))
        summary.budget = BudgetAccount()
        summary.budget?.spent[.tokens] = 1200
        summary.budget?.reserved["ch/a b.md"] = [.tokens: 300]
        try expectSame(encoding, summary)

        summary.blocked = "budget.tokens.hard is 2000 tokens"
        summary.record(.init(unit: names[0], state: .blocked))
        summary.record(.init(unit: "ch/0-new.md", state: .queued))
        try expectSame(encoding, summary)

        // A unit's line back to an earlier value, and units gone: nothing stale is reused.
        summary.record(.init(unit: names[1], state: .queued))
        summary.units.removeLast(2)
        summary.blocked = nil
        try expectSame(encoding, summary)
    }
}
