import Foundation
import Synchronization
import Testing
import TollgateCore
import TollgateTestSupport

@testable import TollgateCLI

/// The block a batch redraws on a terminal: what it keeps when the units do not fit, and how wide it gets.
@Suite(.runsProcesses)
struct BatchDisplayTests {
    /// The change after `total` units of which one runs and the rest shipped.
    func change(total: Int, budget: [BudgetCheck.Bar]) -> BatchProgress.Change {
        var progress = BatchProgress()
        for index in 1..<total { _ = progress.unitChanged("done-\(index)", to: .shipped) }
        var change = progress.unitChanged("running", to: .running)
        change.budget = budget
        return change
    }

    @Test func unitsThatDoNotFitLeaveTheRunningAndTheLatestAndALineForTheRest() async {
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

    @Test func aLineIsCutOneColumnShortOfTheWidth() async {
        #expect(
            BatchDisplay.fitted(String(repeating: "x", count: 30), columns: 20) == String(repeating: "x", count: 18)
                + "…"
        )
        #expect(BatchDisplay.fitted("short", columns: 20) == "short")
    }

    /// What a display wrote, and the terminal size it is told, changed by the test as a resize would.
    final class FakeTerminal: Sendable {
        let written = Mutex<[String]>([])
        let size = Mutex((columns: 80, rows: 24))

        func display() -> BatchDisplay {
            BatchDisplay(
                output: Output(out: { _ in }, err: { _ in }),
                style: .terminal,
                write: { text in self.written.withLock { $0.append(text) } },
                size: { self.size.withLock { $0 } }
            )
        }

        var last: String { written.withLock { $0.last ?? "" } }
    }

    @Test func aBlockDrawnWideIsErasedByTheRowsItWrapsToOnceTheTerminalIsNarrower() async throws {
        let terminal = FakeTerminal()
        let display = terminal.display()
        var progress = BatchProgress()
        let names = ["chapters/one-with-a-long-name.md", "chapters/two-with-a-long-name.md"]
        for name in names { display.show(progress.unitChanged(name, to: .queued)) }
        display.show(progress.unitChanged(names[0], to: .running))
        // At 80 columns each of the three lines takes a row: back two rows to the block's top.
        display.show(progress.unitChanged(names[0], to: .shipped, composite: 9))
        #expect(terminal.last.hasPrefix("\r\u{1B}[2A\u{1B}[J"), "\(terminal.last.debugDescription)")
        let wide = terminal.last.dropFirst("\r\u{1B}[2A\u{1B}[J".count).split(separator: "\n").map(\.count)
        #expect(wide == [66, 50, 33], "\(terminal.last.debugDescription)")

        // Made 20 columns wide, the terminal wraps those lines onto 4 + 3 + 2 rows: back eight rows, not two.
        terminal.size.withLock { $0 = (columns: 20, rows: 24) }
        display.show(progress.unitChanged(names[1], to: .running))
        #expect(terminal.last.hasPrefix("\r\u{1B}[8A\u{1B}[J"), "\(terminal.last.debugDescription)")
        let narrow = terminal.last.dropFirst("\r\u{1B}[8A\u{1B}[J".count).split(separator: "\n")
        #expect(narrow.allSatisfy { $0.count <= 19 }, "every line fits the new width: \(narrow)")

        // Drawn for 20 columns, the next redraw goes back one row a line again; widened, still one a line.
        display.show(progress.unitChanged(names[1], to: .shipped, composite: 9))
        #expect(terminal.last.hasPrefix("\r\u{1B}[2A\u{1B}[J"), "\(terminal.last.debugDescription)")
        terminal.size.withLock { $0 = (columns: 200, rows: 24) }
        display.warn("a warning")
        #expect(terminal.written.withLock { $0.contains("\r\u{1B}[2A\u{1B}[J") }, "the clear before a warning")
    }
}
