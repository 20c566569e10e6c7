import Foundation
import TollgateCore

/// `tollgate example-agent`: the built-in agent.
///
/// Deterministic: the same phase, mode and feedback give the same files and outcome, so the demo and the tests can
/// compare results byte for byte.
enum ExampleAgent {
    /// The phase from which the agent reports the job complete.
    static let completingPhase = 3

    static func run(environment: [String: String], output: Output) throws -> ExitCode {
        if environment["TOLLGATE_MODE"] == "revise", let unit = environment["TOLLGATE_UNIT"] {
            return try reviseUnit(unit, environment: environment, output: output)
        }
        guard let outcomePath = environment["TOLLGATE_OUTCOME"], let phaseText = environment["TOLLGATE_PHASE"],
            let phase = Int(phaseText), let type = environment["TOLLGATE_PHASE_TYPE"].flatMap(PhaseType.init)
        else {
            output.err(
                "tollgate example-agent: run me through a job (--agent \"tollgate example-agent\"): "
                    + "TOLLGATE_OUTCOME, TOLLGATE_PHASE and TOLLGATE_PHASE_TYPE must be set"
            )
            return .usage
        }
        let root = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        let job = environment["TOLLGATE_JOB"] ?? "job"
        let revision = Int(environment["TOLLGATE_REVISION"] ?? "1") ?? 1
        var files = Files(root: root)
        var outcome: AgentOutcome
        if environment["TOLLGATE_MODE"] == AgentMode.task.rawValue, let task = environment["TOLLGATE_TASK"] {
            outcome = try carryOut(
                task: task,
                title: environment["TOLLGATE_TASK_TITLE"] ?? task,
                phase: phase,
                files: &files
            )
        } else if environment["TOLLGATE_MODE"] != "work", let feedbackPath = environment["TOLLGATE_FEEDBACK"] {
            let items = try JSONDecoder().decode(
                [FeedbackItem].self,
                from: Data(contentsOf: URL(fileURLWithPath: feedbackPath))
            )
            if !files.exists(type == .strategic ? "plan.md" : "outputs") {
                _ = try work(phase: phase, type: type, job: job, files: &files)
            }
            outcome = try answer(items, phase: phase, revision: revision, files: &files)
            outcome.jobComplete = phase >= completingPhase && type == .strategic
        } else {
            outcome = try work(phase: phase, type: type, job: job, files: &files)
        }
        outcome.usage = AgentOutcome.Usage(
            inputTokens: files.bytesRead / 4,
            outputTokens: files.bytesWritten / 4,
            costUSD: 0
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(outcome).write(to: URL(fileURLWithPath: outcomePath))
        output.out("example-agent: \(outcome.summary ?? "")")
        return .success
    }

    // MARK: - Work

    /// The plan every strategic phase starts from: goals and steps.
    static func plan(for job: String) -> String {
        """
        # Plan for \(job)

        ## Goals
        - Deliver the outputs the job asks for, checked against this plan.

        ## Steps
        1. Gather the material the job needs.
        2. Draft one output per todo.
        3. Check the outputs against the goals.

        """
    }

    static func work(phase: Int, type: PhaseType, job: String, files: inout Files) throws -> AgentOutcome {
        switch type {
        case .strategic where phase >= completingPhase:
            let done = try files.read("todos.yaml").map(todoIDs) ?? []
            try files.write(
                "plan.md",
                plan(for: job)
                    + """

                    ## Status
                    All steps are done: \(done.count) output(s) in `outputs/`. Nothing is left to plan.

                    """
            )
            try files.write("todos.yaml", "# No todos left: the job is complete.\ntodos: []\n")
            return AgentOutcome(
                summary: "Close the job: every step of the plan is done",
                details: "Reviewed the outputs of \(done.count) todo(s) against the goals; all are covered.",
                jobComplete: true
            )
        case .strategic:
            try files.write("plan.md", plan(for: job))
            try files.write(
                "todos.yaml",
                """
                # Todos for phase \(phase + 1) (tactical): a diamond. `outline` and `examples` both build on
                # `gather` and may run at once; `draft` waits for both.
                todos:
                  - id: gather
                    title: Gather the material the job needs
                    priority: 1
                  - id: outline
                    title: Outline the output from the material
                    dependsOn: [gather]
                  - id: examples
                    title: Collect examples for the output
                    dependsOn: [gather]
                  - id: draft
                    title: Draft the output from the outline and the examples
                    details: |
                      Join `outputs/outline.md` and `outputs/examples.md` into `outputs/draft.md`.
                    dependsOn: [outline, examples]

                """
            )
            return AgentOutcome(
                summary: "Plan the work in four todos",
                details: "Wrote `plan.md` (goals and steps) and `todos.yaml` with 4 todos for the next phase: "
                    + "`gather`; `outline` and `examples` after it; `draft` after both.",
                jobComplete: false
            )
        case .tactical:
            let ids = try files.read("todos.yaml").map(todoIDs) ?? []
            for id in ids {
                try files.write(
                    "outputs/\(id).md",
                    "# \(id)\n\nDone in phase \(phase): the todo `\(id)` is carried out.\n"
                )
            }
            return AgentOutcome(
                summary: "Carry out \(ids.count) todo(s)",
                details: "Wrote \(ids.map { "`outputs/\($0).md`" }.joined(separator: ", ")).",
                jobComplete: false
            )
        }
    }

    /// One task of a dispatched plan (`TOLLGATE_MODE=task`): its own output only, in its own worktree, built on the
    /// outputs of the tasks it depends on (already landed, so in the worktree).
    static func carryOut(task: String, title: String, phase: Int, files: inout Files) throws -> AgentOutcome {
        var text =
            "# \(task)\n\n\(title).\n\nDone in phase \(phase) as its own task: the todo `\(task)` is carried out.\n"
        var used: [String] = []
        for other in ["gather", "outline", "examples"] where other != task {
            guard let earlier = try files.read("outputs/\(other).md") else { continue }
            used.append("`outputs/\(other).md`")
            text += "\n## From \(other)\n\n" + earlier.split(separator: "\n").dropFirst().prefix(1).joined() + "\n"
        }
        try files.write("outputs/\(task).md", text)
        return AgentOutcome(
            summary: "Carry out \(task)",
            details: "Wrote `outputs/\(task).md`"
                + (used.isEmpty ? "." : " from " + used.joined(separator: ", ") + "."),
            jobComplete: false
        )
    }

    /// Answers every item: an inline comment gets a note right under its line; every item is listed in
    /// `review-responses.md`; a strategic plan gains a Risks section.
    static func answer(_ items: [FeedbackItem], phase: Int, revision: Int, files: inout Files) throws -> AgentOutcome {
        let inline = items.filter { $0.path != nil && $0.line != nil }
        for (path, comments) in Dictionary(grouping: inline, by: { $0.path ?? "" }).sorted(by: { $0.key < $1.key }) {
            guard var lines = try files.read(path)?.components(separatedBy: "\n") else { continue }
            for item in comments.sorted(by: { ($0.line ?? 0, $0.id) > ($1.line ?? 0, $1.id) }) {
                let at = min(max(item.line ?? 1, 1), lines.count)
                lines.insert("> Addressed [\(item.id)]: \(item.body)", at: at)
            }
            try files.write(path, lines.joined(separator: "\n"))
        }
        if let plan = try files.read("plan.md"), !plan.contains("## Risks") {
            try files.write(
                "plan.md",
                plan
                    + "## Risks\n- A reviewer's point is missed: every review item is answered in review-responses.md.\n"
            )
        }
        var responses = try files.read("review-responses.md") ?? "# Responses to review\n"
        responses += "\n## Phase \(phase), revision \(revision)\n"
        for item in items {
            let place = item.path.map { path in " (`\(path)`" + (item.line.map { " line \($0)" } ?? "") + ")" } ?? ""
            responses += "- [\(item.id)] \(item.reviewer)\(place): \(item.body) → addressed.\n"
        }
        try files.write("review-responses.md", responses)
        return AgentOutcome(
            summary: "Address \(items.count) review item(s)",
            details: "Answered every review item in `review-responses.md`; inline comments are answered in place.",
            addressed: items.map(\.id)
        )
    }

    // MARK: - A batch's reviser

    /// Revises one unit of a batch (`tollgate batch --revise "tollgate example-agent"`): answers each must-fix item in
    /// `$TOLLGATE_WORKSPACE/$TOLLGATE_UNIT`, in place: a text without a `## Risks` section gains one, naming the
    /// risk the item asked about; every item is noted under `## Review notes`.
    static func reviseUnit(_ unit: String, environment: [String: String], output: Output) throws -> ExitCode {
        guard let workspace = environment["TOLLGATE_WORKSPACE"], let outcomePath = environment["TOLLGATE_OUTCOME"],
            let feedbackPath = environment["TOLLGATE_FEEDBACK"]
        else {
            output.err(
                "tollgate example-agent: as a batch's reviser (--revise \"tollgate example-agent\") it needs "
                    + "TOLLGATE_WORKSPACE, TOLLGATE_OUTCOME and TOLLGATE_FEEDBACK, which tollgate batch sets"
            )
            return .usage
        }
        var files = Files(root: URL(fileURLWithPath: workspace))
        guard var text = try files.read(unit) else {
            output.err("tollgate example-agent: the unit \(unit) is not in \(workspace)")
            return .failure
        }
        let items = try JSONDecoder().decode(
            [FeedbackItem].self,
            from: Data(contentsOf: URL(fileURLWithPath: feedbackPath))
        )
        if !text.hasSuffix("\n") { text += "\n" }
        if !text.contains("## Risks") {
            text += "\n## Risks\n- Something goes wrong unseen: each step is checked before the next one starts.\n"
        }
        let notes = items.filter { !text.contains("[\($0.id)]") }
        if !notes.isEmpty {
            if !text.contains("## Review notes") { text += "\n## Review notes\n" }
            text += notes.map { "- [\($0.id)] \($0.body) → addressed.\n" }.joined()
        }
        try files.write(unit, text)
        var outcome = AgentOutcome(
            summary: "Revise \(unit): \(items.count) item(s) addressed",
            addressed: items.map(\.id)
        )
        outcome.usage = AgentOutcome.Usage(
            inputTokens: files.bytesRead / 4,
            outputTokens: files.bytesWritten / 4,
            costUSD: 0
        )
        try JSONEncoder().encode(outcome).write(to: URL(fileURLWithPath: outcomePath))
        output.out("example-agent: \(outcome.summary ?? "")")
        return .success
    }

    static func todoIDs(_ yaml: String) -> [String] {
        yaml.components(separatedBy: "\n").compactMap { line in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("- id:") else { return nil }
            return trimmed.dropFirst(5).trimmingCharacters(in: .whitespaces)
        }
    }

    /// The agent's file access, counting bytes for its usage report.
    struct Files {
        let root: URL
        var bytesRead = 0
        var bytesWritten = 0

        init(root: URL) { self.root = root }

        func exists(_ path: String) -> Bool {
            FileManager.default.fileExists(atPath: root.appendingPathComponent(path).path)
        }

        mutating func read(_ path: String) throws -> String? {
            let url = root.appendingPathComponent(path)
            guard FileManager.default.fileExists(atPath: url.path) else { return nil }
            let text = try String(contentsOf: url, encoding: .utf8)
            bytesRead += text.utf8.count
            return text
        }

        mutating func write(_ path: String, _ text: String) throws {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(),
                withIntermediateDirectories: true
            )
            try Data(text.utf8).write(to: url)
            bytesWritten += text.utf8.count
        }
    }
}
