import Foundation
import Testing
import TollgateCore

/// The phase's critique result as the job keeps it: the loop's figures, what `critique.finished` records, and
/// records written before those figures were kept.
struct PhaseCritiqueTests {
    let critique = PhaseCritique(
        status: .shipped,
        composite: 8.6,
        threshold: 8,
        openMustFix: 0,
        iterations: 1,
        stopReason: .shipped,
        report: "critique/phase-1/rev-1/report.md",
        startComposite: 7.5,
        tokens: 154,
        latencyMs: 1234
    )

    @Test func theEventCarriesTheLoopsFigures() async {
        #expect(
            critique.eventData == [
                "status": "shipped", "composite": "8.60", "startComposite": "7.50", "openMustFix": "0",
                "iterations": "1", "stopReason": "shipped", "tokens": "154", "latencyMs": "1234",
                "report": "critique/phase-1/rev-1/report.md",
            ]
        )
        var none = critique
        none.composite = nil
        none.startComposite = nil
        none.stopReason = nil
        #expect(none.eventData["composite"] == nil)
        #expect(none.eventData["startComposite"] == nil)
        #expect(none.eventData["stopReason"] == nil)
    }

    @Test func theLoopLineSaysWhatTheLoopDidAndCost() async {
        #expect(
            critique.loopLine
                == "revision loop: 1 iteration(s), composite 7.5 → 8.6, 154 token(s), 1.2 s, stopped: shipped"
        )
    }

    @Test func roundTripsThroughJSON() async throws {
        let data = try JSONEncoder().encode(critique)
        #expect(try JSONDecoder().decode(PhaseCritique.self, from: data) == critique)
    }

    @Test func aRecordWithoutTheLoopsFiguresReadsWithNone() async throws {
        let older = """
            {"status":"below_threshold","composite":5,"threshold":8,"openMustFix":1,"iterations":3,
            "stopReason":"exhausted","report":"critique/phase-1/rev-1/report.md"}
            """
        let read = try JSONDecoder().decode(PhaseCritique.self, from: Data(older.utf8))
        #expect(read.tokens == 0)
        #expect(read.latencyMs == 0)
        #expect(read.startComposite == nil)
        #expect(read.composite == 5)
        #expect(read.iterations == 3)
    }
}
