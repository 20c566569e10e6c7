import Foundation
import Testing
import TollgateCore

struct TemplateCatalogTests {
    /// Sample values for every placeholder any template may use, each distinct so a test can find it.
    static let samples: [String: String] = [
        "jobId": "job-7f3a", "description": "Write a CSV to JSON converter", "expert": "coder",
        "autonomy": "partial", "autonomyRule": "stops for review after the first plan",
        "reviewHost": "local", "phase": "3", "phaseType": "strategic", "revision": "2",
        "branch": "phase-3-strategic", "mode": "work", "freezeNote": "this phase merges at once",
        "feedback": "- `plan.md:4` (alice): split this step", "outcomePath": "/tmp/outcome-3.json",
        "previous": "- phase 1 (strategic): planned the converter", "summary": "Planned the second half",
        "filesChanged": "- `plan.md`", "lookAt": "`plan.md`, the risks section", "score": "8.4",
        "freezeReason": "autonomy guided: every plan is reviewed",
        "resumeHint": "Then run `tollgate resume`.", "details": "Details of the phase.",
        "trailers": "Tollgate-Job: job-7f3a\nTollgate-Phase: 3-strategic",
        "phaseBranch": "phase-4-tactical", "task": "lexer", "taskTitle": "Split the lexer out",
        "taskDetails": "Keep the public API.", "dependencies": "- `tokens` Name the tokens",
        "plan": "\n### Plan (1/2 landed)\n",
    ]

    private static func realTexts() throws -> [TemplateName: String] {
        var texts: [TemplateName: String] = [:]
        for name in TemplateName.allCases {
            texts[name] = try RepositoryFiles.text("Templates/" + name.fileName)
        }
        return texts
    }

    @Test func everySampleBelongsToSomeTemplate() async {
        let allowed = Set(TemplateName.allCases.flatMap(\.allowedPlaceholders))
        #expect(Set(Self.samples.keys) == allowed)
    }

    @Test(arguments: TemplateName.allCases)
    func realTemplateLoadsAndRenders(name: TemplateName) async throws {
        let text = try RepositoryFiles.text("Templates/" + name.fileName)
        let template = try TemplateCatalog.load(name, text: text)
        #expect(!template.placeholders.isEmpty)
        let values = Dictionary(
            uniqueKeysWithValues: name.allowedPlaceholders.compactMap { key in
                Self.samples[key].map { (key, $0) }
            }
        )
        let rendered = try template.render(values)
        #expect(!rendered.contains("{{"), "\(name.fileName) left a placeholder unrendered")
        for placeholder in template.placeholders {
            #expect(rendered.contains(values[placeholder] ?? "\u{0}"), "\(name.fileName) dropped {{\(placeholder)}}")
        }
    }

    @Test func catalogOfTheRealTemplatesRenders() async throws {
        let catalog = try TemplateCatalog(texts: try Self.realTexts())
        let message = try catalog.render(.squashMessage, Self.samples)
        #expect(message.split(separator: "\n").first == "Phase 3 (strategic): Planned the second half")
        #expect(message.hasSuffix("Tollgate-Phase: 3-strategic\n"))
        let retrospective = try catalog.render(.retrospective, Self.samples)
        #expect(retrospective.hasPrefix("# Phase 3 (strategic): Planned the second half\n"))
    }

    /// The briefs state the agent contract: every environment variable, the outcome path and its fields.
    @Test(arguments: [TemplateName.briefStrategic, .briefTactical, .briefFeedback])
    func briefStatesTheAgentContract(name: TemplateName) async throws {
        let catalog = try TemplateCatalog(texts: try Self.realTexts())
        let brief = try catalog.render(name, Self.samples)
        let variables = [
            "TOLLGATE_JOB", "TOLLGATE_PHASE", "TOLLGATE_PHASE_TYPE", "TOLLGATE_MODE", "TOLLGATE_REVISION",
            "TOLLGATE_AUTONOMY", "TOLLGATE_BRANCH", "TOLLGATE_BRIEF", "TOLLGATE_OUTCOME",
        ]
        for variable in variables + (name == .briefFeedback ? ["TOLLGATE_FEEDBACK"] : []) {
            #expect(brief.contains(variable), "\(name.fileName) does not mention \(variable)")
        }
        for field in ["\"summary\"", "\"details\"", "\"jobComplete\"", "\"usage\"", "/tmp/outcome-3.json"] {
            #expect(brief.contains(field), "\(name.fileName) does not mention \(field)")
        }
        #expect(brief.contains("- `plan.md:4` (alice): split this step"))
    }

