import Testing
import TollgateCore

struct TemplateTests {
    @Test func parsesTextAndPlaceholdersWithSpacesInsideBraces() async throws {
        let template = try Template(parsing: "Job {{jobId}}: {{ description }}.\n{{jobId}}", name: "t.md")
        #expect(
            template.segments == [
                .text("Job "), .placeholder("jobId"), .text(": "), .placeholder("description"), .text(".\n"),
                .placeholder("jobId"),
            ]
        )
        #expect(template.placeholders == ["jobId", "description"])
    }

    @Test func singleBracesAreText() async throws {
        let template = try Template(parsing: "a {b} }} {", name: "t.md")
        #expect(template.segments == [.text("a {b} }} {")])
        #expect(try template.render([:]) == "a {b} }} {")
    }

    @Test func rendersEveryPlaceholderAndNeverParsesValues() async throws {
        let template = try Template(parsing: "{{a}}-{{b}}-{{a}}", name: "t.md")
        #expect(try template.render(["a": "{{b}}", "b": "2", "unused": "x"]) == "{{b}}-2-{{b}}")
    }

    @Test func unclosedPlaceholderNamesTheLine() async {
        #expect(throws: TemplateError.unclosedPlaceholder(template: "t.md", line: 3)) {
            try Template(parsing: "one\n{{a}} two\nthree {{b", name: "t.md")
        }
        #expect(
            TemplateError.unclosedPlaceholder(template: "t.md", line: 3).description
                == #"t.md:3: "{{" is not closed by "}}""#
        )
    }

    @Test(arguments: ["{{}}", "{{ }}", "{{job id}}", "{{1st}}", "{{a-b}}", "{{a {{b}}"])
    func invalidPlaceholderIsAnError(text: String) async {
        #expect(throws: TemplateError.self) {
            try Template(parsing: "x\n" + text, name: "t.md")
        }
        do {
            _ = try Template(parsing: "x\n" + text, name: "t.md")
        } catch {
            guard case .invalidPlaceholder(let template, let line, _) = error else {
                Issue.record("expected invalidPlaceholder, got \(error)")
                return
            }
            #expect(template == "t.md")
            #expect(line == 2)
        }
    }

    @Test func missingValuesAreListed() async throws {
        let template = try Template(parsing: "{{b}} {{a}} {{c}}", name: "pr-body.md")
        #expect(throws: TemplateError.missingValues(template: "pr-body.md", names: ["a", "c"])) {
            try template.render(["b": ""])
        }
        #expect(
            TemplateError.missingValues(template: "pr-body.md", names: ["a", "c"]).description
                == "pr-body.md: no value for {{a}}, {{c}}"
        )
    }
}
