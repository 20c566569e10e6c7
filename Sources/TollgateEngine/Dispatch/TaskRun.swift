import Foundation
import GitKit
import TollgateCore

/// One task's agent run in its linked worktree, and the commit of what it left on the task branch: the work a
/// dispatch hands to a child task (DESIGN §10).
///
/// `Sendable` values only: it opens the worktree's repository itself (a libgit2 handle is confined to the task that
/// made it) and touches neither the job's state nor the main working tree; the dispatch records what it returns.
struct TaskRun: Sendable {
    /// What the run came to.
    struct Outcome: Sendable {
        var id: String
        var report: AgentReport
        /// The task branch's tip once the agent's work is committed.
        var tip: String
        var durationMs: Int
        /// The agent was stopped because tollgate was interrupted: nothing is recorded, the next run starts it again.
        var interrupted: Int32?
        /// The agent had finished before a crash: its kept result was taken and it did not run again.
        var adopted: Bool
    }

    /// What ``Workspace/TaskFiles/result`` keeps: the agent's report and how long it ran.
    struct Result: Codable {
        var report: AgentReport
        var durationMs: Int
    }

    var id: String
    var branch: String
    var worktree: URL
    var invocation: AgentInvocation
    var resultFile: URL
    /// The message of the commit of the agent's work, given its report.
    var message: @Sendable (AgentReport) -> String
    var signature: Signature

    /// The kept result of an agent that already ended, if there is one.
    static func recorded(at file: URL) -> Result? {
        guard let data = try? Data(contentsOf: file) else { return nil }
        return try? JSONDecoder().decode(Result.self, from: data)
    }

    /// Runs the agent (unless it ended before a crash), keeps its result, and commits its work on the task branch.
    func perform(agent: any AgentRunner) async throws -> Outcome {
        var report: AgentReport
        var durationMs: Int
        var adopted = false
        if let kept = Self.recorded(at: resultFile) {
            report = kept.report
            durationMs = kept.durationMs
            adopted = true
        } else {
            let clock = ContinuousClock()
            let start = clock.now
            report = try await agent.run(invocation)
            if let signal = ProcessGroups.interruption {
                return Outcome(id: id, report: report, tip: "", durationMs: 0, interrupted: signal, adopted: false)
            }
            durationMs = GateRunner.milliseconds(clock.now - start)
            try Workspace.writeAtomically(
                try JSONCoding.encoder.encode(Result(report: report, durationMs: durationMs)),
                to: resultFile
            )
        }
        let (worktree, branch, id, signature) = (self.worktree, self.branch, self.id, self.signature)
        let failedReport = report
        let message = self.message(failedReport)
        let (tip, misuse) = try await Blocking.run {
            try Self.commit(in: worktree, branch: branch, task: id, message: message, signature: signature)
        }
        if let misuse {
            report.failure = [misuse, report.failure].compactMap { $0 }.joined(separator: "; and ")
            // Kept with the result: a rerun after a crash finds HEAD put back, and must still fail the task.
            try Workspace.writeAtomically(
                try JSONCoding.encoder.encode(Result(report: report, durationMs: durationMs)),
                to: resultFile
            )
        }
        return Outcome(id: id, report: report, tip: tip.hex, durationMs: durationMs, interrupted: nil, adopted: adopted)
    }

    /// Commits what the agent left in the worktree on the task branch (an empty commit when it left nothing, so the
    /// branch always carries the run's trailer), unless a commit with that trailer is its tip already.
    ///
    /// HEAD left off the task branch is put back first (the working tree stays as the agent left it), and said.
    static func commit(
        in worktree: URL,
        branch: String,
        task: String,
        message: String,
        signature: Signature
    ) throws -> (OID, String?) {
        let repository = try Repository.open(at: worktree)
        var misuse: String?
        let head = try repository.symbolicHeadTarget()
        if head != "refs/heads/" + branch {
            let shown = head.map(RefGuard.displayName) ?? "a detached commit"
            misuse =
                "the task's agent left HEAD of its worktree on \(shown) instead of \(branch); an agent commits on its "
                + "task branch only. HEAD is back on \(branch), with the working tree as the agent left it."
            try repository.pointHead(atBranch: branch)
        }
        if let tip = try repository.branchTip(branch),
            Trailers.value(PlanTexts.taskRunTrailer, in: try repository.commitInfo(tip).message) == task
        {
            return (tip, misuse)
        }
        let commit = try repository.commitWorkingTree(
            message: message,
            author: signature,
            committer: signature,
            allowEmpty: true
        )
        guard let committed = try commit ?? repository.branchTip(branch) else {
            throw EngineError.corruptState(
                path: worktree.path,
                reason: "the task \(task)'s work could not be committed"
            )
        }
        return (committed, misuse)
    }
}
