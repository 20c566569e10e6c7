import Foundation
import TollgateCore

/// The live ``PhaseCritic``: runs `critique.command` over each artifact of the phase and, when a critique does not
/// pass, drives the revision loop (``RevisionLoopMachine``) with the agent in revise mode.
///
/// For each path in `critique.artifacts` that exists in the workspace, in order:
/// 1. the first critique (``CritiqueRunner``); the artifact it keeps is written back to the working tree and linted
///    (``ArtifactLint``: findings are must-fix items);
/// 2. when it does not pass, up to 3 iterations of revise (the agent gets the must-fix items and lint findings as
///    review items) → critique, stopping early on a pass, a revision with no change, the time or token budget, or
///    an error;
/// 3. the best iteration's artifact is written back, and the reports go to `critique/phase-N/rev-M/` (one
///    artifact configured) or `critique/phase-N/rev-M/<artifact-slug>/` (several).
///
/// The phase's result (`result.json`, beside the reports) is the worst artifact's: an artifact that did not pass
/// before one that did, then the lower composite; must-fix counts and iterations add up. With no configured artifact
/// in the workspace the result is `failed`.
///
/// Every finished step is persisted under the request's state directory (``CritiqueLoopStore``), so a run killed at
/// any point and started again re-runs only the step that was cut short.
public struct ProcessCritic: PhaseCritic {
    /// The environment critics start from.
    public var environment: [String: String]
    /// Seconds between SIGTERM and SIGKILL when a critic is stopped.
    public var graceSeconds: Int
    /// Where `critique.duration_ms` and `gate.duration_ms` go (DESIGN §11); nil records nothing.
    public var telemetry: TelemetryLog?

    /// Creates a critic runner; critics inherit this process's environment with tollgate's directory first on `PATH`.
    public init(
        environment: [String: String] = ShellAgentRunner.defaultEnvironment(),
        graceSeconds: Int = 2,
        telemetry: TelemetryLog? = nil
    ) {
        self.environment = environment
        self.graceSeconds = graceSeconds
        self.telemetry = telemetry
    }

    public func critique(_ request: CritiqueRequest) async throws -> PhaseCritique {
        let reportRoot = request.root.appendingPathComponent(request.reportDirectory, isDirectory: true)
        let configured = request.config.artifacts
        let present = configured.filter { path in
            guard Self.isInsideWorkspace(path) else { return false }
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(
                atPath: request.root.appendingPathComponent(path).path,
                isDirectory: &isDirectory
            )
                && !isDirectory.boolValue
        }
        guard !present.isEmpty else {
            return try noArtifact(request, configured: configured, into: reportRoot)
        }
        var results: [ArtifactResult] = []
        for path in present {
            let folder =
                configured.count == 1
                ? reportRoot : reportRoot.appendingPathComponent(CritiqueLoopStore.slug(path), isDirectory: true)
            let relative =
                configured.count == 1
                ? request.reportDirectory : request.reportDirectory + "/" + CritiqueLoopStore.slug(path)
            results.append(try await critique(path, request: request, folder: folder, relativeFolder: relative))
        }
        let result = Self.combined(results, request: request)
        let document = CritiqueResultDocument(result: result, artifacts: results.map(\.record))
        try Workspace.writeAtomically(
            try CritiqueDocuments.encoded(document),
            to: reportRoot.appendingPathComponent("result.json")
        )
        if results.count > 1 {
            try Workspace.writeAtomically(
                Data(Self.index(results, request: request).utf8),
                to: reportRoot.appendingPathComponent("report.md")
            )
        }
        return result
    }

    // MARK: - One artifact

    /// One artifact's critique and loop, as the phase result needs it.
    struct ArtifactResult {
        var path: String
        var step: CritiqueStep?
        var loop: RevisionLoopSummary
        var report: String

        var passed: Bool { step?.passed ?? false }

        var record: CritiqueResultDocument.Artifact {
            CritiqueResultDocument.Artifact(
                path: path,
                status: (step?.status ?? .failed).rawValue,
                composite: step?.summary.composite,
                openMustFix: step?.openMustFix ?? 0,
                mustFix: (step?.feedbackRound?.mustFix ?? []).map {
                    CritiqueFindings.Item(path: path, role: $0.role.rawValue, text: $0.text)
                },
                lint: step?.lint ?? [],
                loop: loop,
                report: report
            )
        }
    }

