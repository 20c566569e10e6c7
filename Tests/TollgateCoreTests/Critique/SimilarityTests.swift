import Testing
import TollgateCore

struct SimilarityTests {
    @Test(arguments: [
        ("a\nb\nc\nd", "a\nb\nc\nd", 1.0),
        ("a\nb\nc\nd", "  a\n\nb  \nc\nd\n", 1.0),  // blank lines and edge spaces do not count
        ("a\nb\nc\nd", "a\nb\nc\nx", 0.75),
        ("a\nb", "c\nd", 0.0),
        ("", "", 1.0),
        ("a\nb\nc", "", 0.0),
        ("a\nb\nc\nd", "d\nc\nb\na", 0.25),  // order matters
    ])
    func ratioIsTwiceTheCommonLinesOverAllLines(a: String, b: String, expected: Double) async {
        #expect(Similarity.ratio(a, b) == expected)
        #expect(Similarity.ratio(b, a) == expected)
    }

    @Test func oneChangedLineInTwentyIsNotAboveTheStopLevel() async {
        let lines = (1...20).map { "line \($0)" }
        var changed = lines
        changed[7] = "edited"
        #expect(Similarity.ratio(lines.joined(separator: "\n"), changed.joined(separator: "\n")) == 0.95)
    }

    @Test func largeTextsFallBackToUnorderedComparison() async {
        let a = (1...3000).map { "l\($0)" }.joined(separator: "\n")
        let b = (1...3000).reversed().map { "l\($0)" }.joined(separator: "\n")
        #expect(Similarity.ratio(a, b) == 1)
    }
}
