import Foundation
import GitKit
import TollgateCore

/// A tactical phase with a plan (DESIGN §10): the plan read as the phase is prepared, its todos dispatched as tasks
/// (one agent a task in its own linked worktree, at most `dispatch.maxParallel` at once, each landing on the phase
/// branch as one commit, one landing at a time), and the task branches cleaned up when the phase lands.
///
/// The decisions are ``DispatchMachine``'s; every step is recorded in the job's state (``JobState/plan``) with its
/// event before the next one, and each is idempotent, so a dispatch killed at any point goes on without running a
/// finished task again: a task's kept result is taken instead of running its agent, its commit on the task branch
/// is found by its trailer, its landing by the `Tollgate-Task` trailer.
extension JobRunner {
    /// How the phase being prepared runs, from `dispatch.mode` and `todos.yaml` on `main` (at `main`).
    ///
    /// Only a tactical phase in work mode dispatches.
    func planDecision(main: OID) throws -> PlanDecision {
        guard state.phase.type == .tactical, state.pendingFeedback.isEmpty else { return .single }
        let mode = config[ConfigKeys.dispatchMode]
        guard mode != .single, let data = try repository.fileContents(TodoPlan.fileName, at: main) else {
            return .single
        }
        guard let text = String(data: data, encoding: .utf8) else {
            let error = PlanError(line: 0, column: 0, message: "the file is not UTF-8 text")
            return PlanDecision.decide(mode: mode, reading: .invalid([error]))
        }
        return PlanDecision.decide(mode: mode, reading: TodoPlan.read(text))
    }

    /// Whether `verify.gates` run after the current run's commit: after any tactical run when gates are set, and
    /// after a feedback run of a dispatched plan (its failures are judged again).
    var verifyDue: Bool {
        state.phase.type == .tactical && (!config[ConfigKeys.verifyGates].isEmpty || state.currentPlan != nil)
    }

    // MARK: - The dispatch step