    @Test func strategicBriefAsksForPlanAndTodosAndTacticalForTheirOutputs() async throws {
        let catalog = try TemplateCatalog(texts: try Self.realTexts())
        let strategic = try catalog.render(.briefStrategic, Self.samples)
        #expect(strategic.contains("`plan.md`") && strategic.contains("`todos.yaml`"))
        let tactical = try catalog.render(.briefTactical, Self.samples)
        #expect(tactical.contains("todos.yaml") && tactical.contains("done: true"))
    }

    @Test func unknownPlaceholderNamesTemplateNameAndAllowedOnes() async {
        let error = TemplateError.unknownPlaceholder(
            template: "workspace.md",
            name: "jobID",
            allowed: TemplateName.workspace.allowedPlaceholders,
            suggestion: "jobId"
        )
        #expect(throws: error) {
            try TemplateCatalog.load(.workspace, text: "# {{jobID}}")
        }
        #expect(
            error.description
                == "workspace.md: unknown placeholder {{jobID}} (did you mean {{jobId}}?); allowed: jobId, description, expert, autonomy, autonomyRule, reviewHost"
        )
    }

    @Test func placeholderAllowedInOneTemplateIsUnknownInAnother() async throws {
        #expect(throws: TemplateError.self) {
            try TemplateCatalog.load(.squashMessage, text: "{{jobId}}")
        }
        #expect(try TemplateCatalog.load(.retrospective, text: "{{jobId}}").placeholders == ["jobId"])
    }

    @Test func catalogNeedsEveryTemplate() async throws {
        var texts = try Self.realTexts()
        texts[.prBody] = nil
        #expect(throws: TemplateError.missingTemplate("pr-body.md")) {
            try TemplateCatalog(texts: texts)
        }
    }

    @Test func briefIsChosenByPhaseTypeAndMode() async {
        #expect(TemplateName.brief(phaseType: "strategic", mode: "work") == .briefStrategic)
        #expect(TemplateName.brief(phaseType: "tactical", mode: "work") == .briefTactical)
        #expect(TemplateName.brief(phaseType: "tactical", mode: "feedback") == .briefFeedback)
        #expect(TemplateName.brief(phaseType: "strategic", mode: "feedback") == .briefFeedback)
        #expect(TemplateName.brief(phaseType: "other", mode: "work") == nil)
    }

    // MARK: - docs/configuration.md

    static let begin = "<!-- templates:begin (generated by TemplateCatalogTests; RECORD_GOLDENS=1 to update) -->"
    static let end = "<!-- templates:end -->"

    static func placeholderTable() -> String {
        var lines = ["| template | placeholders |", "|---|---|"]
        for name in TemplateName.allCases {
            lines.append(
                "| `\(name.fileName)` | " + name.allowedPlaceholders.map { "`{{\($0)}}`" }.joined(separator: " ") + " |"
            )
        }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test func documentationListsEveryTemplatesPlaceholders() async throws {
        let path = "docs/configuration.md"
        let text = try RepositoryFiles.text(path)
        let expected = Self.placeholderTable()
        let current = RepositoryFiles.section(of: text, between: Self.begin, and: Self.end)
        if ProcessInfo.processInfo.environment["RECORD_GOLDENS"] != nil, let current {
            let updated = text.replacingOccurrences(of: Self.begin + "\n" + current, with: Self.begin + "\n" + expected)
            try updated.write(
                to: RepositoryFiles.root().appendingPathComponent(path),
                atomically: true,
                encoding: .utf8
            )
            Issue.record("Recorded the template table of \(path); re-run without RECORD_GOLDENS")
            return
        }
        #expect(current == expected, "the template table of \(path) is out of date; run with RECORD_GOLDENS=1")
    }
}
