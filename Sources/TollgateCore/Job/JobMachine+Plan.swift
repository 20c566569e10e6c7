/// The inputs of a dispatched plan and of verification (DESIGN §10): what the shell's dispatch and verify steps
/// report, recorded in ``JobState/plan`` and ``JobState/verification`` with the evidence events.
extension JobMachine {
    /// How the phase runs, decided as it was prepared (called by ``phasePrepared(base:plan:)``).
    mutating func planDecided(_ decision: PlanDecision) -> [JobEvent] {
        switch decision {
        case .single:
            return []
        case .skipped(let errors):
            return [
                event(
                    .planSkipped,
                    ["errors": Self.describe(errors), "count": "\(errors.count)", "next": describeNext()]
                )
            ]
        case .invalid(let errors):
            let reason =
                "todos.yaml is not a valid plan (dispatch.mode=tasks), nothing was dispatched: "
                + Self.describe(errors)
            state.freezeReason = .guardTripped(reason)
            state.next = .requestReview
            return [
                event(.planInvalid, ["errors": Self.describe(errors), "count": "\(errors.count)"]),
                event(
                    .boundaryFreeze,
                    ["reason": FreezeRule.Reason.guardTripped(reason).description, "next": describeNext()]
                ),
            ]
        case .dispatch(let plan):
            var record = PlanRecord(plan: plan, phase: state.phase, revision: state.revision)
            let created = event(
                .planCreated,
                [
                    "todos": "\(plan.todos.count)", "ids": plan.todos.map(\.id).joined(separator: ","),
                    "branch": state.branch,
                ]
            )
            record.status = .dispatching
            state.plan = record
            state.next = .dispatch
            return [created, event(.planDispatched, ["todos": "\(plan.todos.count)", "next": describeNext()])]
        }
    }

    private static func describe(_ errors: [PlanError]) -> String {
        errors.map(\.description).joined(separator: "; ")
    }

    // MARK: - Tasks

    /// The task's agent is about to run in its worktree, on its branch made from `startPoint`.
    public mutating func taskStarted(_ id: String, startPoint: String) -> Transition {
        guard var plan = state.plan, plan.task(id) != nil else { return Transition([], leaving: self) }
        if plan.status == .dispatching { plan.status = .running }
        if plan.phaseTip == nil { plan.phaseTip = startPoint }
        plan.update(id) { task in
            task.state = .running
            task.startPoint = startPoint
        }
        state.plan = plan
        return Transition(
            [event(.taskStarted, ["task": id, "branch": plan.branch(of: id), "startPoint": startPoint])],
            leaving: self
        )
    }

    /// The task's agent ended; its work is committed on the task branch at `tip`.
    public mutating func taskFinished(_ id: String, report: AgentReport, tip: String, durationMs: Int) -> Transition {
        guard state.plan?.task(id) != nil else { return Transition([], leaving: self) }
        state.plan?.update(id) { task in
            task.state = report.failure == nil ? .finished : .error
            task.tip = tip
            task.durationMs = durationMs
            task.summary = report.outcome.summary
            task.failure = report.failure
        }
        if let usage = report.outcome.usage { add(usage) }
        var data = ["task": id, "state": report.failure == nil ? "finished" : "error", "durationMs": "\(durationMs)"]
        data["commit"] = tip
        if let summary = report.outcome.summary { data["summary"] = summary }
        if let failure = report.failure { data["failure"] = failure }
        return Transition([event(.taskFinished, data)], leaving: self)
    }

    /// The task landed on the phase branch as `commit`.
    public mutating func taskLanded(_ id: String, commit: String) -> Transition {
        guard state.plan?.task(id) != nil else { return Transition([], leaving: self) }
        state.plan?.update(id) { task in
            task.state = .done
            task.commit = commit
        }
        state.plan?.phaseTip = commit
        return Transition([event(.taskMerged, ["task": id, "commit": commit])], leaving: self)
    }

    /// The task's branch conflicts with the phase branch at `paths`: nothing landed, its branch is kept.
    public mutating func taskConflicted(_ id: String, paths: [String]) -> Transition {
        guard let plan = state.plan, plan.task(id) != nil else { return Transition([], leaving: self) }
        state.plan?.update(id) { task in
            task.state = .conflict
            task.conflicts = paths
        }
        return Transition(
            [
                event(
                    .taskConflict,
                    ["task": id, "paths": paths.joined(separator: ","), "branch": plan.branch(of: id)]
                )
            ],
            leaving: self
        )
    }