    func dispatch() async throws {
        guard let plan = state.currentPlan else {
            throw EngineError.corruptState(path: workspace.root.path, reason: "the dispatch step has no plan recorded")
        }
        if try repository.currentBranch() != plan.branch {
            try checkout(plan.branch, during: "dispatching the plan of \(state.phase)")
        }
        // No agent of this run has run yet: what is found moved was done between two runs, by a person or by the
        // agents that ran under a tollgate killed outright (an interrupted one checked before it stopped).
        let killed = plan.tasks.filter { task in
            task.state == .running
                && (try? String(contentsOf: workspace.taskAgentGroupRecord(plan.branch(of: task.id)), encoding: .utf8))?
                    .trimmingCharacters(in: .whitespacesAndNewlines) == Workspace.killedAgentRecord
        }
        try guardPlanReferences(suspects: killed.map(\.id))
        var dispatch = DispatchMachine(
            plan: plan.todoPlan,
            maxParallel: config[ConfigKeys.dispatchMaxParallel],
            recorded: plan.states
        )
        let left = plan.tasks.filter { !$0.state.isFinal }.count
        progress("  plan: \(plan.tasks.count) task(s), \(left) to go, at most \(dispatch.maxParallel) at once")
        let agent = self.agent
        var interrupted: Int32?
        // A task's reservation refused by a hard cap: no task starts until a running one is charged (what it
        // reports may leave room); with none running, the job is blocked with the tasks that finished kept.
        var refusal: BudgetBlock?
        // When each queued task became ready (every dependency landed, or the dispatch began): how long it then waited
        // for a free slot is `agent.queue_time_ms`.
        var readySince: [String: Duration] = [:]
        try await withThrowingTaskGroup(of: TaskRun.Outcome.self) { group in
            var running = 0
            while true {
                var acted = false
                var verify = false
                // Before anything is recorded or moved: the state and the branches are where the engine left them.
                if interrupted == nil { try guardPlanReferences() }
                noteReadyTasks(in: &readySince)
                if interrupted == nil {
                    for action in dispatch.next() {
                        switch action {
                        case .block(let ids):
                            try record(machine.tasksBlocked(ids), after: .dispatch)
                            dispatch.blocked(ids)
                            progress("  blocked (a dependency did not land): \(ids.joined(separator: ", "))")
                            acted = true
                        case .land(let id):
                            dispatch.landingStarted(id)
                            if try landTask(id) { dispatch.landed(id) } else { dispatch.conflicted(id) }
                            acted = true
                        case .start(let id):
                            guard refusal == nil else { continue }
                            let run: TaskRun
                            do {
                                run = try await startTask(id, readySince: readySince[id])
                            } catch let block as BudgetBlock {
                                // With none running, the job is blocked next and says why in full.
                                if running > 0 {
                                    progress(
                                        "  task \(id) waits: \(block.cap) leaves no room for its reservation until "
                                            + "a running task is charged"
                                    )
                                }
                                refusal = block
                                continue
                            }
                            dispatch.started(id)
                            group.addTask { try await run.perform(agent: agent) }
                            running += 1
                            acted = true
                        case .verify:
                            verify = true
                        }
                    }
                }
                if verify { break }
                if acted { continue }
                guard running > 0, let outcome = try await group.next() else {
                    if interrupted != nil || refusal != nil { break }
                    throw EngineError.corruptState(
                        path: workspace.root.path,
                        reason: "the dispatch of \(state.phase) has no task to run and none to wait for"
                    )
                }
                running -= 1
                if let signal = outcome.interrupted {
                    interrupted = signal
                    continue
                }
                let succeeded = try await finishTask(outcome)
                dispatch.finished(outcome.id, succeeded: succeeded)
                refusal = nil
            }
        }
        let during = "bringing the main working tree up to \(plan.branch) after its tasks landed"
        if let interrupted {
            // The agents stopped ran since the last check: they are the suspects, not whoever comes before the next run.
            try guardPlanReferences()
            // What landed is in the working tree for whoever looks; left behind, the next run catches up.
            try? catchUpWorkingTree(during: during)
            throw EngineError.interrupted(signal: interrupted)
        }
        if let refusal {
            try? catchUpWorkingTree(during: during)
            throw refusal
        }
        try catchUpWorkingTree(during: during)
        try removeTaskWorktrees()
        try record(machine.dispatchCompleted(), after: .dispatch)
        if let done = state.currentPlan {
            progress("  plan: \(done.progress.summary) landed on \(done.branch)")
        }
    }

    /// Notes the time at which each queued task whose dependencies have all landed was first seen ready.
    private func noteReadyTasks(in readySince: inout [String: Duration]) {
        guard let plan = state.currentPlan else { return }
        let now = engineClock.now
        for task in plan.tasks where task.state == .queued && readySince[task.id] == nil {
            if task.dependsOn.allSatisfy({ plan.task($0)?.state == .done }) { readySince[task.id] = now }
        }
    }

    /// The key task `id`'s run reserves and is charged under (DESIGN §11), unique in the job.
    func taskBudgetKey(_ id: String) -> String {
        "phase-\(state.phase.number)-rev-\(state.revision)-task-\(id)"
    }

