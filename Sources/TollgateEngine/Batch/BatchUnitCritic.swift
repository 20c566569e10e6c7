import Foundation
import Synchronization
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
///
/// Every critic and reviser run reserves with the batch's ``BatchBudget`` before it starts and is charged after; a
/// refused first critique leaves the unit blocked (not finished), a refused revision or re-critique ends the loop
/// with the best iteration so far, and either way the outcome says so, and the batch starts no other unit.
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
        /// Why the budget refused one of its runs (the batch starts no other unit), nil when it did not.
        var blocked: String?
        /// Warnings to show (a run charged its reservation, a soft cap crossed).
        var warnings: [String] = []

        static func interrupted(_ unit: String) -> Outcome {
            Outcome(unit: unit, line: nil, transcript: nil, summary: nil, report: "", revised: nil)
        }

        static func blocked(_ unit: String, _ message: String, warnings: [String]) -> Outcome {
            Outcome(
                unit: unit,
                line: nil,
                transcript: nil,
                summary: nil,
                report: "",
                revised: nil,
                blocked: message,
                warnings: warnings
            )
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
    /// What every run reserves against and is charged to.
    var budget: BatchBudget
    /// Where each critic's duration, the first critique's notes per thousand words and each reviser's time go.
    var telemetry: TelemetryLog

    /// What one unit's runs told the budget, gathered for its outcome.
    private final class Notes: Sendable {
        let warnings = Mutex<[String]>([])
        func add(_ more: [String]) { warnings.withLock { $0 += more } }
        var all: [String] { warnings.withLock { $0 } }
    }

    func critique(_ unit: String) async throws -> Outcome {
        let notes = Notes()
        do {
            var outcome = try await critique(unit, notes: notes)
            outcome.warnings = notes.all
            return outcome
        } catch let refusal as BatchBudget.Blocked {
            return .blocked(unit, refusal.message, warnings: notes.all)
        }
    }

    private func critique(_ unit: String, notes: Notes) async throws -> Outcome {
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
            first = try await critiqueStep(unit, iteration: 0, file: file, text: nil, notes: notes)
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
        var blocked: String?
        if let reviser, first.step.status != .shipped {
            guard
                let finished = try await revisionLoop(
                    unit,
                    file: file,
                    scratch: scratch,
                    reviser: reviser,
                    first: first,
                    started: start,
                    notes: notes
                )
            else { return .interrupted(unit) }
            (kept, loop, blocked) = (finished.kept, finished.summary, finished.blocked)
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
            revised: loop != nil && kept.step.critiqued != original ? kept.step.critiqued : nil,
            blocked: blocked
        )
    }

    /// One critique of `file` (first written with `text`, when given), reserved and charged; nil when tollgate was
    /// interrupted.
    ///
    /// - Throws: ``BatchBudget/Blocked`` when the budget refuses the critic.
    private func critiqueStep(_ unit: String, iteration: Int, file: URL, text: String?, notes: Notes) async throws
        -> (step: CritiqueStep, transcript: String)?
    {
        if let text { try Workspace.writeAtomically(Data(text.utf8), to: file) }
        let critiqued = try text ?? String(decoding: Data(contentsOf: file), as: UTF8.self)
        let key = "\(unit)#critic-\(iteration)"
        let deadline = try await budget.reserveTimed(key, for: .critic, timeout: config.totalTimeoutSeconds)
        let usage = logs.appendingPathComponent(CritiqueLoopStore.slug(unit) + "-usage-\(iteration).json")
        try? FileManager.default.removeItem(at: usage)
        let variables = environment.merging([Self.usageVariable: usage.path]) { _, new in new }
        let (config, graceSeconds, worktree, errorFile) = (config, graceSeconds, worktree, log(unit, "critic"))
        let clock = ContinuousClock()
        let started = clock.now
        let outcome = try await Blocking.run {
            try CritiqueRunner(config: config, environment: variables, graceSeconds: graceSeconds)
                .run(artifact: file, directory: worktree, errorFile: errorFile, budget: deadline)
        }
        notes.add(
            await budget.charge(
                key,
                usage: BatchBudget.criticUsage(at: usage),
                seconds: Self.seconds(clock.now - started)
            )
        )
        if ProcessGroups.interruption != nil || outcome.summary.status == .interrupted { return nil }
        // A critic the budget stopped says so, naming the cap and the command that raises it.
        notes.add(outcome.summary.warnings.filter { $0.kind == .budget }.map { "budget: \(unit): \($0.detail)" })
        telemetry.record(.critiqueDuration, Double(outcome.latencyMs), phase: nil)
        if iteration == 0, let perKword = Self.notesPerKword(outcome.summary, text: critiqued) {
            telemetry.record(.critiqueNotesPerKword, perKword, phase: nil)
        }
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
    ///
    /// A run the budget refuses ends the loop (as a failed step: the best iteration so far is kept), and the refusal
    /// is returned with it.
    private func revisionLoop(
        _ unit: String,
        file: URL,
        scratch: URL,
        reviser: String,
        first: (step: CritiqueStep, transcript: String),
        started: ContinuousClock.Instant,
        notes: Notes
    ) async throws -> (
        kept: (step: CritiqueStep, transcript: String), summary: RevisionLoopSummary, blocked: String?
    )? {
        var blocked: String?
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
                let outcomeFile = logs.appendingPathComponent(
                    CritiqueLoopStore.slug(unit) + "-outcome-\(iteration).json"
                )
                try? FileManager.default.removeItem(at: outcomeFile)
                variables["TOLLGATE_OUTCOME"] = outcomeFile.path
                let key = "\(unit)#reviser-\(iteration)"
                var timeout = max(Int(remainingSeconds()), 1)
                let deadline: BudgetDeadline?
                do {
                    deadline = try await budget.reserveTimed(key, for: .reviser, timeout: timeout)
                } catch {
                    blocked = error.message
                    queue += machine.stepFailed(reason: "the budget refused the reviser")
                    continue
                }
                if let deadline { timeout = deadline.limit.seconds }
                let revisionStart = clock.now
                let process = ChildProcess.shell(
                    reviser,
                    environment: variables,
                    directory: scratch,
                    outputFile: log(unit, "reviser"),
                    timeoutSeconds: timeout,
                    graceSeconds: graceSeconds
                )
                let termination = try await Blocking.run { try process.run() }
                notes.add(
                    await budget.charge(
                        key,
                        usage: BatchBudget.reviserUsage(at: outcomeFile),
                        seconds: Self.seconds(clock.now - revisionStart)
                    )
                )
                if ProcessGroups.interruption != nil { return nil }
                telemetry.record(.rewriteApplyLatency, Double(Self.milliseconds(clock.now - revisionStart)), phase: nil)
                if termination.succeeded {
                    let revised = String(decoding: try Data(contentsOf: file), as: UTF8.self)
                    queue += machine.revisionFinished(
                        artifact: revised,
                        tokens: 0,
                        latencyMs: Self.milliseconds(clock.now - revisionStart)
                    )
                } else if case .timedOut = termination, let stop = deadline?.stopped("the reviser") {
                    // The budget's seconds, not the loop's time, stopped it: say which cap, and how to raise it.
                    notes.add(["budget: \(unit): \(stop)"])
                    queue += machine.stepFailed(reason: stop)
                } else {
                    queue += machine.stepFailed(reason: "the reviser \(termination)")
                }
            case .critique(let iteration):
                guard let text = machine.artifact(of: iteration) else {
                    queue += machine.stepFailed(reason: "iteration \(iteration) has no revision")
                    continue
                }
                let critiqued: (step: CritiqueStep, transcript: String)?
                do {
                    critiqued = try await critiqueStep(unit, iteration: iteration, file: file, text: text, notes: notes)
                } catch let refusal as BatchBudget.Blocked {
                    blocked = refusal.message
                    queue += machine.stepFailed(reason: "the budget refused the critic")
                    continue
                }
                guard let step = critiqued else { return nil }
                steps[iteration] = step
                queue += machine.critiqueFinished(step.step.outcome, remainingSeconds: remainingSeconds())
            case .finish(let summary):
                return (steps[summary.bestIteration] ?? first, summary, blocked)
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

    /// The notes a critique gave (its must-fix items and the panelists' notes, over every round) per thousand words
    /// of `text`; nil for a text without words.
    static func notesPerKword(_ summary: CritiqueSummary, text: String) -> Double? {
        let words = text.split { $0.isWhitespace }.count
        guard words > 0 else { return nil }
        let notes = summary.rounds.reduce(0) { count, round in
            count + round.mustFix.count + round.panelists.filter { !($0.notes ?? "").isEmpty }.count
        }
        return Double(notes) * 1000 / Double(words)
    }

    /// The variable that names the file a critic writes its usage to (DESIGN §11).
    static let usageVariable = "TOLLGATE_USAGE"

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func milliseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }
}