    private func critique(_ path: String, request: CritiqueRequest, folder: URL, relativeFolder: String) async throws
        -> ArtifactResult
    {
        let store = CritiqueLoopStore(stateDirectory: request.stateDirectory, artifact: path)
        let file = request.root.appendingPathComponent(path)
        let runner = CritiqueRunner(config: request.config, environment: environment, graceSeconds: graceSeconds)
        var steps: [Int: CritiqueStep] = [:]
        // The loop's wall time: this run's, plus what the steps an earlier run finished took then.
        let clock = ContinuousClock()
        let start = clock.now
        var reusedMs = 0

        /// The finished critique `index` of `text`, run now unless an earlier run of the loop finished it.
        func critiqueStep(_ index: Int, text: String) async throws -> CritiqueStep {
            if let done = try store.step(index) {
                if steps[index] == nil { reusedMs += done.latencyMs }
                steps[index] = done
                return done
            }
            try Self.write(text, to: file)
            let folder = store.critiqueDirectory(index)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            // The critic reports what it used in `$TOLLGATE_USAGE` (DESIGN §11); a file of an earlier, killed run
            // is not its report.
            let usageFile = folder.appendingPathComponent("usage.json")
            try? FileManager.default.removeItem(at: usageFile)
            var stepRunner = runner
            stepRunner.environment[Self.usageVariable] = usageFile.path
            let budgetKey = "critic-\(CritiqueLoopStore.slug(path))-\(index)"
            let deadline = try await request.budget?.reserveCritic(budgetKey)
            var outcome = try stepRunner.run(
                artifact: file,
                directory: request.root,
                errorFile: folder.appendingPathComponent("critic.log"),
                budget: deadline
            )
            try await request.budget?.chargeCritic(
                budgetKey,
                Self.reportedUsage(at: usageFile),
                Double(outcome.latencyMs) / 1000
            )
            for stop in outcome.summary.warnings where stop.kind == .budget { request.budget?.warn(stop.detail) }
            // A critic stopped because tollgate was interrupted said nothing about the artifact: nothing of it is
            // kept, so the next run critiques again instead of revising against "interrupted".
            if let signal = ProcessGroups.interruption { throw EngineError.interrupted(signal: signal) }
            telemetry?.record(.critiqueDuration, Double(outcome.latencyMs), phase: request.phase.number)
            let kept = outcome.keptArtifact
            let lint = ArtifactLint.findings(in: kept ?? text, path: path, root: request.root)
            outcome.addLint(lint)
            let step = CritiqueStep(
                summary: outcome.summary,
                lint: lint,
                critiqued: text,
                kept: kept,
                latencyMs: outcome.latencyMs
            )
            try store.save(
                step: step,
                index: index,
                transcript: try outcome.transcript(),
                report: CritiqueDocuments.stepReport(step, artifact: path)
            )
            try FaultPoint.afterCritiqueStep.trip()
            steps[index] = step
            return step
        }

        let loop: RevisionLoopSummary
        let iterations: [RevisionLoopMachine.Iteration]
        if let finished = try store.loopSummary() {
            loop = finished
            iterations = try store.iterations()
            for index in [0] + iterations.map(\.iteration) {
                if let step = try store.step(index) { steps[index] = step }
            }
        } else {
            let first = try await critiqueStep(0, text: try Self.read(file))
            try Self.write(first.text, to: file)
            var finished: RevisionLoopSummary
            let revisionsReusedMs: Int
            (finished, iterations, revisionsReusedMs) = try await revisionLoop(
                path: path,
                file: file,
                first: first,
                store: store,
                request: request,
                critiqueStep: critiqueStep
            )
            // Critiques the machine replayed from an earlier run's records were not loaded by this run.
            for index in iterations.map(\.iteration) where steps[index] == nil {
                if let done = try store.step(index) {
                    reusedMs += done.latencyMs
                    steps[index] = done
                }
            }
            finished.latencyMs = reusedMs + revisionsReusedMs + Self.milliseconds(clock.now - start)
            // A loop that stopped on a pass keeps the run that passed, even when an earlier one tied its composite
            // (one that shipped with lint findings, say).
            if finished.stopReason == .shipped, let passed = steps.filter({ $0.value.passed }).map(\.key).max() {
                finished.bestIteration = passed
                finished.endComposite = steps[passed]?.summary.composite
            }
            loop = finished
            try store.save(loop: loop)
        }
        let best = steps[loop.bestIteration] ?? steps[0]
        if let best { try Self.write(best.text, to: file) }
        let published = CritiqueDocuments.Published(
            artifact: path,
            loop: loop,
            steps: steps,
            iterations: iterations,
            store: store
        )
        try CritiqueDocuments.publish(published, into: folder, config: request.config)
        return ArtifactResult(path: path, step: best, loop: loop, report: relativeFolder + "/report.md")
    }

