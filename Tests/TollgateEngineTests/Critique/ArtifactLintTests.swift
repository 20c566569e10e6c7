import Foundation
import Testing
import TollgateEngine
import TollgateTestSupport

/// The lint the critique applies to the artifact it keeps.
@Suite(.runsProcesses)
struct ArtifactLintTests {
    @Test func findsTODOMarkersAsWholeWordsOnly() async throws {
        let directory = try TemporaryDirectory("lint")
        let text = "# Plan\nTODO: write the steps\nThe TODOS list and MYTODO are fine.\n- item (TODO)\n"
        let findings = ArtifactLint.findings(in: text, path: "plan.md", root: directory.url)
        #expect(findings.map(\.line) == [2, 4])
        #expect(findings.allSatisfy { $0.rule == "todo" && $0.path == "plan.md" })
    }

    @Test func findsPlaceholderText() async throws {
        let directory = try TemporaryDirectory("lint")
        let findings = ArtifactLint.findings(
            in: "Intro\n\nLorem Ipsum dolor sit amet.\n",
            path: "a.md",
            root: directory.url
        )
        #expect(
            findings == [
                ArtifactLint.Finding(rule: "lorem-ipsum", path: "a.md", line: 3, message: findings.first?.message ?? "")
            ]
        )
    }

    @Test func checksRelativeLinksAgainstTheWorkspace() async throws {
        let directory = try TemporaryDirectory("lint")
        try directory.write("docs/guide.md", "guide")
        try directory.write("docs/img/logo.png", "png")
        let text = """
            See [the guide](guide.md#setup), ![logo](img/logo.png "Logo") and [missing](gone.md).
            Also [up](../../README.md), [web](https://example.com/x.md), [mail](mailto:a@b.c), [anchor](#top).
            [ref]: ./nowhere.md
            `[code](not-checked.md)`
            ```
            [fenced](also-not-checked.md)
            ```
            [spaced](<my%20file.md>)
            """
        let findings = ArtifactLint.findings(in: text, path: "docs/plan.md", root: directory.url)
        #expect(findings.map(\.rule) == ["broken-link", "broken-link", "broken-link", "broken-link"])
        #expect(findings.map(\.line) == [1, 2, 3, 8])
        #expect(findings[0].message.contains("gone.md"))
        #expect(findings[1].message.contains("outside the workspace"))
        try directory.write("README.md", "readme")
        #expect(ArtifactLint.findings(in: "[up](../README.md)", path: "docs/plan.md", root: directory.url).isEmpty)
        try directory.write("docs/my file.md", "x")
        #expect(
            ArtifactLint.findings(in: "[spaced](<my%20file.md>)", path: "docs/plan.md", root: directory.url).isEmpty
        )
    }

    @Test func aCleanPlanHasNoFinding() async throws {
        let directory = try TemporaryDirectory("lint")
        try directory.write("todos.yaml", "todos: []\n")
        let text = "# Plan\n\n## Steps\n1. Read [the todos](todos.yaml).\n2. Track todos in a list.\n"
        #expect(ArtifactLint.findings(in: text, path: "plan.md", root: directory.url).isEmpty)
    }
}
