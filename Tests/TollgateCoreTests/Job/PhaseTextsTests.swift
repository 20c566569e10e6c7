import Foundation
import Testing
import TollgateCore

/// The texts of a phase, as tables: state in, text out.
struct PhaseTextsTests {
    static func templates() throws -> TemplateCatalog {
        var texts: [TemplateName: String] = [:]
        for name in TemplateName.allCases { texts[name] = try RepositoryFiles.text("Templates/" + name.fileName) }
        return try TemplateCatalog(texts: texts)
    }

    static func state(
        phase: PhaseRef = .first,
        revision: Int = 1,
        summary: String? = nil,
        coauthors: [String] = []
    ) -> JobState {
        var state = JobState(
            id: "job",
            description: "A job",
            expert: nil,
            autonomy: .guided,
            reviewHost: .local,
            maxPhases: 10
        )
        state.phase = phase
        state.revision = revision
        state.phaseSummary = summary
        state.coauthors = coauthors
        return state
    }

    struct TitleRow: Sendable, CustomStringConvertible {
        var phase: PhaseRef
        var summary: String?
        var title: String
        var description: String { title }
    }

    static let titles: [TitleRow] = [
        TitleRow(phase: .first, summary: "Plan the report", title: "Phase 1 (strategic): Plan the report"),
        TitleRow(
            phase: PhaseRef(number: 2, type: .tactical),
            summary: nil,
            title: "Phase 2 (tactical): phase 2 (tactical) work"
        ),
    ]

    @Test(arguments: titles)
    func theSquashTitleNamesThePhaseAndItsSummary(_ row: TitleRow) async {
        #expect(PhaseTexts.squashTitle(Self.state(phase: row.phase, summary: row.summary)) == row.title)
    }

    @Test func theSquashMessageEndsWithThePhasesTrailersApproversThenCoauthors() async throws {
        let state = Self.state(revision: 2, summary: "Plan", coauthors: ["Bob <bob@example.com>"])
        let message = try PhaseTexts.squashMessage(state, approvers: ["ann"], templates: try Self.templates())
        let lines = message.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first == "Phase 1 (strategic): Plan")
        #expect(
            Array(lines.drop { !$0.hasPrefix("Tollgate-Job:") }.filter { !$0.isEmpty }) == [
                "Tollgate-Job: job", "Tollgate-Phase: 1-strategic", "Tollgate-Revision: 2", "Reviewed-by: ann",
                "Co-authored-by: Bob <bob@example.com>",
            ]
        )
    }

    @Test func aRunCommitCarriesTheRunTrailer() async {
        let message = PhaseTexts.runCommitMessage(Self.state(revision: 3), run: 7, summary: "agent run 7 failed")
        #expect(
            message == """
                Phase 1 (strategic), revision 3: agent run 7 failed

                Tollgate-Job: job
                Tollgate-Phase: 1-strategic
                Tollgate-Revision: 3
                Tollgate-Run: 7

                """
        )
        #expect(
            PhaseTexts.critiqueCommitMessage(Self.state(), run: 2, status: "shipped", line: "8.1/10").contains(
                "Tollgate-Critique: 2"
            )
        )
    }

    struct BodyRow: Sendable, CustomStringConvertible {
        var phase: PhaseRef
        var changed: [String]
        var contains: [String]
        var description: String { "\(phase) \(changed)" }
    }

    static let bodies: [BodyRow] = [
        BodyRow(phase: .first, changed: [], contains: ["- (no file changed)", "`plan.md` and `todos.yaml`", "HINT"]),
        BodyRow(
            phase: PhaseRef(number: 2, type: .tactical),
            changed: ["out/report.md"],
            contains: ["- `out/report.md`", "the outputs of the todos", "no critique ran for this phase"]
        ),
    ]

    @Test(arguments: bodies)
    func thePullRequestBodyListsTheFilesAndWhatToLookAt(_ row: BodyRow) async throws {
        let body = try PhaseTexts.pullRequestBody(
            Self.state(phase: row.phase),
            changedPaths: row.changed,
            resumeHint: "HINT",
            templates: try Self.templates()
        )
        for text in row.contains { #expect(body.contains(text), "\(text) is missing") }
    }

    @Test func theBriefTellsTheAgentWhereItsOutcomeGoesAndWhatFeedbackItHas() async throws {
        let item = FeedbackItem(id: "review-1", kind: .review, reviewer: "ann", body: "Name the risks")
        let work = try PhaseTexts.brief(
            Self.state(),
            mode: .work,
            items: [],
            outcomePath: "/o.json",
            templates: try Self.templates()
        )
        let feedback = try PhaseTexts.brief(
            Self.state(),
            mode: .feedback,
            items: [item],
            outcomePath: "/o.json",
            templates: try Self.templates()
        )
        #expect(work.contains("/o.json") && feedback.contains("/o.json"))
        #expect(!work.contains("Name the risks") && feedback.contains("Name the risks"))
        #expect(work != feedback)
    }

    /// A brief lists the latest merged phases and counts the rest in one line, so it does not grow with the job.
    @Test(arguments: [0, 1, 10, 11, 300])
    func theBriefListsTheLatestMergedPhasesAndCountsTheEarlierOnes(_ merged: Int) async throws {
        var state = Self.state()
        state.merged = (0..<merged).map { number in
            MergedPhase(
                phase: PhaseRef(number: number + 1, type: number % 2 == 0 ? .strategic : .tactical),
                commit: String(format: "%040x", number + 1),
                approvers: []
            )
        }
        let brief = try PhaseTexts.brief(
            state,
            mode: .work,
            items: [],
            outcomePath: "/o.json",
            templates: try Self.templates()
        )
        let listed = brief.split(separator: "\n").filter { $0.hasPrefix("- phase ") && $0.contains("merged as") }
        #expect(listed.count == min(merged, PhaseTexts.previousInBrief))
        if merged > 0 { #expect(listed.last?.hasPrefix("- phase \(merged) ") == true) }
        let earlier = merged - PhaseTexts.previousInBrief
        #expect(brief.contains("- \(earlier) earlier phase") == (earlier > 0))
        #expect(brief.contains("none yet") == (merged == 0))
    }
}
