import Foundation
import GitKit
import TollgateCore

/// Runs a batch critique (DESIGN §11): many tracked files of a repository critiqued at once, on a branch of their
/// own in a linked worktree, every finished unit committed there as it finishes.
///
/// A new batch makes the branch `batch/<id>` at HEAD and the worktree `.git/tollgate/worktrees/batch-<id>` on it, and
/// commits `critique/batch-<id>/batch.json` (what it was started with), `summary.json` and `report.md` there; the
/// user's branch, index and working tree are never written. Each unit runs ``CritiqueRunner`` (and, with a reviser,
/// ``BatchUnitCritic``'s bounded revision loop) on the worktree's copy of its file, at most `jobs` units at once,
/// each on a thread of its own; the results are written and committed one unit at a time, by this task alone, so
/// the worktree's git index is never used from two threads. A resumed batch (same id) reads the summary on its
/// branch and runs only the units not finished.
public struct BatchRunner: Sendable {
    /// What one batch run needs.
    public struct Request: Sendable {
        /// The repository whose files are critiqued.
        public var repository: URL
        /// A new batch, or the id of one to go on with.
        public var start: Start
        /// Where progress goes: one call per unit state change.
        public var progress: @Sendable (BatchProgress.Change) -> Void
        /// `--set KEY=VALUE` assignments (budgets, reservations, privacy, telemetry): a new batch's, or more for a
        /// resumed one, recorded after those it has.
        public var assignments: [String]
        /// Where warnings go (a run charged its reservation, a soft cap crossed), one sentence a call.
        public var warning: @Sendable (String) -> Void
        /// The command that goes on with the batch with one more assignment, as a refusal names it.
        public var goOn: @Sendable (_ id: String, _ assignment: String) -> String

        /// How the run starts.
        public enum Start: Sendable {
            /// A new batch over the files the globs take, with this id.
            case new(id: String, files: [String], critic: String, revise: String?, jobs: Int)
            /// The batch with this id, its unfinished units; `jobs` replaces the recorded one when given.
            case resume(id: String, jobs: Int?)
        }

        /// Creates a request.
        public init(
            repository: URL,
            start: Start,
            assignments: [String] = [],
            warning: @escaping @Sendable (String) -> Void = { _ in },
            goOn: @escaping @Sendable (_ id: String, _ assignment: String) -> String = { id, assignment in
                "tollgate batch DIR --resume \(id) --set \(assignment)"
            },
            progress: @escaping @Sendable (BatchProgress.Change) -> Void
        ) {
            self.repository = repository
            self.start = start
            self.assignments = assignments
            self.warning = warning
            self.goOn = goOn
            self.progress = progress
        }
    }

    /// What a run left.
    public struct Result: Sendable, Equatable {
        public var settings: BatchSettings
        public var summary: BatchSummary
        /// The worktree the batch ran in.
        public var worktree: URL
        /// How many units this run critiqued (a resumed batch skips the finished ones).
        public var ran: Int
        /// Why the units left are blocked (the batch exits 4), nil when none is.
        public var blocked: String? { summary.blocked }
    }

    /// The critique settings every unit runs with (`config.command` is replaced by the batch's critic).
    public var config: CritiqueConfig
    /// The environment critics and revisers start from.
    public var environment: [String: String]
    /// Seconds between SIGTERM and SIGKILL when a critic is stopped.
    public var graceSeconds: Int

    /// Creates a runner.
    public init(config: CritiqueConfig, environment: [String: String], graceSeconds: Int = 2) {
        self.config = config
        self.environment = environment
        self.graceSeconds = graceSeconds
    }

    /// Who commits on the batch branch.
    static let signature = Signature(name: "Tollgate", email: "tollgate@localhost")