    /// Drives the revision loop to its end; returns its summary, its records, and the milliseconds the revisions an
    /// earlier run finished took (this run does not run them again).
    private func revisionLoop(
        path: String,
        file: URL,
        first: CritiqueStep,
        store: CritiqueLoopStore,
        request: CritiqueRequest,
        critiqueStep: (Int, String) async throws -> CritiqueStep
    ) async throws -> (RevisionLoopSummary, [RevisionLoopMachine.Iteration], Int) {
        let completed = try store.iterations()
        // Revisions and gates an earlier run finished: this run does not run them again.
        let revisionsReusedMs = completed.filter { $0.artifact != nil }.reduce(0) {
            $0 + $1.revisionLatencyMs + ($1.gates?.latencyMs ?? 0)
        }
        var machine = RevisionLoopMachine(
            settings: RevisionLoopMachine.Settings(request.config),
            original: first.critiqued,
            initialCritique: first.outcome,
            hasGates: !request.gates.isEmpty,
            completed: completed
        )
        // The loop's clock: what earlier runs spent on its steps, plus this run's time.
        let spentBefore = completed.reduce(0) {
            $0 + $1.revisionLatencyMs + ($1.gates?.latencyMs ?? 0) + ($1.critique?.latencyMs ?? 0)
        }
        let clock = ContinuousClock()
        let start = clock.now
        func remainingSeconds() -> Double {
            let elapsed = clock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            return Double(request.config.loopTimeoutSeconds) - Double(spentBefore) / 1000 - seconds
        }
        /// The text iteration `index` leaves: its critic's kept artifact, else its revision (0: the first critique's).
        func text(of index: Int) throws -> String {
            if let step = try store.step(index) { return step.text }
            guard let artifact = machine.artifact(of: index) else {
                throw EngineError.corruptState(
                    path: store.directory.path,
                    reason: "the critique loop has no artifact for iteration \(index)"
                )
            }
            return artifact
        }

        var queue = machine.started(remainingSeconds: remainingSeconds())
        while !queue.isEmpty {
            let action = queue.removeFirst()
            switch action {
            case .persist(let record):
                try store.save(iteration: record)
                if record.critique != nil || record.failure != nil {
                    try FaultPoint.afterIteration.trip()
                } else if record.gates != nil {
                    try FaultPoint.afterGates.trip()
                } else if record.artifact != nil {
                    try FaultPoint.afterRevision.trip()
                }
            case .revise(let iteration, let base):
                try Self.write(try text(of: base), to: file)
                var items = (try store.step(base) ?? first).feedback(iteration: iteration, path: path)
                if let gates = machine.iterations.first(where: { $0.iteration == base })?.gates {
                    items += Self.gateFeedback(gates, iteration: iteration, path: path)
                }
                let started = clock.now
                let report = try await request.revise(iteration, items)
                let latency = Self.milliseconds(clock.now - started)
                if let failure = report.failure {
                    queue += machine.stepFailed(reason: "the agent's revision \(iteration) failed: \(failure)")
                } else {
                    let revised = (try? Self.read(file)) ?? ""
                    queue += machine.revisionFinished(
                        artifact: revised,
                        tokens: report.outcome.usage?.outputTokens ?? 0,
                        latencyMs: latency
                    )
                }
            case .runGates(let iteration):
                guard let revised = machine.artifact(of: iteration) else {
                    throw EngineError.corruptState(
                        path: store.directory.path,
                        reason: "iteration \(iteration) has no revised artifact to run the gates on"
                    )
                }
                try Self.write(revised, to: file)
                var environment = self.environment
                environment["TOLLGATE_PHASE"] = "\(request.phase.number)"
                environment["TOLLGATE_PHASE_TYPE"] = request.phase.type.rawValue
                environment["TOLLGATE_REVISION"] = "\(request.revision)"
                var context = RevisionGates.Context(
                    root: request.root,
                    artifact: path,
                    iteration: iteration,
                    environment: environment,
                    log: store.gatesLog(iteration),
                    graceSeconds: graceSeconds
                )
                let gatesKey = "gates-\(CritiqueLoopStore.slug(path))-\(iteration)"
                context.budget = try await request.budget?.reserveGates(gatesKey)
                let gates = try request.gates.run(context)
                try await request.budget?.chargeGates(gatesKey, Double(gates.latencyMs) / 1000)
                telemetry?.record(.gateDuration, Double(gates.latencyMs), phase: request.phase.number)
                queue += machine.gatesFinished(gates)
            case .critique(let iteration):
                guard let revised = machine.artifact(of: iteration) else {
                    throw EngineError.corruptState(
                        path: store.directory.path,
                        reason: "iteration \(iteration) has no revised artifact"
                    )
                }
                let step = try await critiqueStep(iteration, revised)
                queue += machine.critiqueFinished(step.outcome, remainingSeconds: remainingSeconds())
            case .finish(var summary):
                if summary.stopReason == .gateBlocked, summary.failure == nil,
                    let gates = machine.iterations.last(where: { $0.gates?.passed == false })?.gates
                {
                    summary.failure = "the gate `\(gates.failedGate ?? "?")` failed"
                }
                return (summary, machine.iterations, revisionsReusedMs)
            }
        }
        throw EngineError.corruptState(
            path: store.directory.path,
            reason: "the critique loop stopped without a summary"
        )
    }