    /// Reserves task `id`'s run (unless its agent ended before a crash: its kept result is charged), records its
    /// start (unless a run before a crash did), makes its worktree on its branch from the recorded start point,
    /// writes its brief, and returns its run.
    ///
    /// - Throws: ``BudgetBlock`` before anything of the task is done when its reservation is refused.
    /// `readySince` is when the task became ready, on ``JobRunner/engineClock``: the time since is recorded as
    /// `agent.queue_time_ms` when its agent starts (not when a kept result is taken).
    private func startTask(_ id: String, readySince: Duration?) async throws -> TaskRun {
        guard let plan = state.currentPlan, let task = plan.task(id) else {
            throw EngineError.corruptState(path: workspace.root.path, reason: "the plan has no task \(id)")
        }
        let files = workspace.taskFiles(phase: state.phase, task: id)
        // A task blamed for the plan's branches before tollgate was interrupted fails as it is: its agent (maybe the
        // one that moved them) does not run again.
        let condemned = TaskRun.recorded(at: files.result) == nil && blamed(id) != nil
        if condemned, let blame = blamed(id) {
            let result = TaskRun.Result(report: AgentReport(failure: blame), durationMs: 0)
            try Workspace.writeAtomically(try JSONCoding.encoder.encode(result), to: files.result)
        }
        let adopting = TaskRun.recorded(at: files.result) != nil
        var timeout = config[ConfigKeys.agentTimeoutSeconds]
        var reserved: [JobEvent] = []
        var budgetStop: String?
        if adopting {
            await budget.adopt(taskBudgetKey(id))
        } else {
            (timeout, budgetStop, reserved) = try await reserveTaskRun(taskBudgetKey(id), timeout: timeout)
        }
        let name = plan.branch(of: id)
        let startPoint: OID
        if task.state == .running, let recorded = task.startPoint.flatMap(OID.init(hex:)) {
            // Started before a crash: the same branch, from the same point, with its result if it had ended.
            startPoint = recorded
            if !reserved.isEmpty { try record(reserved, after: nil) }
        } else {
            // From where the engine left the phase branch, whatever a running agent did to it.
            try guardPlanReferences()
            guard let tip = try state.currentPlan?.phaseTip.flatMap(OID.init(hex:)) ?? repository.branchTip(plan.branch)
            else {
                throw EngineError.corruptState(path: workspace.root.path, reason: "\(plan.branch) is missing")
            }
            startPoint = tip
            // The reservation is committed with the start, before the agent runs: one state commit for both.
            try record(machine.taskStarted(id, startPoint: tip.hex).after(reserved), after: .dispatch)
        }
        if !reserved.isEmpty { try FaultPoint.afterReserve.trip() }
        _ = try taskReferencesBefore(files)
        let path = workspace.worktree(name)
        try repository.addWorktree(name: name, at: path, branch: name, from: startPoint, reusing: worktreeSpares)
        guard let started = state.currentPlan else {
            throw EngineError.corruptState(path: workspace.root.path, reason: "the plan is gone")
        }
        let brief = try PlanTexts.taskBrief(
            state,
            task: task,
            plan: started,
            outcomePath: files.outcome.path,
            templates: templates
        )
        try Workspace.writeAtomically(Data(brief.utf8), to: files.brief)
        let environment = [
            "TOLLGATE_JOB": state.id,
            "TOLLGATE_PHASE": "\(state.phase.number)",
            "TOLLGATE_PHASE_TYPE": state.phase.type.rawValue,
            "TOLLGATE_MODE": AgentMode.task.rawValue,
            "TOLLGATE_REVISION": "\(state.revision)",
            "TOLLGATE_AUTONOMY": state.autonomy.rawValue,
            "TOLLGATE_BRANCH": name,
            "TOLLGATE_PHASE_BRANCH": plan.branch,
            "TOLLGATE_TASK": id,
            "TOLLGATE_TASK_TITLE": task.title,
            "TOLLGATE_BRIEF": files.brief.path,
            "TOLLGATE_OUTCOME": files.outcome.path,
            "TOLLGATE_WORKSPACE": path.path,
        ]
        var invocation = AgentInvocation(
            command: config[ConfigKeys.agentCommand],
            environment: environment,
            directory: path,
            outcomeFile: files.outcome,
            logFile: files.log,
            timeoutSeconds: timeout,
            graceSeconds: config[ConfigKeys.agentGraceSeconds],
            runtimeRecord: workspace.taskAgentGroupRecord(name)
        )
        invocation.budgetStop = budgetStop
        let how =
            condemned
            ? "is not run again (it fails: its agent ran when the plan's branches were changed)"
            : adopting ? "ended before the crash; taking its result" : "started"
        progress("  task \(id) \(how) on \(name)")
        if !adopting, let readySince {
            let waited = GateRunner.milliseconds(engineClock.now - readySince)
            telemetry?.record(.agentQueueTime, Double(waited), phase: state.phase.number)
        }
        try FaultPoint.afterTaskStart.trip()
        let job = state
        return TaskRun(
            id: id,
            branch: name,
            worktree: path,
            invocation: invocation,
            resultFile: files.result,
            message: { report in
                PlanTexts.taskRunMessage(
                    job,
                    task: id,
                    summary: report.outcome.summary,
                    failed: report.failure != nil
                )
            },
            signature: signature
        )
    }