    /// Runs the batch to its end (or to an interruption, after which the finished units are kept).
    ///
    /// A hard cap that a unit's run would cross stops the batch starting units: the units not finished are
    /// `blocked`, what finished is committed, and the result says why (``Result/blocked``).
    /// - Throws: `EngineError.usage` for a folder that is no repository, a repository with no commit, a bad glob, no
    ///   matching file, an unknown batch, or a bad `--set`; `EngineError.interrupted` when a signal stopped the run
    ///   (what finished is committed); a `GitError` when the branch or worktree cannot be written.
    public func run(_ request: Request) async throws -> Result {
        let repository = try Self.open(request.repository)
        var (settings, prepared) = try prepare(request.start, in: repository)
        if !request.assignments.isEmpty { settings.assignments = (settings.assignments ?? []) + request.assignments }
        let resolved = try Self.configuration(of: repository, assignments: settings.assignments ?? [], environment)
        let worktreePath = repository.gitDirectory.appendingPathComponent("tollgate/worktrees", isDirectory: true)
            .appendingPathComponent(BatchSettings.worktreeName(settings.batch), isDirectory: true)
        guard let baseOID = OID(hex: settings.base) else {
            throw EngineError.usage("batch \(settings.batch) names no valid start commit (\(settings.base))")
        }
        try repository.addWorktree(
            name: BatchSettings.worktreeName(settings.batch),
            at: worktreePath,
            branch: BatchSettings.branch(settings.batch),
            from: baseOID
        )
        let store = BatchStore(root: worktreePath, batch: settings.batch)
        let logs = repository.gitDirectory.appendingPathComponent("tollgate/batch-\(settings.batch)", isDirectory: true)
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        var summary = prepared
        summary.blocked = nil
        for index in summary.units.indices where summary.units[index].state == .blocked {
            summary.units[index].state = .queued
        }
        let goOn = request.goOn
        let batch = settings.batch
        let budget = BatchBudget(
            config: resolved,
            account: summary.budget ?? BudgetAccount(),
            batch: settings.batch,
            root: request.repository.standardizedFileURL,
            revises: settings.revise != nil,
            environment: ProcessInfo.processInfo.environment
        ) { assignment in goOn(batch, assignment) }
        try store.writeSettings(settings)
        try store.writeSummary(summary)
        try commit(
            worktreePath,
            store.recordPaths,
            "Batch \(settings.batch): \(summary.units.count) unit(s) to critique",
            settings.batch
        )

        var progress = BatchProgress()
        let pending = summary.units.filter { !$0.state.isFinished }.map(\.unit)
        for unit in summary.units where unit.state.isFinished {
            _ = progress.unitChanged(unit.unit, to: unit.state, composite: unit.finalComposite)
        }
        // Every unit counted first, so each queued line shows the batch's whole size.
        let queued = pending.map { progress.unitChanged($0, to: .queued) }
        for change in queued {
            var line = change
            line.queued = pending.count
            line.total = summary.units.count
            request.progress(line)
        }

        let telemetry = TelemetryLog(
            gitDirectory: repository.gitDirectory,
            job: BatchSettings.worktreeName(settings.batch),
            enabled: resolved[ConfigKeys.telemetryEnabled]
        )
        let queuedAt = ContinuousClock.now
        let critic = BatchUnitCritic(
            config: configured(settings.critic),
            environment: JobSession.childEnvironment(config: resolved, base: environment),
            graceSeconds: graceSeconds,
            reviser: settings.revise,
            worktree: worktreePath,
            logs: logs,
            budget: budget,
            telemetry: telemetry
        )
        var ran = 0
        var bars = await budget.bars()
        func report(_ change: BatchProgress.Change) {
            var change = change
            change.budget = bars
            request.progress(change)
        }
        try await withThrowingTaskGroup(of: BatchUnitCritic.Outcome.self) { group in
            var next = pending.makeIterator()
            // Units whose first critic was refused while others ran: they wait for a running one to be charged.
            var waiting: [String] = []
            var running = 0
            // Units finished (and so charged) so far, and how many had when each running unit started: a refusal
            // can arrive after the unit that held the budget finished, and then the room it left is tried first.
            var finishedSoFar = 0
            var finishedAtStart: [String: Int] = [:]
            func start(_ group: inout ThrowingTaskGroup<BatchUnitCritic.Outcome, any Error>) {
                guard ProcessGroups.interruption == nil, summary.blocked == nil else { return }
                let unit: String
                if !waiting.isEmpty {
                    unit = waiting.removeFirst()
                } else if let fresh = next.next() {
                    unit = fresh
                } else {
                    return
                }
                report(progress.unitChanged(unit, to: .running))
                let waited = BatchUnitCritic.milliseconds(ContinuousClock.now - queuedAt)
                telemetry.record(.critiqueQueueTime, Double(waited), phase: nil)
                running += 1
                finishedAtStart[unit] = finishedSoFar
                group.addTask { try await critic.critique(unit) }
            }
            for _ in 0..<max(settings.jobs, 1) { start(&group) }
            while let outcome = try await group.next() {
                running -= 1
                let othersFinished =
                    finishedSoFar > (finishedAtStart.removeValue(forKey: outcome.unit) ?? finishedSoFar)
                if outcome.line == nil, outcome.blocked != nil, running > 0 || othersFinished {
                    // Refused while other units hold part of the budget: what they report may leave room, so the unit
                    // waits (as a plan's tasks do); it is blocked only when it is refused with nothing running and
                    // nothing charged since it started.
                    for warning in outcome.warnings { request.warning(warning) }
                    waiting.append(outcome.unit)
                    report(progress.unitChanged(outcome.unit, to: .queued))
                    // Nothing left running to free a slot later: the room the finished units left is tried now.
                    if running == 0 { start(&group) }
                    continue
                }
                for warning in outcome.warnings { request.warning(warning) }
                if outcome.line != nil { finishedSoFar += 1 }
                if summary.blocked == nil, let blocked = outcome.blocked { summary.blocked = blocked }
                summary.budget = await budget.account()
                bars = await budget.bars()
                if let line = outcome.line {
                    try store.writeUnit(outcome)
                    summary.record(line)
                    try store.writeSummary(summary)
                    try commit(
                        worktreePath,
                        store.unitPaths(outcome),
                        "Batch \(settings.batch): \(line.unit) \(line.state.words)",
                        settings.batch,
                        unit: line.unit
                    )
                    ran += 1
                    report(progress.unitChanged(line.unit, to: line.state, composite: line.finalComposite))
                } else if outcome.blocked != nil {
                    summary.record(BatchSummary.Unit(unit: outcome.unit, state: .blocked))
                    report(progress.unitChanged(outcome.unit, to: .blocked))
                } else {
                    // Interrupted: nothing of it is kept, the unit stays queued for a resume.
                    report(progress.unitChanged(outcome.unit, to: .queued))
                }
                // Fill every free slot: the one this unit left, and any a waiting unit left.
                while running < max(settings.jobs, 1), summary.blocked == nil, ProcessGroups.interruption == nil {
                    let before = running
                    start(&group)
                    if running == before { break }
                }
            }
            // Blocked: the units never started (or waiting) are blocked too, and the summary says why, on the branch.
            if summary.blocked != nil {
                for unit in waiting {
                    summary.record(BatchSummary.Unit(unit: unit, state: .blocked))
                    report(progress.unitChanged(unit, to: .blocked))
                }
                while let unit = next.next() {
                    summary.record(BatchSummary.Unit(unit: unit, state: .blocked))
                    report(progress.unitChanged(unit, to: .blocked))
                }
                try store.writeSummary(summary)
                try commit(
                    worktreePath,
                    store.summaryPaths,
                    "Batch \(settings.batch): blocked by a budget",
                    settings.batch
                )
            }
        }
        // The share of the units this run finished whose critique was accepted (shipped).
        let finished = summary.units.filter { $0.state.isFinished && !prepared.finishedUnits.contains($0.unit) }
        if !finished.isEmpty {
            let shipped = finished.filter { $0.state == .shipped }.count
            telemetry.record(.critiqueAcceptRate, Double(shipped) / Double(finished.count), phase: nil)
        }
        if let signal = ProcessGroups.interruption { throw EngineError.interrupted(signal: signal) }
        return Result(settings: settings, summary: summary, worktree: worktreePath, ran: ran)
    }

