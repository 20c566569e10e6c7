import Foundation
import Testing
import TollgateCore
import TollgateEngine
import TollgateTestSupport

/// The line a must-fix item names, which is where its inline comment goes on the pull request.
@Suite(.runsProcesses)
struct CritiqueFindingsTests {
    @Test(
        arguments: [
            ("plan.md line 12: say who reads it", 12),
            ("Lines 3–5 repeat the goal", 3),
            ("L7 is vague", 7),
            ("see plan.md:4", 4),
            ("Add a risks section.", nil),
            ("line 0 is no line", nil),
        ] as [(String, Int?)]
    )
    func theLineAnItemNames(text: String, line: Int?) async {
        #expect(CritiqueFindings.Item(path: "plan.md", role: "critic", text: text).line == line)
    }

    @Test func aLineGivenWinsOverTheText() async {
        #expect(CritiqueFindings.Item(path: "plan.md", role: "lint", text: "line 9", line: 2).line == 2)
    }

    @Test func noResultMeansNoFindings() async throws {
        let root = TemporaryDirectory.root.appendingPathComponent("findings-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let phase = PhaseRef(number: 1, type: .strategic)
        #expect(CritiqueFindings.read(root: root, phase: phase, revision: 1) == nil)
        let folder = root.appendingPathComponent("critique/phase-1/rev-1")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let result = """
            {"artifacts": [{"path": "plan.md", "mustFix": [{"path": "plan.md", "role": "critic", "text": "Fix", "line": 3}],
              "lint": [{"rule": "todo", "path": "plan.md", "line": 5, "message": "A TODO is left."}]}]}
            """
        try Data(result.utf8).write(to: folder.appendingPathComponent("result.json"))
        let findings = try #require(CritiqueFindings.read(root: root, phase: phase, revision: 1))
        #expect(findings.items.map(\.line) == [3, 5])
        #expect(findings.items.map(\.role) == ["critic", "lint"])
        #expect(findings.summary(phase: phase, revision: 1).contains("2 must-fix item(s) on `plan.md`"))

        // Against the artifact: plan.md has 4 lines, so line 5 is no line of it and the item goes on the first.
        try Data("# Plan\n\ntwo\nthree\n".utf8).write(to: root.appendingPathComponent("plan.md"))
        #expect(findings.anchored(in: root).items.map(\.line) == [3, nil])
    }
}
