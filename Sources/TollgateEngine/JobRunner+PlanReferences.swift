import Foundation
import GitKit
import TollgateCore

/// The guard of the references only the engine moves while a plan is dispatched (DESIGN §10, §5): the job's state and
/// the phase branch, which only the engine's records and landings move, and the branches of the tasks whose agents
/// are not running.
///
/// A task's agent runs in a linked worktree of the same repository, so nothing stops it from moving the phase branch
/// (`git -C .. update-ref`, a commit in the main working tree) or another task's branch; the before-and-after guard of
/// its own run cannot see it, since the engine moves those references itself meanwhile. So the engine keeps where it
/// left each of them (``PlanRecord/phaseTip``, each task's recorded tip, no branch for a task that has not started)
/// and checks them whenever it acts (a task starting, finishing, landing). One found elsewhere is put back (the
/// phase branch with the main working tree), what was found is kept under `refs/tollgate/quarantine/`, and the tasks
/// whose agents ran since the last check fail, the message naming the reference, both commits and what to do.
extension JobRunner {
    /// Checks the references of the current plan that only the engine moves, puts back each one found moved, and
    /// returns what was found (nil when each is where the engine left it).
    ///
    /// The suspects are the tasks recorded running (unless `suspects` names them): their agents are the only ones
    /// that ran since the last check (checks come at every start, end and landing of a task, and when an interrupted
    /// dispatch ends). A dispatch that begins, or goes on in a new run, checks with none: what it finds was done
    /// between two runs of tollgate (by a person, or by an agent before tollgate was killed outright); it is put back
    /// and said, and nothing fails.
    func guardPlanReferences(suspects named: [String]? = nil) throws {
        guard let plan = state.currentPlan else { return }
        let suspects = named ?? plan.tasks.filter { $0.state == .running }.map(\.id)
        let quarantine = RefGuard.quarantinePrefix + (suspects.first.map { "task-\($0)/" } ?? "dispatch/")
        var did: [String] = []
        var kept = false
        for (name, expected) in expectedPlanReferences(plan).sorted(by: { $0.key < $1.key }) {
            let found = try repository.resolve(reference: name)
            guard found != expected else { continue }
            if name == "refs/heads/" + plan.branch, try isOwnLanding(found, of: plan) { continue }
            let short = RefGuard.displayName(name)
            if let found {
                try keepFound(found, as: quarantine + name.dropFirst("refs/".count))
                kept = true
            }
            try putBack(name, found: found, expected: expected, plan: plan)
            switch (expected, found) {
            case (let expected?, let found?):
                did.append(
                    "moved \(short) from \(expected.hex.prefix(10)) (where tollgate left it) to \(found.hex.prefix(10))"
                )
            case (let expected?, nil): did.append("deleted \(short) (tollgate left it at \(expected.hex.prefix(10)))")
            case (nil, let found?): did.append("created \(short) at \(found.hex.prefix(10)) before its task started")
            case (nil, nil): break
            }
        }
        // The main working tree is the phase branch's: landings move it with the branch.
        let head = try repository.symbolicHeadTarget()
        if head != "refs/heads/" + plan.branch {
            let shown =
                try head.map(RefGuard.displayName)
                ?? repository.resolve(reference: "HEAD").map {
                    "the detached commit \($0.hex.prefix(10))"
                }
            did.append("left the main working tree's HEAD on \(shown ?? "nothing") instead of \(plan.branch)")
            try checkout(plan.branch, during: "putting the main working tree back on \(plan.branch)")
        }
        guard !did.isEmpty else { return }
        let keep =
            kept
            ? "what was found is kept under \(quarantine) (`git log --source --glob='\(quarantine)*'`)"
            : "nothing else was found"
        let rule =
            "Only tollgate moves the job's state, the phase branch \(plan.branch) and the branches of other tasks while "
            + "a plan is dispatched; a task's agent commits on its own task branch only"
        guard !suspects.isEmpty else {
            let warning =
                "  warning: the plan's branches changed while no task's agent ran (between two runs of tollgate): "
                + "\(did.joined(separator: "; ")). \(rule). Each is back where tollgate left it; \(keep). Commit your "
                + "own changes on \(plan.branch) once the phase is frozen for review."
            progress(warning)
            return
        }
        let what = did.joined(separator: "; ")
        let who =
            suspects.count == 1
            ? "the agent of task \(suspects[0])" : "the agents of tasks \(suspects.joined(separator: ", "))"
        let unknown =
            suspects.count == 1 ? "" : " Tollgate cannot tell which of them did it, so each of their tasks fails."
        progress(
            "  the plan's branches were changed while \(who) ran: \(what).\(unknown) \(rule). Each is back where "
                + "tollgate left it; \(keep). Fix the agent; the failed plan then freezes for review (request changes, "
                + "or close the review to redo the phase)."
        )
        // The task's failure, shown in the freeze reason, the pull request and the feedback: short.
        let failure =
            (suspects.count == 1
                ? "the agent changed the plan's branches: "
                : "the agents of tasks \(suspects.joined(separator: ", ")) changed the plan's branches (tollgate "
                    + "cannot tell which): ")
            + "\(what); each is back" + (kept ? ", what was found is kept under \(quarantine)" : "")
        for id in suspects { try blame(id, failure) }
    }

