import Foundation
import TollgateCore

/// Critiques one unit of a batch: the critic over the worktree's copy of the file, on the calling thread (the batch
/// gives each unit a thread of its own).
///
/// Nothing here writes into the worktree: the outcome carries the files, and the batch writes and commits them.
struct BatchUnitCritic: Sendable {
    /// One unit's finished (or interrupted) critique.
    struct Outcome: Sendable {
        var unit: String
        /// The unit's line in the batch's summary; nil when the run was interrupted (the unit is not finished).
        var line: BatchSummary.Unit?
        var transcript: String?
        var summary: CritiqueSummary?
        /// The unit's `report.md`.
        var report: String
        /// The revised text kept, when a revision ranked above the original.
        var revised: String?
    }

    var config: CritiqueConfig
    var environment: [String: String]
    var graceSeconds: Int
    /// The reviser command, when the batch revises.
    var reviser: String?
    /// The worktree's root.
    var worktree: URL
    /// Where the critics' standard error goes (outside the worktree: never committed).
    var logs: URL

    func critique(_ unit: String) throws -> Outcome {
        let clock = ContinuousClock()
        let start = clock.now
        let file = worktree.appendingPathComponent(unit)
        let runner = CritiqueRunner(config: config, environment: environment, graceSeconds: graceSeconds)
        let log = logs.appendingPathComponent(CritiqueLoopStore.slug(unit) + ".log")
        let outcome: CritiqueRunner.Outcome
        do {
            outcome = try runner.run(artifact: file, directory: worktree, errorFile: log)
        } catch {
            let elapsed = Self.milliseconds(clock.now - start)
            return Outcome(
                unit: unit,
                line: BatchSummary.Unit(unit: unit, state: .failed, durationMs: elapsed),
                transcript: nil,
                summary: nil,
                report: "# Critique of `\(unit)`\n\nThe critic could not be started: \(error)\n",
                revised: nil
            )
        }
        guard let state = BatchUnitState(outcome.summary.status) else {
            return Outcome(unit: unit, line: nil, transcript: nil, summary: nil, report: "", revised: nil)
        }
        let summary = outcome.summary
        return Outcome(
            unit: unit,
            line: BatchSummary.Unit(
                unit: unit,
                state: state,
                firstComposite: summary.composite,
                finalComposite: summary.composite,
                mustFix: summary.openMustFix ?? 0,
                iterations: 0,
                durationMs: Self.milliseconds(clock.now - start)
            ),
            transcript: try outcome.transcript(),
            summary: summary,
            report: CritiqueReport.render(summary, title: "Critique of `\(unit)`"),
            revised: nil
        )
    }

    static func milliseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }
}
