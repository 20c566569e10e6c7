import Testing
import TollgateEngine
import TollgateTestSupport

/// `TOLLGATE_FAULT` names a point and, after `@`, the hit at which the process ends.
@Suite(.runsProcesses)
struct FaultPointTests {
    struct Row: Sendable, CustomStringConvertible {
        var text: String
        var expected: FaultPoint.Spec?
        var description: String { text }
    }

    static let rows: [Row] = [
        Row(text: "after-finish", expected: spec(.afterFinish, 1)),
        Row(text: "after-finish@1", expected: spec(.afterFinish, 1)),
        Row(text: "after-push@3", expected: spec(.afterPush, 3)),
        Row(text: "after-finish@0", expected: nil),
        Row(text: "after-finish@", expected: nil),
        Row(text: "after-finish@two", expected: nil),
        Row(text: "after-nothing", expected: nil),
        Row(text: "", expected: nil),
    ]

    static func spec(_ point: FaultPoint, _ hit: Int) -> FaultPoint.Spec? {
        guard var spec = FaultPoint.Spec(point.rawValue) else { return nil }
        spec.hit = hit
        return spec
    }

    @Test(arguments: rows)
    func theSpecIsReadFromTheVariable(_ row: Row) async {
        #expect(FaultPoint.Spec(row.text) == row.expected)
    }

    @Test func everyPointHasADistinctName() async {
        let names = FaultPoint.allCases.map(\.rawValue)
        #expect(Set(names).count == names.count)
        #expect(names.allSatisfy { !$0.contains("@") })
    }
}
