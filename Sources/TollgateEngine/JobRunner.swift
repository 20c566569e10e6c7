import Foundation
import GitKit
import TollgateCore

/// The imperative shell around ``JobMachine``: executes the next step, feeds its result to the machine, records the
/// new state, and repeats until the job freezes, completes or fails.
///
/// Every step is idempotent: before doing its side effect it looks whether the effect is already there (a branch,
/// a recorded agent result, a commit carrying the run's trailer, an open review, a squash carrying the phase's
/// trailer), so a process killed at any point and started again finishes the job with nothing duplicated.
final class JobRunner {
    /// Why `drive` returned.
    enum Stop: Equatable {
        case frozen(ReviewHandle, note: String?)
        case completed
        case failed(String)
        /// A budget's hard cap: the next run would cross it (DESIGN §11).
        case blocked(String)

        init(_ stop: JobMachine.Stop) {
            switch stop {
            case .completed: self = .completed
            case .failed(let cause): self = .failed(cause)
            case .blocked(let message): self = .blocked(message)
            case .cancelled: self = .failed("the job was cancelled")
            }
        }
    }

    let workspace: Workspace
    let store: StateStore
    let host: any ReviewHost
    let agent: any AgentRunner
    let critic: (any PhaseCritic)?
    let templates: TemplateCatalog
    let progress: (String) -> Void
    let clock: () -> Date
    var machine: JobMachine
    var config: ResolvedConfig
    /// Why the job froze again in this drive, when the verdict alone does not say it (a merge refused by the host).
    var freezeNote: String?
    /// Where every run reserves and is charged (``JobRunner/budget``), made on first use.
    var budgetGuard: BudgetGuard?
    /// Where the drive's own figures go (`review.wait_ms`, `merge.latency_ms`); nil records none.
    var telemetry: TelemetryLog?
    /// Why each task fails for the plan's references its agent may have moved, by task id: kept here as well as in
    /// the task's files, which a task's agent still running could delete.
    var planBlames: [String: String] = [:]
    /// What the engine's own durations are measured by (how long a ready task waited for a slot).
    var engineClock: any EngineClock = SystemClock()
    /// The action the machine answered the last recorded transition with: what the step being performed hands back
    /// to the drive loop.
    private(set) var nextAction: JobMachine.Action

    init(
        workspace: Workspace,
        store: StateStore,
        host: any ReviewHost,
        agent: any AgentRunner,
        critic: (any PhaseCritic)? = nil,
        templates: TemplateCatalog,
        progress: @escaping (String) -> Void,
        clock: @escaping () -> Date = Date.init
    ) throws {
        guard let document = store.document else { throw EngineError.notAJob(path: workspace.root.path) }
        self.workspace = workspace
        self.store = store
        self.host = host
        self.agent = agent
        self.critic = critic
        self.templates = templates
        self.progress = progress
        self.clock = clock
        self.machine = JobMachine(state: document.job)
        self.nextAction = machine.action
        self.config = document.config
    }

    var state: JobState { machine.state }
    var repository: Repository { workspace.repository }

    /// Runs steps until the job freezes, completes or fails.
    ///
    /// With `readVerdict`, a frozen job reads the verdict once. Whatever way it returns (or throws), the transitions
    /// kept in memory are committed first.
    func drive(readVerdict: Bool) async throws -> Stop {
        let stop: Stop
        do {
            stop = try await driveSteps(readVerdict: readVerdict)
        } catch {
            try? store.flush(now: clock())
            throw error
        }
        try store.flush(now: clock())
        return stop
    }