    /// A failed non-blocking gate of the artifact being revised, as a must-fix item for the agent.
    static func gateFeedback(_ gates: RevisionLoopMachine.GateOutcome, iteration: Int, path: String) -> [FeedbackItem] {
        guard !gates.passed else { return [] }
        var body = "The gate `\(gates.failedGate ?? "?")` failed on this artifact; make it pass."
        if let tail = gates.outputTail, !tail.isEmpty { body += " Its output ended with:\n\n```\n\(tail)\n```" }
        return [
            FeedbackItem(
                id: "critique-\(iteration)-gate",
                kind: .comment,
                reviewer: "gate",
                body: body,
                path: path,
                line: nil
            )
        ]
    }

    // MARK: - The phase's result

    static func combined(_ results: [ArtifactResult], request: CritiqueRequest) -> PhaseCritique {
        let worst = results.min { lhs, rhs in
            if lhs.passed != rhs.passed { return !lhs.passed }
            return (lhs.step?.summary.composite ?? -1) < (rhs.step?.summary.composite ?? -1)
        }
        let report =
            results.count == 1
            ? (results.first?.report ?? request.reportDirectory + "/report.md")
            : request.reportDirectory + "/report.md"
        return PhaseCritique(
            status: worst?.step?.status ?? .failed,
            composite: worst?.step?.summary.composite,
            threshold: request.config.threshold,
            openMustFix: results.reduce(0) { $0 + ($1.step?.openMustFix ?? 0) },
            iterations: results.reduce(0) { $0 + $1.loop.iterations },
            stopReason: worst?.loop.stopReason,
            report: report,
            startComposite: worst?.loop.startComposite,
            tokens: results.reduce(0) { $0 + $1.loop.tokens },
            latencyMs: results.reduce(0) { $0 + $1.loop.latencyMs }
        )
    }