    /// Records how task `outcome.id` ended (its references checked first), with its charge; returns whether it
    /// succeeded.
    private func finishTask(_ outcome: TaskRun.Outcome) async throws -> Bool {
        guard let plan = state.currentPlan else {
            throw EngineError.corruptState(path: workspace.root.path, reason: "the plan is gone")
        }
        var report = outcome.report
        let files = workspace.taskFiles(phase: state.phase, task: outcome.id)
        try guardPlanReferences()
        var misuses: [String] = []
        if let blamed = blamed(outcome.id), report.failure?.contains(blamed) != true { misuses.append(blamed) }
        if let misuse = try restoreTaskReferences(files, task: outcome.id, plan: plan) { misuses.append(misuse) }
        if !misuses.isEmpty {
            report.failure = (misuses + [report.failure].compactMap { $0 }).joined(separator: "; and ")
            try Workspace.writeAtomically(
                try JSONCoding.encoder.encode(TaskRun.Result(report: report, durationMs: outcome.durationMs)),
                to: files.result
            )
        }
        try FaultPoint.afterTaskFinish.trip()
        let charged = try await chargeTaskRun(
            taskBudgetKey(outcome.id),
            report: report,
            durationMs: outcome.durationMs
        )
        try record(
            machine.taskFinished(outcome.id, report: report, tip: outcome.tip, durationMs: outcome.durationMs)
                .after(charged),
            after: .dispatch
        )
        let time = GateReport.seconds(outcome.durationMs)
        if let failure = report.failure {
            progress("  task \(outcome.id) failed (\(time)): \(failure)")
            try removeTaskWorktree(plan.branch(of: outcome.id))
            return false
        }
        progress("  task \(outcome.id) finished (\(time)): \(report.outcome.summary ?? "no summary")")
        return true
    }

    /// Lands task `id` on the phase branch; returns false when it conflicts (nothing written, its branch kept).
    private func landTask(_ id: String) throws -> Bool {
        guard let plan = state.currentPlan, let task = plan.task(id),
            let base = task.startPoint.flatMap(OID.init(hex:))
        else {
            throw EngineError.corruptState(path: workspace.root.path, reason: "task \(id) has no recorded start")
        }
        if try repository.currentBranch() != plan.branch {
            try checkout(plan.branch, during: "landing task \(id)")
        }
        // The phase branch alone moves: rewriting the main index at every landing would cost what the workspace
        // weighs. The record says the working tree is behind until it catches up, after the last landing.
        let behind = workspace.workingTreeBehindRecord
        if !FileManager.default.fileExists(atPath: behind.path) {
            try Workspace.writeAtomically(Data(plan.branch.utf8), to: behind)
        }
        let result = try land(task, base: base)
        switch result {
        case .landed(let commit, _), .alreadyLanded(let commit):
            try FaultPoint.afterTaskMerge.trip()
            try record(machine.taskLanded(id, commit: commit.hex), after: .dispatch)
            progress("  task \(id) landed on \(plan.branch) as \(commit.hex.prefix(10))")
            try removeTaskWorktree(plan.branch(of: id))
            return true
        case .conflicts(let conflicts):
            let paths = conflicts.map(\.path)
            try record(machine.taskConflicted(id, paths: paths), after: .dispatch)
            progress(
                "  task \(id) conflicts with \(plan.branch) in \(paths.joined(separator: ", ")); "
                    + "its work is kept on \(plan.branch(of: id))"
            )
            try removeTaskWorktree(plan.branch(of: id))
            return false
        }
    }

