import Foundation
import Testing
import TollgateCore

@testable import TollgateCLI

/// The block a batch redraws on a terminal: what it keeps when the units do not fit, and how wide it gets.
struct BatchDisplayTests {
    /// The change after `total` units of which one runs and the rest shipped.
    func change(total: Int, budget: [BudgetCheck.Bar]) -> BatchProgress.Change {
        var progress = BatchProgress()
        for index in 1..<total { _ = progress.unitChanged("done-\(index)", to: .shipped) }
        var change = progress.unitChanged("running", to: .running)
        change.budget = budget
        return change
    }

    @Test func unitsThatDoNotFitLeaveTheRunningAndTheLatestAndALineForTheRest() {
        var units: [(unit: String, state: BatchUnitState, composite: Double?, changed: Int)] = []
        for index in 0..<100 {
            let name = "u" + String(String(1000 + index).dropFirst())
            units.append((unit: name, state: index == 3 ? .running : .shipped, composite: nil, changed: index))
        }
        let bar = BudgetCheck.Bar(scope: "batch", unit: .tokens, spent: 5, reserved: 0, soft: nil, hard: 10)
        let lines = BatchDisplay.frame(units: units, latest: change(total: 100, budget: [bar]), rows: 10)
        #expect(lines.count == 9, "one row is left for the cursor: \(lines)")
        #expect(lines.filter { $0.contains("u003") } == ["  running         u003"])
        #expect(lines.contains("  shipped         u099") && lines.contains("  shipped         u095"))
        #expect(!lines.contains { $0.contains("u094") })
        #expect(lines[lines.count - 3] == "  … and 94 more unit(s)")
        #expect(lines[lines.count - 2] == "[99/100] queued 0, running 1, done 99")
        #expect(lines.last == "  budget tokens [##########..........] spent 5 tokens; hard 10 tokens")
    }

    @Test func aLineIsCutOneColumnShortOfTheWidth() {
        #expect(
            BatchDisplay.fitted(String(repeating: "x", count: 30), columns: 20) == String(repeating: "x", count: 18)
                + "…"
        )
        #expect(BatchDisplay.fitted("short", columns: 20) == "short")
    }
}