    /// The loop: asks the machine for its next action, does it, feeds the result back, until it says to finish or
    /// the job freezes.
    private func driveSteps(readVerdict: Bool) async throws -> Stop {
        var mayReadVerdict = readVerdict
        let earlierFailure = state.failure
        let resumed = machine.resumed()
        if resumed.events.contains(where: { $0.type == .jobRetried }) {
            progress("retrying after: \(earlierFailure ?? "an earlier failure")")
        }
        if !resumed.events.isEmpty { try record(resumed, after: nil) }
        var action = resumed.action
        while true {
            switch action {
            case .stop(let stop):
                return Stop(stop)
            case .awaitVerdict(let review):
                guard mayReadVerdict else { return await frozenStop(review, note: freezeNote) }
                mayReadVerdict = false
                let read = try await self.readVerdict(review)
                if let note = read.note { return await frozenStop(review, note: note) }
                action = read.action
            case .perform(let step):
                if let signal = ProcessGroups.interruption, step != .commitRun(run: state.runs) {
                    // The interrupted agent's work is committed (that step is let through) and every step so far is
                    // recorded: a later run goes on from this one.
                    return .failed(EngineError.interrupted(signal: signal).description)
                }
                do {
                    action = try await perform(step)
                } catch EngineError.interrupted(let signal) {
                    return .failed(EngineError.interrupted(signal: signal).description)
                } catch let block as BudgetBlock {
                    action = try recordBlocked(block, at: step)
                } catch let error as EngineError where error.isUserFixable {
                    action = try record(machine.stepFailed(error.description), after: step)
                } catch let gitError as GitError {
                    // git refused the step (a repository of its own inside the work, a ref someone else holds
                    // locked, a full disk): like a user-fixable error, the job is marked failed with git's reason,
                    // so `status` names it, and the next run retries the step. Were the record to fail too, the
                    // first error is the one to report.
                    do {
                        action = try record(machine.stepFailed(gitError.description), after: step)
                    } catch {
                        throw gitError
                    }
                }
            }
        }
    }

    private func frozenStop(_ review: ReviewHandle, note: String?) async -> Stop {
        // The freeze was recorded after the branches were pushed: the host's copy of the state catches up now.
        do {
            try await host.publish(branches: [])
        } catch {
            progress(
                "  warning: the job state is not published to the review host yet (\(error)); the next run does it"
            )
        }
        return .frozen(review, note: note)
    }

    // MARK: - Steps

    /// Performs `step`; returns the action the machine answered its last recorded input with.
    private func perform(_ step: Step) async throws -> JobMachine.Action {
        nextAction = .perform(step)
        switch step {
        case .preparePhase: try preparePhase()
        case .runAgent(let run, let mode): try await runAgent(run: run, mode: mode)
        case .commitRun(let run): try commitRun(run)
        case .critique(let run): try await critique(run: run)
        case .dispatch: try await dispatch()
        case .verify(let run): try await verify(run: run)
        case .requestReview: try await requestReview()
        case .merge(let approvers): try await merge(approvers: approvers)
        case .finishPhase: try await finishPhase()
        // The machine answers a recorded await-verdict as ``JobMachine/Action/awaitVerdict(_:)``, never as this.
        case .awaitVerdict: break
        }
        return nextAction
    }

    private func preparePhase() throws {
        let branch = state.branch
        guard let main = try repository.branchTip("main") else {
            throw EngineError.corruptState(path: workspace.root.path, reason: "the workspace has no main branch")
        }
        if try repository.branchTip(branch) == nil {
            try repository.createBranch(branch, at: main)
        }
        try workOn(branch, during: "starting \(state.phase)")
        progress("\(state.phase) on \(branch)")
        try FaultPoint.afterBranch.trip()
        // A tactical phase reads the plan the strategic phase merged (JobRunner+Dispatch.swift).
        try record(machine.phasePrepared(base: main.hex, plan: try planDecision(main: main)), after: .preparePhase)
    }