    /// Lands `task` from the phase branch's recorded tip by compare-and-swap (the references only the engine moves
    /// checked and put back first), with the task branch's recorded tip as its work.
    ///
    /// A running agent that moves the phase branch meanwhile loses the race: the landing is tried again once it is
    /// put back.
    private func land(_ task: PlanRecord.Task, base: OID) throws -> LandingResult {
        var attempts = 0
        while true {
            attempts += 1
            try guardPlanReferences()
            guard let plan = state.currentPlan else {
                throw EngineError.corruptState(path: workspace.root.path, reason: "the plan is gone")
            }
            var expected = plan.phaseTip.flatMap(OID.init(hex:))
            if let expectedTip = expected, let current = try repository.branchTip(plan.branch), current != expectedTip {
                // The landing itself, before a crash cut off its record (found by its trailer), or a move since the
                // check (checked again).
                guard try isOwnLanding(current, of: plan) else {
                    if attempts < 3 { continue }
                    throw EngineError.corruptState(
                        path: workspace.root.path,
                        reason: "\(plan.branch) keeps moving while task \(task.id) lands"
                    )
                }
                expected = current
            }
            do {
                return try repository.land(
                    branch: plan.branch(of: task.id),
                    startedAt: base,
                    onto: plan.branch,
                    expectedTip: expected,
                    branchTip: task.tip.flatMap(OID.init(hex:)),
                    message: PlanTexts.landingMessage(state, task: task),
                    trailerKey: PlanTexts.taskTrailer,
                    trailerValue: task.id,
                    author: signature,
                    committer: signature,
                    leavingWorkingTree: true
                )
            } catch {
                // The working tree stays behind (it catches up after the last landing), so no file of it is in the way.
                if error.isModified, attempts < 3 { continue }
                throw error
            }
        }
    }

    /// The changed and untracked paths of the main working tree outside the engine's folders (against the index
    /// alone with `workingTreeOnly`: an index landings left behind is no one's change).
    func strayChanges(workingTreeOnly: Bool = false) throws -> [String] {
        try repository.uncommittedPaths(limit: 50, workingTreeOnly: workingTreeOnly).filter { path in
            !Workspace.engineFolders.contains { path == $0 || path.hasPrefix($0 + "/") }
        }
    }

    // MARK: - Worktrees

    /// Where the files of finished tasks' worktrees wait for the next task's (GitKit's ``WorktreeSpares``): a task's
    /// worktree is then the previous one's files with only those that differ written, not a whole checkout.
    var worktreeSpares: WorktreeSpares {
        WorktreeSpares(
            folder: workspace.privateDirectory.appendingPathComponent("worktree-spares", isDirectory: true),
            limit: max(config[ConfigKeys.dispatchMaxParallel], 1)
        )
    }

    /// Removes a task's worktree, its files kept for the next task's unless `keepingFiles` is false.
    private func removeTaskWorktree(_ name: String, keepingFiles: Bool = true) throws {
        try repository.removeWorktree(name, keepingFilesIn: keepingFiles ? worktreeSpares : nil)
        try? FileManager.default.removeItem(at: workspace.taskAgentGroupRecord(name))
    }

    /// Removes the worktrees of the current plan's tasks that are left (a crash between a landing's record and the
    /// removal leaves one), and the spare files of those that were removed.
    func removeTaskWorktrees() throws {
        guard let plan = state.currentPlan else { return }
        for task in plan.tasks where try repository.worktree(named: plan.branch(of: task.id)) != nil {
            try removeTaskWorktree(plan.branch(of: task.id), keepingFiles: false)
        }
        try repository.clearWorktreeSpares(worktreeSpares)
    }

