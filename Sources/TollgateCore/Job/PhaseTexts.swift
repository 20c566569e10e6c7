import Foundation

/// The texts a phase produces, as pure functions of the job's state: the agent's brief, the retrospective, the
/// commit messages of a run and of a critique, the squash title and message, and the pull request's body.
public enum PhaseTexts {
    /// `Phase N (type): summary`, the squash commit's title and the review's.
    public static func squashTitle(_ state: JobState) -> String {
        "Phase \(state.phase.number) (\(state.phase.type.rawValue)): \(summary(state))"
    }

    /// The squash commit's message: the template with the phase's trailers (DESIGN §4), normalized.
    public static func squashMessage(_ state: JobState, approvers: [String], templates: TemplateCatalog)
        throws(TemplateError) -> String
    {
        var trailers = [
            "Tollgate-Job: \(state.id)",
            "Tollgate-Phase: \(state.phase.label)",
            "Tollgate-Revision: \(state.revision)",
        ]
        if let verify = PlanTexts.verifyTrailer(state, approvers: approvers) { trailers.append(verify) }
        trailers += approvers.map { "Reviewed-by: \($0)" }
        trailers += state.coauthors.map { "Co-authored-by: \($0)" }
        let text = try templates.render(
            .squashMessage,
            [
                "phase": "\(state.phase.number)", "phaseType": state.phase.type.rawValue, "summary": summary(state),
                "details": state.phaseDetails ?? "", "trailers": trailers.joined(separator: "\n"),
            ]
        )
        return Trailers.normalized(text)
    }

    /// The message of the commit holding agent run `run`'s work; `summary` is the run's own (or its failure's).
    public static func runCommitMessage(_ state: JobState, run: Int, summary: String) -> String {
        """
        \(capitalizedFirst(state.phase.description)), revision \(state.revision): \(summary)

        Tollgate-Job: \(state.id)
        Tollgate-Phase: \(state.phase.label)
        Tollgate-Revision: \(state.revision)
        Tollgate-Run: \(run)

        """
    }

    /// The message of the commit holding the critique of run `run`.
    public static func critiqueCommitMessage(_ state: JobState, run: Int, status: String, line: String) -> String {
        """
        \(capitalizedFirst(state.phase.description)), revision \(state.revision): critique \(status)

        \(line)

        Tollgate-Job: \(state.id)
        Tollgate-Phase: \(state.phase.label)
        Tollgate-Revision: \(state.revision)
        Tollgate-Critique: \(run)

        """
    }

    /// `archive/phase-N-type.md`, from the run's outcome or what the phase recorded before.
    public static func retrospective(_ state: JobState, report: AgentReport, templates: TemplateCatalog)
        throws(TemplateError) -> String
    {
        try templates.render(
            .retrospective,
            [
                "jobId": state.id, "phase": "\(state.phase.number)", "phaseType": state.phase.type.rawValue,
                "revision": "\(state.revision)",
                "summary": report.outcome.summary ?? state.phaseSummary ?? "no summary given",
                "details": report.outcome.details ?? state.phaseDetails
                    ?? "_The agent left no retrospective for this phase._",
            ]
        )
    }

    /// Where the retrospective of the current phase is committed.
    public static func retrospectivePath(_ state: JobState) -> String {
        "archive/phase-\(state.phase.number)-\(state.phase.type.rawValue).md"
    }

    /// How many of the latest merged phases a brief lists one by one; the earlier ones are one line, so a brief
    /// stays the same size however long the job (the squash commits on `main` hold them all).
    public static let previousInBrief = 10

    /// The agent's brief for a run in `mode` with `items` to answer; `outcomePath` is where it writes its outcome.
    public static func brief(
        _ state: JobState,
        mode: AgentMode,
        items: [FeedbackItem],
        outcomePath: String,
        templates: TemplateCatalog
    ) throws(TemplateError) -> String {
        let name: TemplateName =
            mode != .work || !items.isEmpty
            ? .briefFeedback : state.phase.type == .strategic ? .briefStrategic : .briefTactical
        let freeze = FreezeRule.decide(level: state.autonomy, phase: state.phase, jobComplete: false)
        let freezeNote =
            freeze.map { "This phase stops for a human review when you finish (\($0))." }
            ?? "This phase merges into main when you finish, unless you report the job complete."
        let recent = state.merged.suffix(previousInBrief)
        var previous = recent.map { "- \($0.phase): merged as \($0.commit.prefix(10))" }
        if recent.count < state.merged.count {
            let earlier = state.merged.count - recent.count
            previous.insert(
                "- \(earlier) earlier phase\(earlier == 1 ? "" : "s"), from phase 1: `git log --first-parent main`",
                at: 0
            )
        }
        return try templates.render(
            name,
            [
                "jobId": state.id, "description": state.description, "expert": state.expert ?? "none",
                "autonomy": state.autonomy.rawValue, "phase": "\(state.phase.number)",
                "phaseType": state.phase.type.rawValue, "revision": "\(state.revision)", "branch": state.branch,
                "mode": mode.rawValue, "freezeNote": freezeNote,
                "feedback": items.isEmpty ? "none" : items.map(\.markdown).joined(separator: "\n"),
                "outcomePath": outcomePath,
                "previous": previous.isEmpty ? "none yet" : previous.joined(separator: "\n"),
            ]
        )
    }

    /// The review's body: what changed, what to look at, the critique's score, and how to answer (`resumeHint`).
    public static func pullRequestBody(
        _ state: JobState,
        changedPaths: [String],
        resumeHint: String,
        templates: TemplateCatalog
    ) throws(TemplateError) -> String {
        let files =
            changedPaths.isEmpty ? "- (no file changed)" : changedPaths.map { "- `\($0)`" }.joined(separator: "\n")
        let lookAt =
            state.phase.type == .strategic
            ? "`plan.md` and `todos.yaml`: is this the right plan, and are the todos the right next steps?"
            : "the outputs of the todos: are they complete and correct?"
        return try templates.render(
            .prBody,
            [
                "jobId": state.id, "phase": "\(state.phase.number)", "phaseType": state.phase.type.rawValue,
                "revision": "\(state.revision)", "branch": state.branch, "summary": summary(state),
                "filesChanged": files, "lookAt": lookAt,
                "score": state.critique?.line ?? "no critique ran for this phase",
                "freezeReason": state.freezeReason?.description ?? "a review was asked for", "resumeHint": resumeHint,
                "plan": PlanTexts.pullRequestSection(state),
            ]
        )
    }

    private static func summary(_ state: JobState) -> String { state.phaseSummary ?? "\(state.phase) work" }

    private static func capitalizedFirst(_ text: String) -> String { text.prefix(1).uppercased() + text.dropFirst() }
}