    private func runAgent(run: Int, mode: AgentMode) async throws {
        let resultFile = workspace.runResult(run)
        var report: AgentReport
        var charged: [JobEvent]
        if let data = try? Data(contentsOf: resultFile),
            let recorded = try? JSONDecoder().decode(AgentReport.self, from: data)
        {
            report = recorded
            charged = try await chargeAgentRun("run-\(run)", report: report, since: nil)
        } else {
            if mode == .feedback, let review = state.review {
                try await host.syncBranch(state.branch, review: review)
            }
            try workOn(state.branch, during: "running the agent")
            var invocation = try prepareInvocation(run: run, mode: mode)
            let reserved = try await reserveAgentRun("run-\(run)", invocation: &invocation)
            progress("  agent (\(mode.rawValue), revision \(state.revision)): \(invocation.command)")
            let refsBefore = try referencesBeforeRun(run, stateMovedByEngine: reserved)
            let started = ContinuousClock.now
            report = try await agent.run(invocation)
            charged = try await chargeAgentRun("run-\(run)", report: report, since: started)
            try checkRepositoryIsThere()
            if let misuse = try restoreReferences(refsBefore, run: run) {
                report.failure = [misuse, report.failure].compactMap { $0 }.joined(separator: "; and ")
            }
            try Workspace.writeAtomically(try JSONCoding.encoder.encode(report), to: resultFile)
            try FaultPoint.afterAgent.trip()
        }
        if let failure = report.failure { progress("  agent failed: \(failure)") }
        try record(
            machine.agentFinished(run: run, report: report).after(charged),
            after: .runAgent(run: run, mode: mode)
        )
    }

    /// Fails the command when the agent removed the repository (`rm -rf .git`): nothing of the job can be recorded
    /// in this working tree any more.
    private func checkRepositoryIsThere() throws {
        let head = repository.gitDirectory.appendingPathComponent("HEAD")
        guard !FileManager.default.fileExists(atPath: head.path) else { return }
        throw EngineError.stateDamaged(
            path: workspace.root.path,
            reason: "the agent removed the repository (\(repository.gitDirectory.path) is gone), with the job's "
                + "history and state. The agent's files are still in the working tree. If the job was published "
                + "(review.host=gitea), clone its repository again and continue there; otherwise restore .git from "
                + "a backup."
        )
    }

    /// The references as they were before run `run`, kept in the job's private files so that a run started again
    /// after a crash compares with the same snapshot.
    ///
    /// One file serves every run (`.git/tollgate/refs.json`, naming its run), rewritten in place before each agent
    /// starts: a crash while it is written leaves no agent running and a file that does not read, so the next try
    /// takes the snapshot again. With `stateMovedByEngine` (a budget reservation was made since), the state branch
    /// is taken as it is now.
    private func referencesBeforeRun(_ run: Int, stateMovedByEngine: Bool = false) throws -> [String: String] {
        let file = workspace.referenceSnapshot
        let saved =
            (try? Data(contentsOf: file)).flatMap { try? JSONDecoder().decode(ReferenceSnapshot.self, from: $0) }
            .flatMap { $0.run == run ? $0.references : nil }
            ?? (try? Data(contentsOf: workspace.legacyReferenceSnapshot(run))).flatMap {
                try? JSONDecoder().decode([String: String].self, from: $0)
            }
        if var saved {
            if stateMovedByEngine, let tip = store.tip { saved[StateStore.reference] = tip.hex }
            return saved
        }
        let current = try repository.references().mapValues(\.hex)
        try Workspace.writeInPlace(
            try JSONCoding.encoder.encode(ReferenceSnapshot(run: run, references: current)),
            to: file
        )
        return current
    }