    /// The settings budgets, privacy and telemetry are read from: the job's own when `repository` is a tollgate
    /// workspace (the defaults otherwise), the batch's `--set` assignments over them, then `TOLLGATE_CRITIQUE_*`.
    ///
    /// - Throws: `EngineError.usage` for an assignment that names no setting, or a value its key does not allow.
    static func configuration(of repository: Repository, assignments: [String], _ environment: [String: String])
        throws -> ResolvedConfig
    {
        let store = StateStore(repository: repository, signature: signature)
        do {
            var base = try ResolvedConfig(layers: [])
            if (try? store.load()) != nil, let document = store.document { base = document.config }
            var layers = try ConfigLayer.environment(environment)
            if !assignments.isEmpty {
                layers.insert(try ConfigLayer(assignments: assignments, source: "batch --set"), at: 0)
            }
            return try base.overriding(with: layers)
        } catch {
            throw EngineError.usage("bad batch setting: \(error.description)")
        }
    }

    // MARK: - Steps

    private func configured(_ critic: String) -> CritiqueConfig {
        var config = self.config
        config.command = critic
        return config
    }

    static func open(_ directory: URL) throws -> Repository {
        guard Repository.isRepository(at: directory) else {
            throw EngineError.usage(
                "\(directory.path) is not a git repository: batch critiques the tracked files of a repository's "
                    + "HEAD; give the repository's top folder"
            )
        }
        return try Repository.open(at: directory)
    }