    /// These tasks can never start: a dependency ended in error, conflict or blocked.
    public mutating func tasksBlocked(_ ids: [String]) -> Transition {
        guard var plan = state.plan else { return Transition([], leaving: self) }
        var events: [JobEvent] = []
        for id in ids {
            guard let task = plan.task(id), task.state == .queued else { continue }
            plan.update(id) { $0.state = .blocked }
            let missing = task.dependsOn.filter { dependency in
                guard let state = plan.task(dependency)?.state else { return false }
                return state != .done
            }
            events.append(event(.taskBlocked, ["task": id, "by": missing.joined(separator: ",")]))
        }
        state.plan = plan
        return Transition(events, leaving: self)
    }

    /// Every task is final: the phase's summary and retrospective say what landed, and the gates run next.
    public mutating func dispatchCompleted() -> Transition {
        guard var plan = state.plan else { return Transition([], leaving: self) }
        plan.status = .verifying
        state.plan = plan
        let landed = plan.tasks.filter { $0.state == .done }
        if state.phaseSummary == nil {
            state.phaseSummary = "Carry out the plan: \(landed.count) of \(plan.tasks.count) tasks landed"
        }
        state.phaseDetails = plan.tasks.map { task in
            let what = task.summary.map { ": \($0)" } ?? ""
            return "- `\(task.id)` \(task.title) — \(task.state.rawValue)\(what)"
        }.joined(separator: "\n")
        let failed = plan.failedTasks.map(\.id)
        var events = [
            event(
                .planCompleted,
                [
                    "landed": "\(landed.count)/\(plan.tasks.count)", "failed": failed.joined(separator: ","),
                ]
            )
        ]
        events += verifyScheduled(run: state.runs)
        return Transition(events, leaving: self)
    }

    // MARK: - Verification

    /// The current revision's verification failures as review items for the agent's feedback run.
    func verifyFailureItems() -> [FeedbackItem] {
        guard state.verifyFailure != nil, let failures = state.verification?.failures else { return [] }
        return failures.enumerated().map { index, failure in
            FeedbackItem(
                id: "verify-\(state.phase.label)-\(state.phase.attempt)-\(state.revision)-\(index + 1)",
                kind: .comment,
                reviewer: "tollgate verify",
                body: failure.prefix(1).uppercased() + failure.dropFirst() + "."
            )
        }
    }

    /// The gates run next (then the critique, or the boundary: ``verified(commit:critique:)``).
    mutating func verifyScheduled(run: Int) -> [JobEvent] {
        state.next = .verify(run: run)
        return []
    }

    /// A gate ended on `commit` (the branch head the verification runs on).
    public mutating func gateFinished(_ result: GateResult, commit: String) -> Transition {
        if state.verification?.phase != state.phase || state.verification?.revision != state.revision
            || state.verification?.commit != commit || state.verification?.isFinished == true
        {
            state.verification = VerifyRecord(phase: state.phase, revision: state.revision, commit: commit)
        }
        state.verification?.results.append(result)
        var data = [
            "gate": result.name, "passed": "\(result.passed)", "durationMs": "\(result.durationMs)",
            "outcome": result.outcome,
        ]
        if let code = result.exitCode { data["exitCode"] = "\(code)" }
        return Transition([event(.gateFinished, data)], leaving: self)
    }

    /// Every gate ran on `commit` (none when `verify.gates` is empty): the plan is verified or failed, then the
    /// phase's critique when `critique`, else the boundary.
    public mutating func verified(commit: String, critique: Bool) -> Transition {
        var run = state.runs
        if case .verify(let scheduled) = state.next { run = scheduled }
        if state.verification?.phase != state.phase || state.verification?.revision != state.revision
            || state.verification?.commit != commit
        {
            state.verification = VerifyRecord(phase: state.phase, revision: state.revision, commit: commit)
        }
        var failures: [String] = []
        if let plan = state.currentPlan, plan.revision == state.revision {
            failures += plan.failureLines
        }
        let results = state.verification?.results ?? []
        failures += results.filter { !$0.passed }.map { result in
            // A gate the budget stopped says which cap did and how to raise it.
            "gate `\(result.name)` failed (\(result.outcome))" + (result.budgetStop.map { ": " + $0 } ?? "")
        }
        state.verification?.failures = failures
        let passed = results.filter(\.passed).count
        var data = ["gates": "\(passed)/\(results.count) passed"]
        if let plan = state.currentPlan {
            state.plan?.status = failures.isEmpty ? .verified : .failed
            data["tasks"] = "\(plan.tasks.filter { $0.state == .done }.count)/\(plan.tasks.count) landed"
        }
        var events: [JobEvent] = []
        if failures.isEmpty {
            events.append(event(.planVerified, data))
        } else {
            data["failures"] = failures.joined(separator: "; ")
            events.append(event(.planFailed, data))
        }
        if critique {
            state.next = .critique(run: run)
            events.append(event(.critiqueScheduled, ["run": "\(run)", "next": describeNext()]))
            return Transition(events, leaving: self)
        }
        return Transition(events + decideBoundary(guardReason: nil), leaving: self)
    }
}