    /// Undoes what the agent did to references other than its phase branch (DESIGN §5): each moved or created
    /// one is kept under the quarantine and put back, HEAD goes back on the phase branch (the working tree stays as
    /// the agent left it, so its work is committed there).
    ///
    /// Returns the run's failure when there was anything to undo.
    private func restoreReferences(_ before: [String: String], run: Int) throws -> String? {
        let branch = state.branch
        let after = try repository.references().mapValues(\.hex)
        let changes = RefGuard.changes(before: before, after: after, phaseBranch: branch)
        var headElsewhere: String?
        var keptHead = false
        let headTarget = try repository.symbolicHeadTarget()
        if headTarget != "refs/heads/" + branch {
            if let headTarget {
                headElsewhere = RefGuard.displayName(headTarget)
            } else {
                let detached = try repository.resolve(reference: "HEAD")
                headElsewhere = "the detached commit \(detached?.hex.prefix(10) ?? "(none)")"
                if let detached, detached.hex != after["refs/heads/" + branch] {
                    try keep(detached, as: "\(RefGuard.quarantinePrefix)run-\(run)/HEAD")
                    keptHead = true
                }
            }
        }
        for change in changes {
            if let quarantine = change.quarantineName(run: run), let new = after[change.name].flatMap(OID.init(hex:)) {
                try keep(new, as: quarantine)
            }
            switch change.kind {
            case .moved(let from, _), .deleted(let from):
                guard let old = OID(hex: from) else { continue }
                let current = after[change.name].flatMap(OID.init(hex:))
                try repository.updateReference(change.name, to: old, expected: current, message: "tollgate: put back")
            case .created:
                try repository.deleteReference(change.name)
            }
        }
        if headElsewhere != nil { try repository.pointHead(atBranch: branch) }
        guard
            let failure = RefGuard.failure(
                changes: changes,
                headElsewhere: headElsewhere,
                keptHead: keptHead,
                phaseBranch: branch,
                run: run
            )
        else { return nil }
        progress("  \(failure)")
        return failure
    }

    /// Points quarantine reference `name` at `oid` (whatever it pointed at before: a rerun keeps the same).
    private func keep(_ oid: OID, as name: String) throws {
        let existing = try repository.resolve(reference: name)
        guard existing != oid else { return }
        try repository.updateReference(name, to: oid, expected: existing, message: "tollgate: quarantine")
    }

    private func commitRun(_ run: Int) throws {
        let report = state.lastRun ?? AgentReport()
        let branch = state.branch
        let head: OID
        if let tip = try repository.branchTip(branch),
            Trailers.value("Tollgate-Run", in: try repository.commitInfo(tip).message) == "\(run)"
        {
            head = tip
        } else {
            try workOn(branch, during: "committing the agent's work")
            if report.failure == nil { try writeRetrospective(report) }
            let summary =
                report.failure == nil
                ? (report.outcome.summary ?? "agent run \(run)") : "agent run \(run) failed"
            let message = PhaseTexts.runCommitMessage(state, run: run, summary: summary)
            guard
                let commit = try repository.commitWorkingTree(
                    message: message,
                    author: signature,
                    committer: signature,
                    allowEmpty: true,
                    forcing: Workspace.engineFolders
                )
            else {
                throw EngineError.corruptState(
                    path: workspace.root.path,
                    reason: "the agent's work could not be committed"
                )
            }
            head = commit
            try FaultPoint.afterCommit.trip()
        }
        progress("  committed \(head.hex.prefix(10)) on \(branch)")
        let critiqued = report.failure == nil && CritiqueConfig(config).applies(to: state.phase.type)
        try record(
            machine.runCommitted(
                run: run,
                head: head.hex,
                critique: critiqued,
                verify: report.failure == nil && verifyDue
            ),
            after: .commitRun(run: run)
        )
    }

    private func critique(run: Int) async throws {
        let settings = CritiqueConfig(config)
        let result: PhaseCritique
        if let landed = try committedCritique(run: run) {
            result = landed
        } else {
            guard let critic else {
                throw EngineError.usage("critique.enabled is set but this build has no critic; unset critique.enabled")
            }
            try workOn(state.branch, during: "critiquing \(state.phase)")
            progress("  critique: \(settings.command)")
            var request = CritiqueRequest(
                phase: state.phase,
                revision: state.revision,
                root: workspace.root,
                stateDirectory: workspace.critiqueState(phase: state.phase, revision: state.revision),
                config: settings,
                gates: RevisionGates(resolved: config)
            ) { [self] iteration, items in
                try await self.revise(run: run, iteration: iteration, items: items)
            }
            request.budget = critiqueBudget(run: run)
            result = try await critic.critique(request)
            // A critique cut short by Ctrl-C is not a verdict on the work: it is done again by the next run.
            if let signal = ProcessGroups.interruption { throw EngineError.interrupted(signal: signal) }
            let message = PhaseTexts.critiqueCommitMessage(
                state,
                run: run,
                status: "\(result.status)",
                line: result.line
            )
            _ = try repository.commitWorkingTree(
                message: message,
                author: signature,
                committer: signature,
                allowEmpty: true,
                forcing: Workspace.engineFolders
            )
            try FaultPoint.afterCommit.trip()
        }
        progress("  \(result.line)")
        try record(machine.critiqueFinished(result, escalate: settings.escalate), after: .critique(run: run))
    }

