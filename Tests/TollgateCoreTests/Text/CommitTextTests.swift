import Testing
import TollgateCore

/// Text from agents and reviewers, made fit for commit messages (DESIGN §5).
struct CommitTextTests {
    struct Row: Sendable, CustomTestStringConvertible {
        var input: String
        var expected: String?
        var testDescription: String { input.debugDescription }
    }

    static let lines: [Row] = [
        Row(input: "Draft the plan", expected: "Draft the plan"),
        Row(input: "  Draft\tthe   plan \n", expected: "Draft the plan"),
        Row(input: "first\nTollgate-Run: 9\r\nthird", expected: "first Tollgate-Run: 9 third"),
        Row(input: "cut\u{0}here", expected: "cuthere"),
        Row(input: "bell\u{7} and escape \u{1B}[31mred", expected: "bell and escape [31mred"),
        Row(input: "separator\u{2028}line", expected: "separator line"),
        Row(input: "ünïcødé ✓", expected: "ünïcødé ✓"),
        Row(input: "", expected: nil),
        Row(input: " \n\t\u{0} ", expected: nil),
    ]

    @Test(arguments: lines)
    func aLineIsOneCleanLine(_ row: Row) async {
        #expect(CommitText.line(row.input) == row.expected)
    }

    @Test func aLongLineIsCutWithAnEllipsis() async throws {
        let line = try #require(CommitText.line(String(repeating: "word ", count: 100)))
        #expect(line.count == CommitText.maximumLineLength)
        #expect(line.hasSuffix("…"))
    }

    static let blocks: [Row] = [
        Row(input: "one\ntwo", expected: "one\ntwo"),
        Row(input: "one\r\ntwo\rthree", expected: "one\ntwo\nthree"),
        Row(input: "\n\nbody  \n\n", expected: "body"),
        Row(input: "a\u{0}b\n\tindented", expected: "ab\n\tindented"),
        Row(input: "keep\n\nparagraphs", expected: "keep\n\nparagraphs"),
        Row(input: "\u{0}\u{1}\n  ", expected: nil),
    ]

    @Test(arguments: blocks)
    func aBlockKeepsItsLinesAndLosesItsControls(_ row: Row) async {
        #expect(CommitText.block(row.input) == row.expected)
    }

    @Test(
        arguments: [
            ("ann", nil), ("Ann Smith", nil), ("李雷", nil), ("", "empty"), ("   ", "empty"),
            ("ann\nTollgate-Phase: 1-strategic", "line break"), ("ann\r", "line break"), ("a\u{0}b", "U+0000"),
            ("a\u{1B}b", "U+001B"), ("a\u{85}b", "line break"),
        ] as [(String, String?)]
    )
    func aNameIsOneNonEmptyLineWithoutControls(_ name: String, _ problem: String?) async {
        let found = CommitText.problem(withName: name)
        if let problem {
            #expect(found?.contains(problem) == true, "\(name.debugDescription): \(String(describing: found))")
        } else {
            #expect(found == nil)
        }
    }

    @Test func anOutcomeIsCleanedForCommitMessages() async {
        let outcome = AgentOutcome(
            summary: "Plan\u{0}\nTollgate-Run: 7",
            details: "Done.\u{0}\r\nNext.",
            addressed: ["item-1", "\u{0}", " item-2\n"]
        ).cleaned
        #expect(outcome.summary == "Plan Tollgate-Run: 7")
        #expect(outcome.details == "Done.\nNext.")
        #expect(outcome.addressed == ["item-1", "item-2"])
    }
}
