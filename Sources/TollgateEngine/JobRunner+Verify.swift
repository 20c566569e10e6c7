import Foundation
import GitKit
import TollgateCore

/// The verify step (DESIGN §10): `verify.gates` run in order on the phase branch's head (every gate, even after one
/// failed), each result recorded as it ends, the results committed as `verify/phase-N/rev-M/gates.json` and
/// `report.md` (with the retrospective of a dispatched plan), and commit statuses posted where the host shows them.
///
/// Killed at any point, it goes on: a gate whose result is recorded does not run again, a status already posted is
/// not posted twice, and the commit is found by its `Tollgate-Gates` trailer.
extension JobRunner {
    func verify(run: Int) async throws {
        let branch = state.branch
        let revision = state.revision
        let gates = config[ConfigKeys.verifyGates]
        guard let head = try repository.branchTip(branch) else {
            throw EngineError.corruptState(path: workspace.root.path, reason: "\(branch) is missing before its gates")
        }
        let headInfo = try repository.commitInfo(head)
        let checked: OID
        let results: [GateResult]
        if Trailers.value(PlanTexts.gatesTrailer, in: headInfo.message) == "\(revision)" {
            // Committed before a crash: the gates ran on the commit before it.
            checked = state.verification.flatMap { OID(hex: $0.commit) } ?? headInfo.parents.first ?? head
            results = state.verification?.results ?? []
        } else {
            try workOn(branch, during: "verifying \(state.phase)")
            if state.currentPlan?.revision == revision {
                // A dispatched revision: the main working tree is the phase branch's head, nothing more. Gates run
                // on it, and the verification's commit would sweep in what a task's agent left there.
                let stray = try strayChanges()
                if !stray.isEmpty {
                    throw EngineError.strayChanges(
                        path: workspace.root.path,
                        paths: stray,
                        branch: branch,
                        during: "verifying the plan of \(state.phase)"
                    )
                }
            }
            checked = head
            if !gates.isEmpty {
                // The commit must be on the host before statuses can be posted on it.
                try await host.publish(branches: [branch])
            }
            results = try await runGates(gates, on: head, run: run)
            try commitVerification(results, checked: head)
        }
        if !gates.isEmpty, let tip = try repository.branchTip(branch) {
            let report = GateReport(
                phase: state.phase.number,
                revision: revision,
                commit: checked.hex,
                results: results
            )
            if tip != checked { try await host.publish(branches: [branch]) }
            for commit in Set([checked.hex, tip.hex]).sorted() {
                for result in results { await post(GateReport.finished(result), on: commit) }
                await post(report.verifyFinished, on: commit)
            }
        }
        let critique = CritiqueConfig(config).applies(to: state.phase.type)
        try record(machine.verified(commit: checked.hex, critique: critique), after: .verify(run: run))
        if let failure = state.verifyFailure {
            progress("  \(failure)")
        } else if !gates.isEmpty {
            progress("  verified: \(results.count) gate(s) passed")
        }
    }