    /// The critique of this run, if its commit is already on the branch (a rerun after a crash).
    private func committedCritique(run: Int) throws -> PhaseCritique? {
        guard let tip = try repository.branchTip(state.branch) else { return nil }
        let info = try repository.commitInfo(tip)
        guard Trailers.value("Tollgate-Critique", in: info.message) == "\(run)" else { return nil }
        let path = "critique/phase-\(state.phase.number)/rev-\(state.revision)/result.json"
        guard let data = try repository.fileContents(path, at: tip) else { return nil }
        return try JSONDecoder().decode(PhaseCritique.self, from: data)
    }

    /// One revise iteration of the critique loop: the agent in revise mode with the must-fix items.
    private func revise(run: Int, iteration: Int, items: [FeedbackItem]) async throws -> AgentReport {
        if let signal = ProcessGroups.interruption { throw EngineError.interrupted(signal: signal) }
        let key = run * 10 + iteration
        var invocation = try prepareInvocation(run: key, mode: .revise, items: items)
        let budgetKey = "run-\(run)-revise-\(iteration)"
        let reserved = try await reserveAgentRun(budgetKey, invocation: &invocation)
        if let first = items.first {
            let text = first.body.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
            let shown = text.count > 72 ? text.prefix(71) + "…" : Substring(text)
            progress("  critique did not ship: \(items.count) item(s) to revise, first: \(shown)")
        }
        progress("  agent (revise, iteration \(iteration)): \(invocation.command)")
        let refsBefore = try referencesBeforeRun(key, stateMovedByEngine: reserved)
        let started = ContinuousClock.now
        var report = try await agent.run(invocation)
        let charged = try await chargeAgentRun(budgetKey, report: report, since: started)
        if let misuse = try restoreReferences(refsBefore, run: key) {
            report.failure = [misuse, report.failure].compactMap { $0 }.joined(separator: "; and ")
        }
        // A charge without events (no cap) rides with the critique's own transition.
        if !charged.isEmpty { try record(charged, after: .critique(run: run)) }
        return report
    }

    private func requestReview() async throws {
        let branch = state.branch
        guard let head = try repository.branchTip(branch) else {
            throw EngineError.corruptState(path: workspace.root.path, reason: "\(branch) is missing")
        }
        // What the reviewer is shown stays reachable (and in a clone) after the branch is merged and deleted.
        try RevisionsBranch.record(
            head,
            label: "\(state.phase), revision \(state.revision)",
            in: repository,
            signature: signature
        )
        try await host.publish(branches: [branch, RevisionsBranch.branch])
        let request = ReviewRequest(
            branch: branch,
            head: head.hex,
            title: squashTitle,
            body: try pullRequestBody(head: head),
            reviewers: config[ConfigKeys.reviewReviewers]
        )
        let handle = try await host.requestReview(request, existing: state.review)
        if handle.id == state.review?.id, let note = revisionNote(head: head) {
            try await host.postNote(note.body, key: note.key, on: handle)
        }
        // One ledger for human and machine review: the critic's must-fix items on the lines they name.
        if let findings = CritiqueFindings.read(root: workspace.root, phase: state.phase, revision: state.revision),
            !findings.items.isEmpty
        {
            try await host.postCritique(
                findings.anchored(in: workspace.root),
                summary: findings.summary(phase: state.phase, revision: state.revision),
                key: "\(state.id)/\(state.phase.label)/critique-\(state.revision)",
                on: handle
            )
        }
        try FaultPoint.afterReviewOpen.trip()
        try record(machine.reviewRequested(handle), after: .requestReview)
        noteReviewRequested()
        progress("  frozen for review: \(state.freezeReason?.description ?? "review")")
    }