    /// When the phase has landed on `main`: its tasks' worktrees go, and the branches of the tasks that landed
    /// (their work is in the phase's squash); the branches of tasks that failed or conflicted stay, for reading.
    func cleanUpTasks() throws {
        guard let plan = state.currentPlan else { return }
        try removeTaskWorktrees()
        for task in plan.tasks where task.state == .done {
            _ = try repository.deleteBranch(plan.branch(of: task.id))
        }
    }

    // MARK: - The ref guard of a task (DESIGN §5)

    /// The references the engine itself moves while task agents run (the state, the phase branch, the task
    /// branches): a task's guard does not hold them against it.
    ///
    /// The phase branch and the task branches are held by ``guardPlanReferences(suspects:)`` instead, against where the engine
    /// left them; any other branch, one named like a task's included, is the task's guard's.
    private func movedByTheEngine(_ name: String, plan: PlanRecord) -> Bool {
        name == StateStore.reference || name == "refs/heads/" + plan.branch
            || plan.tasks.contains { name == "refs/heads/" + plan.branch(of: $0.id) }
            || name.hasPrefix(RefGuard.quarantinePrefix)
    }

    /// The references as they were before the task's agent ran, kept in its files so a rerun compares with the same.
    private func taskReferencesBefore(_ files: Workspace.TaskFiles) throws -> [String: String] {
        if let data = try? Data(contentsOf: files.references),
            let saved = try? JSONDecoder().decode([String: String].self, from: data)
        {
            return saved
        }
        let current = try repository.references().mapValues(\.hex)
        try Workspace.writeAtomically(try JSONCoding.encoder.encode(current), to: files.references)
        return current
    }

    /// Undoes what a task's agent did to references other than its task branch: each moved or created one is kept
    /// under `refs/tollgate/quarantine/task-<id>/` and put back; returns the task's failure when there was any.
    private func restoreTaskReferences(_ files: Workspace.TaskFiles, task id: String, plan: PlanRecord) throws
        -> String?
    {
        let before = try taskReferencesBefore(files).filter { !movedByTheEngine($0.key, plan: plan) }
        let after = try repository.references().mapValues(\.hex).filter { !movedByTheEngine($0.key, plan: plan) }
        let branch = plan.branch(of: id)
        let changes = RefGuard.changes(before: before, after: after, phaseBranch: branch)
        guard !changes.isEmpty else { return nil }
        var did: [String] = []
        for change in changes {
            let short = RefGuard.displayName(change.name)
            let tail = change.name.hasPrefix("refs/") ? String(change.name.dropFirst(5)) : change.name
            let quarantine = "\(RefGuard.quarantinePrefix)task-\(id)/\(tail)"
            let current = after[change.name].flatMap(OID.init(hex:))
            if let current {
                let existing = try repository.resolve(reference: quarantine)
                if existing != current {
                    try repository.updateReference(
                        quarantine,
                        to: current,
                        expected: existing,
                        message: "tollgate: quarantine"
                    )
                }
            }
            switch change.kind {
            case .moved(let from, let to):
                did.append("moved \(short) from \(from.prefix(10)) to \(to.prefix(10))")
                if let old = OID(hex: from) {
                    try repository.updateReference(
                        change.name,
                        to: old,
                        expected: current,
                        message: "tollgate: put back"
                    )
                }
            case .deleted(let from):
                did.append("deleted \(short) (was \(from.prefix(10)))")
                if let old = OID(hex: from) {
                    try repository.updateReference(change.name, to: old, expected: nil, message: "tollgate: put back")
                }
            case .created(let to):
                did.append("created \(short) at \(to.prefix(10))")
                try repository.deleteReference(change.name)
            }
        }
        let failure =
            "the task's agent changed git state it must leave alone: \(did.joined(separator: "; ")). A task's agent "
            + "commits on \(branch) only; each reference is as it was, and the agent's commits are kept under "
            + "\(RefGuard.quarantinePrefix)task-\(id)/."
        progress("  \(failure)")
        return failure
    }
}