    /// Where each reference the engine alone moves should be (nil: it should not exist), by full name: the state at
    /// the store's last commit, the phase branch at the recorded tip, each task branch at its recorded tip.
    private func expectedPlanReferences(_ plan: PlanRecord) -> [String: OID?] {
        var expected: [String: OID?] = [:]
        // The job's state moves as the engine records each step: where its last commit left it.
        if let state = store.tip { expected[StateStore.reference] = .some(state) }
        if let tip = plan.phaseTip.flatMap(OID.init(hex:)) {
            expected["refs/heads/" + plan.branch] = .some(tip)
        }
        for task in plan.tasks {
            let name = "refs/heads/" + plan.branch(of: task.id)
            switch task.state {
            case .running: continue
            case .queued, .blocked: expected[name] = .some(nil)
            case .finished, .done, .error, .conflict:
                if let tip = task.tip.flatMap(OID.init(hex:)) { expected[name] = .some(tip) }
            }
        }
        return expected
    }

    /// Whether `found` on the phase branch is the engine's own landing of a finished task whose record a crash cut
    /// off: one commit on the recorded tip carrying that task's trailer (the landing step then records it).
    func isOwnLanding(_ found: OID?, of plan: PlanRecord) throws -> Bool {
        guard let found, let tip = plan.phaseTip else { return false }
        let info = try repository.commitInfo(found)
        guard info.parents.map(\.hex) == [tip], let id = Trailers.value(PlanTexts.taskTrailer, in: info.message) else {
            return false
        }
        return plan.task(id)?.state == .finished
    }

    /// Puts reference `name` back to `expected` from `found`: the phase branch with the main working tree when HEAD
    /// is on it (files changed since are kept, and the reference alone moves).
    private func putBack(_ name: String, found: OID?, expected: OID?, plan: PlanRecord) throws {
        let message = "tollgate: put back"
        switch (found, expected) {
        case (let found?, let expected?) where name == "refs/heads/" + plan.branch:
            let moved: Bool
            do {
                try repository.moveBranch(plan.branch, from: found, to: expected, reflog: message)
                moved = true
            } catch {
                guard error.isConflict || error.isNotFound else { throw error }
                moved = false
            }
            if !moved {
                // Changed files in the main working tree, or `found` is no commit: the reference alone is put back.
                try repository.updateReference(name, to: expected, expected: found, message: message)
            }
        case (let found?, let expected?):
            try repository.updateReference(name, to: expected, expected: found, message: message)
        case (nil, let expected?):
            try repository.updateReference(name, to: expected, expected: nil, message: message)
        case (.some, nil):
            try repository.deleteReference(name)
        case (nil, nil):
            break
        }
    }

    /// Points quarantine reference `name` at `oid`.
    private func keepFound(_ oid: OID, as name: String) throws {
        let existing = try repository.resolve(reference: name)
        guard existing != oid else { return }
        try repository.updateReference(name, to: oid, expected: existing, message: "tollgate: quarantine")
    }

    /// Keeps `failure` for task `id`, whose agent may still run: its end is recorded as a failure with it, after a
    /// crash too.
    private func blame(_ id: String, _ failure: String) throws {
        let file = workspace.taskFiles(phase: state.phase, task: id).blame
        let earlier = blamed(id).map { $0 + "; and " } ?? ""
        guard !earlier.contains(failure) else { return }
        planBlames[id] = earlier + failure
        try Workspace.writeAtomically(Data((earlier + failure).utf8), to: file)
    }

    /// What ``guardPlanReferences(suspects:)`` blamed task `id` for, if anything.
    ///
    /// This run's blame counts whatever became of the file; the file carries it to a run after a crash.
    func blamed(_ id: String) -> String? {
        planBlames[id]
            ?? (try? String(contentsOf: workspace.taskFiles(phase: state.phase, task: id).blame, encoding: .utf8))
    }
}