    /// What the last revision answered, for a review asked again after requested changes.
    ///
    /// The note only informs reviewers: a feedback or result file that is missing or unreadable (the private
    /// `.git/tollgate` folder is not part of the job's record) leaves its part out rather than failing the freeze.
    private func revisionNote(head: OID) -> RevisionNote? {
        let run = state.runs
        let items = (try? Data(contentsOf: workspace.feedback(run))).flatMap {
            try? JSONDecoder().decode([FeedbackItem].self, from: $0)
        }
        let report = (try? Data(contentsOf: workspace.runResult(run))).flatMap {
            try? JSONDecoder().decode(AgentReport.self, from: $0)
        }
        let root = workspace.root
        return RevisionNote(
            job: state.id,
            phase: state.phase,
            revision: state.revision,
            head: head.hex,
            report: report,
            items: items ?? [],
            critique: CritiqueFindings.read(root: root, phase: state.phase, revision: state.revision - 1).map {
                RevisionNote.CritiqueProgress(
                    before: $0.items.count,
                    after: CritiqueFindings.read(root: root, phase: state.phase, revision: state.revision)?.items.count
                )
            }
        )
    }

    /// Reads the verdict and records it; returns a note when the job stays frozen, and the action the verdict leads
    /// to.
    private func readVerdict(_ review: ReviewHandle) async throws -> (note: String?, action: JobMachine.Action) {
        let bot = try await host.botAccount()
        let snapshot = try await host.snapshot(of: review)
        // Commits reviewers pushed come into the local branch first, so the engine credits them and merges exactly
        // the head the reviewers approved.
        if snapshot.state == .open, try repository.branchTip(state.branch)?.hex != snapshot.head {
            try await host.syncBranch(state.branch, review: review)
        }
        let verdict = Verdict.read(snapshot, bot: bot, answered: Set(state.answered))
        let pushers = try reviewerCommitAuthors(since: review.head, tip: snapshot.head)
        try FaultPoint.afterVerdict.trip()
        let transition = machine.verdictRead(verdict, pushedBy: pushers)
        if !transition.events.isEmpty { try record(transition, after: .awaitVerdict) }
        switch verdict {
        case .pending, .stale: break
        case .approved, .changesRequested, .closed, .mergedOnHost: recordReviewWait()
        }
        switch verdict {
        case .pending(let waiting):
            let who = waiting.isEmpty ? "a reviewer" : waiting.joined(separator: ", ")
            return ("no verdict yet: waiting for \(who) on \(review.location)", transition.action)
        case .stale(let approvers, let head):
            progress(
                "  the approval by \(approvers.joined(separator: ", ")) is for an older commit than \(head.prefix(10)): "
                    + "not merging; asking for a review of the new head"
            )
            return (nil, transition.action)
        case .approved(let approvers): progress("  approved by \(approvers.joined(separator: ", "))")
        case .changesRequested(let items): progress("  changes requested: \(items.count) item(s) for the agent")
        case .closed: progress("  review closed without merging: redoing \(state.phase) on \(state.branch)")
        case .mergedOnHost: progress("  merged on the host by hand: adopting the host's merge commit as main")
        }
        return (nil, transition.action)
    }

    // MARK: - Idempotency probes