    private static func index(_ results: [ArtifactResult], request: CritiqueRequest) -> String {
        func seconds(_ milliseconds: Int) -> String { String(format: "%.1f s", Double(milliseconds) / 1000) }
        var lines = [
            "# Critique of phase \(request.phase.number), revision \(request.revision)", "",
            "| Artifact | Status | Composite | Must-fix | Iterations | Stop reason | Tokens | Time | Report |",
            "|---|---|---:|---:|---:|---|---:|---:|---|",
        ]
        for result in results {
            let composite = result.step?.summary.composite.map { "\(Scoreboard.rounded($0))" } ?? "none"
            let link = String(result.report.dropFirst(request.reportDirectory.count + 1))
            lines.append(
                "| `\(result.path)` | \(result.record.status) | \(composite) | \(result.record.openMustFix) | "
                    + "\(result.loop.iterations) | \(result.loop.stopReason.rawValue) | \(result.loop.tokens) | "
                    + "\(seconds(result.loop.latencyMs)) | [report](\(link)) |"
            )
        }
        let tokens = results.reduce(0) { $0 + $1.loop.tokens }
        let latency = results.reduce(0) { $0 + $1.loop.latencyMs }
        lines += ["", "In all: \(tokens) token(s), \(seconds(latency))."]
        return lines.joined(separator: "\n") + "\n"
    }

    private func noArtifact(_ request: CritiqueRequest, configured: [String], into folder: URL) throws -> PhaseCritique
    {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let names = configured.map { "`\($0)`" }.joined(separator: ", ")
        let report = """
            # Critique of phase \(request.phase.number), revision \(request.revision)

            Nothing was critiqued: none of the configured artifacts (\(names)) is a file in the workspace. \
            Set `critique.artifacts` to the files the agent writes.

            """
        try Workspace.writeAtomically(Data(report.utf8), to: folder.appendingPathComponent("report.md"))
        let loop = RevisionLoopSummary(
            iterations: 0,
            startComposite: nil,
            endComposite: nil,
            tokens: 0,
            latencyMs: 0,
            stopReason: .error,
            bestIteration: 0,
            failure: "no artifact to critique"
        )
        let result = PhaseCritique(
            status: .failed,
            composite: nil,
            threshold: request.config.threshold,
            openMustFix: 0,
            iterations: 0,
            stopReason: loop.stopReason,
            report: request.reportDirectory + "/report.md"
        )
        let document = CritiqueResultDocument(result: result, artifacts: [], loop: loop)
        try Workspace.writeAtomically(
            try CritiqueDocuments.encoded(document),
            to: folder.appendingPathComponent("result.json")
        )
        return result
    }

    // MARK: - Usage

    /// The variable that holds the path a critic writes its usage to (DESIGN §11).
    public static let usageVariable = "TOLLGATE_USAGE"

    /// What a critic wrote to its usage file: the outcome's `usage` JSON (`{"inputTokens": …, "outputTokens": …,
    /// "costUSD": …}`), or an object holding it under `usage`; nil when it wrote nothing readable.
    static func reportedUsage(at file: URL) -> AgentOutcome.Usage? {
        guard let data = try? Data(contentsOf: file) else { return nil }
        struct Wrapped: Decodable { var usage: AgentOutcome.Usage? }
        let empty = AgentOutcome.Usage()
        if let usage = try? JSONDecoder().decode(AgentOutcome.Usage.self, from: data), usage != empty {
            return usage
        }
        if let wrapped = try? JSONDecoder().decode(Wrapped.self, from: data), let usage = wrapped.usage,
            usage != empty
        {
            return usage
        }
        return nil
    }

    // MARK: - Files

    static func isInsideWorkspace(_ path: String) -> Bool {
        !path.isEmpty && !path.hasPrefix("/") && ArtifactLint.normalized(path) != nil
    }

    static func read(_ file: URL) throws -> String {
        String(decoding: try Data(contentsOf: file), as: UTF8.self)
    }

    static func write(_ text: String, to file: URL) throws {
        if (try? Data(contentsOf: file)) == Data(text.utf8) { return }
        try Workspace.writeAtomically(Data(text.utf8), to: file)
    }

    static func milliseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }
}
