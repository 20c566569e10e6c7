import Foundation
import TollgateCore

/// Critiques one unit of a batch on the calling thread (the batch gives each unit a thread of its own): the critic
/// over the worktree's copy of the file and, with a reviser, the bounded revision loop of ``RevisionLoopMachine``.
///
/// The unit is critiqued and revised in a scratch folder of its own outside the worktree (a copy of the file at its
/// repository path), so a reviser editing it never races the batch committing other units in the worktree. The
/// reviser is run by `/bin/sh -c` in that folder with the agent environment of `revise` mode (`TOLLGATE_MODE=revise`,
/// `TOLLGATE_WORKSPACE`: the folder, `TOLLGATE_FEEDBACK`: a JSON file of the must-fix items, `TOLLGATE_OUTCOME`) and
/// `TOLLGATE_UNIT`, the unit's repository path; it edits `$TOLLGATE_WORKSPACE/$TOLLGATE_UNIT` in place. The outcome
/// carries the text kept, and the batch writes and commits it with the unit's results.
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

        static func interrupted(_ unit: String) -> Outcome {
            Outcome(unit: unit, line: nil, transcript: nil, summary: nil, report: "", revised: nil)
        }
    }

    var config: CritiqueConfig
    var environment: [String: String]
    var graceSeconds: Int
    /// The reviser command, when the batch revises.
    var reviser: String?
    /// The worktree's root.
    var worktree: URL
    /// Where the critics' and revisers' output goes (outside the worktree: never committed).
    var logs: URL

    func critique(_ unit: String) throws -> Outcome {
        let clock = ContinuousClock()
        let start = clock.now
        let scratch = logs.appendingPathComponent("work/" + CritiqueLoopStore.slug(unit), isDirectory: true)
        if FileManager.default.fileExists(atPath: scratch.path) { try FileManager.default.removeItem(at: scratch) }
        let file = scratch.appendingPathComponent(unit)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        let original = String(decoding: try Data(contentsOf: worktree.appendingPathComponent(unit)), as: UTF8.self)
        try Workspace.writeAtomically(Data(original.utf8), to: file)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let first: (step: CritiqueStep, transcript: String)?
        do {
            first = try critiqueStep(unit, file: file, text: nil)
        } catch let error as EngineError {
            guard case .spawnFailed = error else { throw error }
            return Outcome(
                unit: unit,
                line: BatchSummary.Unit(unit: unit, state: .failed, durationMs: Self.milliseconds(clock.now - start)),
                transcript: nil,
                summary: nil,
                report: "# Critique of `\(unit)`\n\nThe critic could not be started: \(error)\n",
                revised: nil
            )
        }
        guard let first else { return .interrupted(unit) }
        var kept = first
        var loop: RevisionLoopSummary?
        if let reviser, first.step.status != .shipped {
            guard
                let finished = try revisionLoop(
                    unit,
                    file: file,
                    scratch: scratch,
                    reviser: reviser,
                    first: first,
                    started: start
                )
            else { return .interrupted(unit) }
            (kept, loop) = (finished.kept, finished.summary)
        }
        guard let state = BatchUnitState(kept.step.status) else { return .interrupted(unit) }
        var report = CritiqueReport.render(kept.step.summary, title: "Critique of `\(unit)`")
        if let loop { report += "\n" + Self.loopSection(loop) }
        return Outcome(
            unit: unit,
            line: BatchSummary.Unit(
                unit: unit,
                state: state,
                firstComposite: first.step.summary.composite,
                finalComposite: kept.step.summary.composite,
                mustFix: kept.step.openMustFix,
                iterations: loop?.iterations ?? 0,
                durationMs: Self.milliseconds(clock.now - start)
            ),
            transcript: kept.transcript,
            summary: kept.step.summary,
            report: report,
            revised: loop != nil && kept.step.critiqued != original ? kept.step.critiqued : nil
        )
    }

    /// One critique of `file` (first written with `text`, when given); nil when tollgate was interrupted.
    private func critiqueStep(_ unit: String, file: URL, text: String?) throws -> (
        step: CritiqueStep, transcript: String
    )? {
        if let text { try Workspace.writeAtomically(Data(text.utf8), to: file) }
        let critiqued = try text ?? String(decoding: Data(contentsOf: file), as: UTF8.self)
        let runner = CritiqueRunner(config: config, environment: environment, graceSeconds: graceSeconds)
        let outcome = try runner.run(artifact: file, directory: worktree, errorFile: log(unit, "critic"))
        if ProcessGroups.interruption != nil || outcome.summary.status == .interrupted { return nil }
        let step = CritiqueStep(
            summary: outcome.summary,
            lint: [],
            critiqued: critiqued,
            kept: nil,
            latencyMs: outcome.latencyMs
        )
        return (step, try outcome.transcript())
    }

    /// Drives the revision loop; nil when tollgate was interrupted.
    private func revisionLoop(
        _ unit: String,
        file: URL,
        scratch: URL,
        reviser: String,
        first: (step: CritiqueStep, transcript: String),
        started: ContinuousClock.Instant
    ) throws -> (kept: (step: CritiqueStep, transcript: String), summary: RevisionLoopSummary)? {
        let clock = ContinuousClock()
        func remainingSeconds() -> Double {
            let elapsed = clock.now - started
            return Double(config.loopTimeoutSeconds) - Double(Self.milliseconds(elapsed)) / 1000
        }
        var steps = [0: first]
        var machine = RevisionLoopMachine(
            settings: RevisionLoopMachine.Settings(config),
            original: first.step.critiqued,
            initialCritique: first.step.outcome
        )
        var queue = machine.started(remainingSeconds: remainingSeconds())
        while !queue.isEmpty {
            switch queue.removeFirst() {
            case .persist, .runGates:
                break  // a batch runs no gates, and a unit's loop is run again whole when it was cut short
            case .revise(let iteration, let base):
                let baseStep = steps[base] ?? first
                try Workspace.writeAtomically(Data(baseStep.step.critiqued.utf8), to: file)
                let feedback = logs.appendingPathComponent(CritiqueLoopStore.slug(unit) + "-feedback-\(iteration).json")
                try Workspace.writeAtomically(
                    try CritiqueDocuments.encoded(baseStep.step.feedback(iteration: iteration, path: unit)),
                    to: feedback
                )
                var variables = environment
                variables["TOLLGATE_MODE"] = "revise"
                variables["TOLLGATE_UNIT"] = unit
                variables["TOLLGATE_WORKSPACE"] = scratch.path
                variables["TOLLGATE_FEEDBACK"] = feedback.path
                variables["TOLLGATE_OUTCOME"] =
                    logs.appendingPathComponent(CritiqueLoopStore.slug(unit) + "-outcome-\(iteration).json").path
                let revisionStart = clock.now
                let termination = try ChildProcess.shell(
                    reviser,
                    environment: variables,
                    directory: scratch,
                    outputFile: log(unit, "reviser"),
                    timeoutSeconds: max(Int(remainingSeconds()), 1),
                    graceSeconds: graceSeconds
                ).run()
                if ProcessGroups.interruption != nil { return nil }
                if termination.succeeded {
                    let revised = String(decoding: try Data(contentsOf: file), as: UTF8.self)
                    queue += machine.revisionFinished(
                        artifact: revised,
                        tokens: 0,
                        latencyMs: Self.milliseconds(clock.now - revisionStart)
                    )
                } else {
                    queue += machine.stepFailed(reason: "the reviser \(termination)")
                }
            case .critique(let iteration):
                guard let text = machine.artifact(of: iteration) else {
                    queue += machine.stepFailed(reason: "iteration \(iteration) has no revision")
                    continue
                }
                guard let step = try critiqueStep(unit, file: file, text: text) else { return nil }
                steps[iteration] = step
                queue += machine.critiqueFinished(step.step.outcome, remainingSeconds: remainingSeconds())
            case .finish(let summary):
                return (steps[summary.bestIteration] ?? first, summary)
            }
        }
        return nil
    }

    private func log(_ unit: String, _ kind: String) -> URL {
        logs.appendingPathComponent(CritiqueLoopStore.slug(unit) + "-\(kind).log")
    }

    /// The report's lines on the loop: iterations, why it stopped, which iteration is kept.
    static func loopSection(_ loop: RevisionLoopSummary) -> String {
        [
            "## Revision loop", "",
            "- Iterations: \(loop.iterations) of at most \(CritiqueConfig.hardMaxIterations)",
            "- Stop reason: \(loop.stopReason.rawValue)\(loop.failure.map { ": " + $0 } ?? "")",
            "- Kept: \(loop.bestIteration == 0 ? "the original" : "iteration \(loop.bestIteration)")",
        ].joined(separator: "\n") + "\n"
    }

    static func milliseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }
}