    /// Authors of commits on the branch between the reviewed head and `tip` that the engine did not make.
    func reviewerCommitAuthors(since reviewed: String, tip: String) throws -> [String] {
        guard reviewed != tip, let tipOID = OID(hex: tip), let reviewedOID = OID(hex: reviewed) else { return [] }
        guard (try? repository.commitInfo(tipOID)) != nil else { return [] }
        var authors: [String] = []
        for commit in try repository.log(from: tipOID, limit: 200) {
            if commit.oid == reviewedOID { break }
            if Trailers.value("Tollgate-Run", in: commit.message) != nil { continue }
            // A branch the reviewer rewrote does not contain the reviewed head: its shared history is nobody's push.
            if try repository.isAncestor(commit.oid, of: reviewedOID) { continue }
            let author = "\(commit.author.name) <\(commit.author.email)>"
            if !authors.contains(author) { authors.append(author) }
        }
        return authors.sorted()
    }

    // MARK: - Agent invocation

    private func prepareInvocation(run: Int, mode: AgentMode, items: [FeedbackItem]? = nil) throws -> AgentInvocation {
        let feedbackFile = workspace.feedback(run)
        let feedback = items ?? state.pendingFeedback
        if !feedback.isEmpty {
            try Workspace.writeAtomically(try JSONCoding.encoder.encode(feedback), to: feedbackFile)
        }
        // In place: a new file a run was a third of the run's new files, each costly where ext4 runs without a
        // journal (docs/decisions.md); the agent reads it only after it was written whole, and a crash before the
        // agent starts writes it again.
        let briefFile = workspace.brief
        try Workspace.writeInPlace(
            Data(
                try PhaseTexts.brief(
                    state,
                    mode: mode,
                    items: feedback,
                    outcomePath: workspace.outcome.path,
                    templates: templates
                ).utf8
            ),
            to: briefFile
        )
        var environment = [
            "TOLLGATE_JOB": state.id,
            "TOLLGATE_PHASE": "\(state.phase.number)",
            "TOLLGATE_PHASE_TYPE": state.phase.type.rawValue,
            "TOLLGATE_MODE": mode.rawValue,
            "TOLLGATE_REVISION": "\(state.revision)",
            "TOLLGATE_AUTONOMY": state.autonomy.rawValue,
            "TOLLGATE_BRANCH": state.branch,
            "TOLLGATE_BRIEF": briefFile.path,
            "TOLLGATE_OUTCOME": workspace.outcome.path,
            "TOLLGATE_WORKSPACE": workspace.root.path,
        ]
        if !feedback.isEmpty { environment["TOLLGATE_FEEDBACK"] = feedbackFile.path }
        return AgentInvocation(
            command: config[ConfigKeys.agentCommand],
            environment: environment,
            directory: workspace.root,
            outcomeFile: workspace.outcome,
            logFile: workspace.log(run),
            timeoutSeconds: config[ConfigKeys.agentTimeoutSeconds],
            graceSeconds: config[ConfigKeys.agentGraceSeconds],
            runtimeRecord: workspace.agentGroupRecord
        )
    }

    private func writeRetrospective(_ report: AgentReport) throws {
        let text = try PhaseTexts.retrospective(state, report: report, templates: templates)
        let url = workspace.root.appendingPathComponent(PhaseTexts.retrospectivePath(state))
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        // No fsync (Foundation's `Data.write` syncs every file): the commit that follows takes the file in, and a
        // crash before it writes the file again.
        try Workspace.writeInPlace(Data(text.utf8), to: url)
    }

    // MARK: - Messages

    var squashTitle: String { PhaseTexts.squashTitle(state) }

    func squashMessage(approvers: [String]) throws -> String {
        try PhaseTexts.squashMessage(state, approvers: approvers, templates: templates)
    }

    private func pullRequestBody(head: OID) throws -> String {
        let main = try repository.branchTip("main")
        let path = workspace.root.path
        let hint =
            host.name == .local
            ? "`tollgate review \(path) approve` (or `request-changes --comment PATH:LINE:TEXT`, or `close`), then "
                + "`tollgate resume \(path)`."
            : "approve or request changes on this pull request (inline comments are handed to the agent), "
                + "then run `tollgate resume` on the job."
        return try PhaseTexts.pullRequestBody(
            state,
            changedPaths: try repository.changedPaths(from: main, to: head),
            resumeHint: hint,
            templates: templates
        )
    }

