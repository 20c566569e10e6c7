/// The texts of a dispatched plan, as pure functions of the job's state: a task's brief, its commits, the pull
/// request's plan section, and the phase's squash trailer when it lands despite a failed verification.
public enum PlanTexts {
    /// The trailer that marks a task agent's commit on its task branch (the engine's rerun finds it there).
    public static let taskRunTrailer = "Tollgate-Task-Run"
    /// The trailer of a task's landing on the phase branch (DESIGN §10): `Tollgate-Task: <id>`.
    public static let taskTrailer = "Tollgate-Task"
    /// The trailer of the verify step's commit of `verify/phase-N/rev-M/`, valued with the revision.
    public static let gatesTrailer = "Tollgate-Gates"

    /// The brief of task `task` (`Templates/brief-task.md`): the task, the whole plan, and what its dependencies
    /// left.
    public static func taskBrief(
        _ state: JobState,
        task: PlanRecord.Task,
        plan: PlanRecord,
        outcomePath: String,
        templates: TemplateCatalog
    ) throws(TemplateError) -> String {
        let dependencies =
            task.dependsOn.isEmpty
            ? "Nothing: the task depends on no other task."
            : task.dependsOn.map { id in
                let dependency = plan.task(id)
                let summary = dependency?.summary.map { ": \($0)" } ?? ""
                let commit = dependency?.commit.map { " (landed as \($0.prefix(10)))" } ?? ""
                return "- `\(id)` \(dependency?.title ?? "")\(commit)\(summary)"
            }.joined(separator: "\n")
        let whole = plan.tasks.map { other in
            let after = other.dependsOn.isEmpty ? "" : " (after " + other.dependsOn.joined(separator: ", ") + ")"
            return "- `\(other.id)` \(other.title)\(after)\(other.id == task.id ? " ← this task" : "")"
        }.joined(separator: "\n")
        return try templates.render(
            .briefTask,
            [
                "jobId": state.id, "description": state.description, "expert": state.expert ?? "none",
                "autonomy": state.autonomy.rawValue, "phase": "\(state.phase.number)",
                "phaseType": state.phase.type.rawValue, "revision": "\(state.revision)",
                "branch": plan.branch(of: task.id), "mode": AgentMode.task.rawValue, "phaseBranch": plan.branch,
                "task": task.id, "taskTitle": task.title,
                "taskDetails": task.details.map { $0.isEmpty ? "No details were given." : $0 }
                    ?? "No details were given.",
                "dependencies": dependencies, "plan": whole, "outcomePath": outcomePath,
            ]
        )
    }

    /// The message of the engine's commit of a task agent's work on its task branch.
    public static func taskRunMessage(_ state: JobState, task: String, summary: String?, failed: Bool) -> String {
        let title = failed ? "failed" : summary ?? "done"
        return """
            Task \(task) (\(state.phase.description)): \(title)

            Tollgate-Job: \(state.id)
            Tollgate-Phase: \(state.phase.label)
            \(taskRunTrailer): \(task)

            """
    }

    /// The message of a task's landing on the phase branch: `Task <id>: <summary>` (the landing adds the
    /// `Tollgate-Task` trailer).
    public static func landingMessage(_ state: JobState, task: PlanRecord.Task) -> String {
        """
        Task \(task.id): \(task.summary ?? task.title)

        \(task.title)

        Tollgate-Job: \(state.id)
        Tollgate-Phase: \(state.phase.label)

        """
    }

    /// The message of the verify step's commit (the gates' results and, after a dispatch, the retrospective).
    public static func gatesCommitMessage(_ state: JobState, passed: Bool, gates: Int) -> String {
        let what = gates == 0 ? "no gates" : passed ? "\(gates) gate\(gates == 1 ? "" : "s") passed" : "failed"
        return """
            \(state.phase.description.prefix(1).uppercased() + state.phase.description.dropFirst()), revision \(state.revision): verify, \(what)

            Tollgate-Job: \(state.id)
            Tollgate-Phase: \(state.phase.label)
            Tollgate-Revision: \(state.revision)
            \(gatesTrailer): \(state.revision)

            """
    }

    /// The pull request's section on the plan and the gates (empty when the phase dispatched no plan and ran no
    /// gates): the checklist of tasks, the gates' results, and what failed.
    public static func pullRequestSection(_ state: JobState) -> String {
        var parts: [String] = []
        if let plan = state.currentPlan { parts.append(plan.progress.checklist()) }
        if let verification = state.verification, verification.phase == state.phase,
            verification.revision == state.revision
        {
            let report = verification.report
            if !report.results.isEmpty {
                var lines = ["### Gates (\(report.results.filter(\.passed).count)/\(report.results.count) passed)", ""]
                for result in report.results {
                    lines.append(
                        "- [\(result.passed ? "x" : " ")] `\(result.name)` "
                            + (result.passed ? "passed" : "**\(result.outcome)**")
                            + ", \(GateReport.seconds(result.durationMs))"
                    )
                }
                lines.append("")
                lines.append("The report: `\(report.folder)/report.md`.")
                parts.append(lines.joined(separator: "\n") + "\n")
            }
            if let failures = verification.failures, !failures.isEmpty {
                parts.append(
                    (["### What failed", ""] + failures.map { "- \($0)" }
                        + [
                            "",
                            "Nothing is retried by itself. Request changes to hand these to the agent (one run on this "
                                + "branch, then the gates again), approve to land the phase anyway, or close it.",
                        ]).joined(separator: "\n") + "\n"
                )
            }
        }
        return parts.isEmpty ? "" : "\n" + parts.joined(separator: "\n")
    }

    /// `Tollgate-Verify: failed, approved by <names>` when the current revision's verification failed and the phase
    /// lands all the same; nil otherwise.
    public static func verifyTrailer(_ state: JobState, approvers: [String]) -> String? {
        guard state.verifyFailure != nil else { return nil }
        let who = approvers.isEmpty ? "a merge on the review host" : approvers.joined(separator: ", ")
        return "Tollgate-Verify: failed, approved by \(who)"
    }
}