    /// Runs the gates not recorded yet for this revision on `commit`; returns every gate's result, in order.
    private func runGates(_ gates: [GateSpec], on commit: OID, run: Int) async throws -> [GateResult] {
        let revision = state.revision
        var done: [GateResult] = []
        if let recorded = state.verification, recorded.phase == state.phase, recorded.revision == revision,
            recorded.commit == commit.hex, !recorded.isFinished
        {
            for (index, result) in recorded.results.enumerated() where index < gates.count {
                guard result.name == gates[index].name, done.count == index else { break }
                done.append(result)
            }
        }
        guard !gates.isEmpty else { return [] }
        let runner = GateRunner(
            gates: gates,
            defaultTimeoutSeconds: GateSpec.defaultVerifyTimeoutSeconds,
            graceSeconds: config[ConfigKeys.agentGraceSeconds]
        )
        let tokenVariable = config[ConfigKeys.giteaTokenEnv]
        let secrets = [tokenVariable, "TOLLGATE_GITEA_TOKEN"].compactMap { ProcessInfo.processInfo.environment[$0] }
        var environment = JobSession.childEnvironment(config: config)
        environment["TOLLGATE_JOB"] = state.id
        environment["TOLLGATE_PHASE"] = "\(state.phase.number)"
        environment["TOLLGATE_PHASE_TYPE"] = state.phase.type.rawValue
        environment["TOLLGATE_REVISION"] = "\(revision)"
        environment["TOLLGATE_BRANCH"] = state.branch
        let context = GateRunner.Context(
            directory: workspace.root,
            environment: environment,
            log: GateRunner.Context.logFiles(in: workspace.verifyLogs(phase: state.phase, revision: revision)),
            redacting: secrets
        )
        // What an earlier, killed run recorded may not have reached the host yet.
        if done.isEmpty {
            await post(GateReport.verifyStarted(gates: gates.count), on: commit.hex)
        } else {
            for result in done { await post(GateReport.finished(result), on: commit.hex) }
        }
        for index in done.count..<gates.count {
            if let signal = ProcessGroups.interruption { throw EngineError.interrupted(signal: signal) }
            let gate = gates[index]
            // Checked against every hard cap before it starts, charged its wall time after (DESIGN §11).
            let budgetKey = "run-\(run)-rev-\(revision)-gate-\(index + 1)"
            let deadline = try await reserveGateRun(
                budgetKey,
                timeout: gate.timeoutSeconds ?? GateSpec.defaultVerifyTimeoutSeconds
            )
            await post(GateReport.started(gate), on: commit.hex)
            progress("  gate \(gate.name): \(gate.command)")
            let result = try await Blocking.run { try runner.run(gateAt: index, context, budget: deadline) }
            let charged = try await charge(budgetKey, usage: [.seconds: Double(result.durationMs) / 1000])
            try record(machine.gateFinished(result, commit: commit.hex).after(charged), after: .verify(run: run))
            try FaultPoint.afterGate.trip()
            await post(GateReport.finished(result), on: commit.hex)
            let time = GateReport.seconds(result.durationMs)
            progress("  gate \(gate.name) \(result.passed ? "passed" : result.outcome) (\(time))")
            done.append(result)
        }
        return done
    }

    /// Commits the gates' results (and, after a dispatch, the phase's retrospective) on the phase branch.
    private func commitVerification(_ results: [GateResult], checked: OID) throws {
        let revision = state.revision
        var wrote = false
        if !config[ConfigKeys.verifyGates].isEmpty {
            let report = GateReport(
                phase: state.phase.number,
                revision: revision,
                commit: checked.hex,
                results: results
            )
            let folder = workspace.root.appendingPathComponent(report.folder, isDirectory: true)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try Workspace.writeInPlace(Data(report.json().utf8), to: folder.appendingPathComponent("gates.json"))
            try Workspace.writeInPlace(Data(report.markdown().utf8), to: folder.appendingPathComponent("report.md"))
            wrote = true
        }
        if let plan = state.currentPlan, plan.revision == revision {
            // A dispatched phase has no agent run of its own to write it: the plan's story is the retrospective.
            let text = try PhaseTexts.retrospective(state, report: AgentReport(), templates: templates)
            let url = workspace.root.appendingPathComponent(PhaseTexts.retrospectivePath(state))
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(),
                withIntermediateDirectories: true
            )
            try Workspace.writeInPlace(Data(text.utf8), to: url)
            wrote = true
        }
        guard wrote else { return }
        let passed = results.allSatisfy(\.passed)
        let message = PlanTexts.gatesCommitMessage(state, passed: passed, gates: results.count)
        if let commit = try repository.commitWorkingTree(
            message: message,
            author: signature,
            committer: signature,
            forcing: Workspace.engineFolders
        ) {
            progress("  committed the verification as \(commit.hex.prefix(10)) on \(state.branch)")
        }
    }

    /// Posts a commit status; a host that refuses is a warning (the results are committed either way).
    private func post(_ status: GateReport.Status, on commit: String) async {
        do {
            try await host.postStatus(status, on: commit)
        } catch {
            progress("  warning: the commit status \(status.context) was not posted: \(error)")
        }
    }
}