    // MARK: - Helpers

    var signature: Signature {
        Signature(name: config[ConfigKeys.gitAuthorName], email: config[ConfigKeys.gitAuthorEmail])
    }

    /// Checks out `branch` in the main working tree, brought up to date with HEAD first if landings left it behind.
    func checkout(_ branch: String, during: String) throws {
        try catchUpWorkingTree(during: during)
        do {
            try repository.checkout(branch: branch)
        } catch {
            if error.isConflict { throw EngineError.dirtyWorkspace(path: workspace.root.path, during: during) }
            throw error
        }
    }

    /// Puts the main working tree on `branch` with its files, checking it out unless HEAD is on it already.
    func workOn(_ branch: String, during: String) throws {
        if try repository.currentBranch() == branch {
            try catchUpWorkingTree(during: during)
        } else {
            try checkout(branch, during: during)
        }
    }

    /// Brings the main working tree and index up to HEAD when a dispatch's landings left them behind
    /// (``Workspace/workingTreeBehindRecord``); files someone changed on the paths that moved stop it, named.
    func catchUpWorkingTree(during: String) throws {
        let record = workspace.workingTreeBehindRecord
        guard FileManager.default.fileExists(atPath: record.path) else { return }
        let caughtUp: WorkingTreeCatchUp
        do {
            caughtUp = try repository.catchUpWorkingTree()
        } catch {
            guard error.isConflict else { throw error }
            caughtUp = .heldBack(try strayChanges(workingTreeOnly: true))
        }
        if case .heldBack(let paths) = caughtUp {
            throw EngineError.changesInTheWay(
                path: workspace.root.path,
                paths: paths,
                branch: try repository.currentBranch() ?? "HEAD"
            )
        }
        try FileManager.default.removeItem(at: record)
    }

    /// Records `events` in memory and in the state store's journal, for a transition a crash must not lose before
    /// the next state commit carries it (a budget reservation).
    func recordJournaled(_ transition: JobMachine.Transition) throws {
        guard let document = store.document else { throw EngineError.notAJob(path: workspace.root.path) }
        var updated = document
        updated.job = machine.state
        try store.recordJournaled(updated, events: transition.events, now: clock())
        nextAction = transition.action
    }

    /// Records the machine's events with its new state: as a state commit, or in memory until the next one when
    /// ``StateCommitRule`` says the transition after `step` may wait (at `full` autonomy, two commits a phase).
    ///
    /// Returns the transition's action, which is also the one ``perform(_:)`` hands back to the drive loop.
    @discardableResult
    func record(_ transition: JobMachine.Transition, after step: Step?) throws -> JobMachine.Action {
        guard let document = store.document else { throw EngineError.notAJob(path: workspace.root.path) }
        var updated = document
        updated.job = machine.state
        if StateCommitRule.mayWait(after: step, then: transition.action, now: machine.state) {
            try store.record(updated, events: transition.events, now: clock())
        } else {
            try store.commit(updated, events: transition.events, now: clock())
        }
        nextAction = transition.action
        return transition.action
    }

    /// Records events taken from inputs whose transitions were folded into them (budget charges of a critique's
    /// critics, a task's reservation): the machine stands at the action of the last of those inputs.
    func record(_ events: [JobEvent], after step: Step?) throws {
        try record(JobMachine.Transition(events: events, action: machine.action), after: step)
    }
}

extension EngineError {
    /// Failures a user fixes and then reruns: the job is marked failed with the cause instead of crashing.
    var isUserFixable: Bool {
        switch self {
        case .mergeConflict, .dirtyWorkspace, .strayChanges, .changesInTheWay, .host: true
        default: false
        }
    }
}

extension String {
    /// The string with its first letter upper-cased.
    var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}

/// The references before a run's agent started, and which run that was.
struct ReferenceSnapshot: Codable {
    var run: Int
    var references: [String: String]
}