    /// The settings and summary a run starts from: a new batch's, or the recorded ones of the batch resumed.
    private func prepare(_ start: Request.Start, in repository: Repository) throws -> (BatchSettings, BatchSummary) {
        switch start {
        case .new(let id, let files, let critic, let revise, let jobs):
            guard let head = try repository.resolve(reference: "HEAD") else {
                throw EngineError.usage("the repository has no commit yet: commit the files to critique first")
            }
            var globs: [PathGlob] = []
            for pattern in files {
                guard let glob = PathGlob(pattern) else {
                    throw EngineError.usage(
                        "--files \(pattern) is not a glob of repository paths: write it relative to the repository's "
                            + "top, without a leading / and without . or .. (for example chapters/*.md or docs/**/*.md)"
                    )
                }
                globs.append(glob)
            }
            let units = PathGlob.select(try repository.filePaths(at: head), matching: globs)
            guard !units.isEmpty else {
                throw EngineError.usage(
                    "no tracked file at HEAD matches \(files.map { "--files \($0)" }.joined(separator: " ")): a glob "
                        + "takes committed files only (* within a folder, ** across folders)"
                )
            }
            guard try repository.branchTip(BatchSettings.branch(id)) == nil else {
                throw EngineError.usage("a batch \(id) exists already: resume it with --resume \(id)")
            }
            let settings = BatchSettings(
                batch: id,
                files: files,
                critic: critic,
                revise: revise,
                jobs: jobs,
                base: head.hex
            )
            return (settings, BatchSummary(batch: id, units: units.map { .init(unit: $0, state: .queued) }))
        case .resume(let id, let jobs):
            let recorded = try BatchStore.recorded(id, in: repository)
            var settings = recorded.settings
            if let jobs { settings.jobs = jobs }
            return (settings, recorded.summary)
        }
    }

    /// Commits `paths` of the worktree at `worktree` (the files the batch just wrote) through a repository opened for
    /// this commit alone.
    ///
    /// libgit2 keeps every tree and commit a repository looked up in its object cache (up to 256 MB by default) until
    /// the repository is freed, and writing the index's tree looks up the trees of the last commit: through one
    /// repository kept for the whole batch, that cache grew with every unit (about 7 kB a unit, issue 13's "memory
    /// flat in the number of units" missed). A repository opened per commit (a millisecond or so) frees its cache
    /// after each. Staging the paths alone, not the whole worktree, keeps a commit from reading every file of the
    /// batch branch (four a unit), which made each unit's commit slower than the one before.
    private func commit(_ worktree: URL, _ paths: [String], _ message: String, _ batch: String, unit: String? = nil)
        throws
    {
        var text = message + "\n\nTollgate-Batch: \(batch)"
        if let unit { text += "\nTollgate-Unit: \(unit)" }
        try Repository.open(at: worktree).commitFiles(
            paths,
            message: text,
            author: Self.signature,
            committer: Self.signature
        )
    }
}
