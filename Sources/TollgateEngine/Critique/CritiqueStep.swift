import Foundation
import TollgateCore

/// One finished critique run over one artifact, as the revision loop persists it: the scoreboard's summary, the
/// lint findings on the artifact it keeps, and both texts.
///
/// Lint findings are must-fix items: a run that ships an artifact with findings counts as `below_threshold` for the
/// loop and for the phase, and the findings go to the agent with the panel's own must-fix items.
public struct CritiqueStep: Sendable, Equatable, Codable {
    /// The scoreboard's summary of the run (what `summary.json` holds, unchanged).
    public var summary: CritiqueSummary
    /// The lint findings on ``text``.
    public var lint: [ArtifactLint.Finding]
    /// The artifact as it was critiqued.
    public var critiqued: String
    /// The artifact the critic kept (its shipped or fallback round's), if the stream carried one.
    public var kept: String?
    /// Milliseconds the run took.
    public var latencyMs: Int
    /// Tokens the critic reported spending (protocol v1 carries none, so 0).
    public var tokens: Int

    /// Creates a step.
    public init(
        summary: CritiqueSummary,
        lint: [ArtifactLint.Finding],
        critiqued: String,
        kept: String?,
        latencyMs: Int,
        tokens: Int = 0
    ) {
        self.summary = summary
        self.lint = lint
        self.critiqued = critiqued
        self.kept = kept
        self.latencyMs = latencyMs
        self.tokens = tokens
    }

    /// The artifact this run leaves in the working tree: the critic's kept artifact, else the critiqued one.
    public var text: String { kept ?? critiqued }

    /// The status once lint is counted: a shipped run with lint findings is `below_threshold`.
    public var status: CritiqueStatus {
        summary.status == .shipped && !lint.isEmpty ? .belowThreshold : summary.status
    }

    /// Whether the run passed: it shipped and its artifact has no lint finding.
    public var passed: Bool { status == .shipped && (summary.openMustFix ?? 0) == 0 }

    /// The open must-fix count with the lint findings added.
    public var openMustFix: Int { (summary.openMustFix ?? 0) + lint.count }

    /// What the revision loop needs to know of this run.
    public var outcome: RevisionLoopMachine.CritiqueOutcome {
        RevisionLoopMachine.CritiqueOutcome(
            status: status,
            composite: summary.composite,
            openMustFix: openMustFix,
            tokens: tokens,
            latencyMs: latencyMs
        )
    }

    /// The round whose must-fix items the agent gets: the kept round, else the last one.
    var feedbackRound: CritiqueSummary.Round? {
        summary.rounds.first { $0.n == summary.shippedRound } ?? summary.rounds.last
    }

    /// The must-fix items and lint findings of this run, as review items for the agent revising `path`.
    ///
    /// - Parameter iteration: the iteration the revision belongs to (it makes the ids unique within the phase).
    public func feedback(iteration: Int, path: String) -> [FeedbackItem] {
        var items: [FeedbackItem] = []
        func add(_ reviewer: String, _ body: String, line: Int? = nil) {
            items.append(
                FeedbackItem(
                    id: "critique-\(iteration)-\(items.count + 1)",
                    kind: .comment,
                    reviewer: reviewer,
                    body: body,
                    path: path,
                    line: line
                )
            )
        }
        if let round = feedbackRound {
            for item in round.mustFix { add("critique:\(item.role)", item.text) }
            let unnamed = round.openMustFix - round.mustFix.count
            if unnamed > 0 {
                let missing = round.panelists.filter { $0.missing && $0.weight > 0 }.map(\.role.rawValue)
                let who = missing.isEmpty ? "" : " (missing panelists: \(missing.joined(separator: ", ")))"
                add("critique", "\(unnamed) more must-fix item(s) were counted without text\(who).")
            }
        }
        for finding in lint { add("lint", finding.message, line: finding.line) }
        if items.isEmpty {
            let composite = summary.composite.map { "\(Scoreboard.rounded($0))" } ?? "none"
            var body =
                "The critique ended \(summary.status.rawValue) with composite \(composite); it ships from "
                + "\(Scoreboard.rounded(summary.threshold)) with no open must-fix item."
            if let round = feedbackRound {
                let weakest = round.panelists.flatMap(\.dimensions).filter { $0.score != nil }
                    .sorted { ($0.score ?? 0, $0.name) < ($1.score ?? 0, $1.name) }.prefix(3)
                if !weakest.isEmpty {
                    body +=
                        " Weakest points: "
                        + weakest.map { "\($0.name) (\(Scoreboard.rounded($0.score ?? 0))): \($0.note)" }
                        .joined(separator: "; ") + "."
                }
            }
            if let cause = summary.cause { body += " (\(cause))" }
            add("critique", body)
        }
        return items
    }
}
