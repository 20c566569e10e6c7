import Foundation
import GitKit
import TollgateCore

/// Landing a phase: the squash (by the host, or locally), a stale approval found at the merge, and the phase's end.
extension JobRunner {
    func merge(approvers: [String]) async throws {
        let started = ContinuousClock.now
        let branch = state.branch
        let commit: OID
        if let landed = try landedSquash() {
            commit = landed
        } else {
            guard let head = try repository.branchTip(branch) else {
                throw EngineError.corruptState(
                    path: workspace.root.path,
                    reason: "\(branch) is missing before its merge"
                )
            }
            let message = try squashMessage(approvers: approvers)
            var landedOnHost: String?
            if let review = state.review {
                switch try await host.merge(review, title: squashTitle, message: message, head: head.hex) {
                case .squashLocally: break
                case .merged(let remote): landedOnHost = remote
                case .headMoved(let approved, let moved):
                    try approvalOutdated(approved: approved, head: moved, review: review, approvers: approvers)
                    return
                }
            }
            if let remote = landedOnHost {
                guard let oid = OID(hex: remote) else { throw EngineError.host("the host reported a bad merge commit") }
                commit = oid
            } else {
                if try repository.currentBranch() == "main" { try checkout(branch, during: "merging \(branch)") }
                switch try repository.squashMerge(
                    branch: branch,
                    into: "main",
                    message: message,
                    author: signature,
                    committer: signature
                )
                {
                case .merged(let oid, _):
                    commit = oid
                case .upToDate:
                    // Nothing to land (the phase changed no file): still one squash commit, so main tells the story.
                    commit = try repository.commitEmptySquash(
                        onto: "main",
                        message: message,
                        author: signature,
                        committer: signature
                    )
                case .conflicts(let conflicts):
                    throw EngineError.mergeConflict(branch: branch, paths: conflicts.map(\.path))
                }
                try await host.publish(branches: ["main"])
            }
            try FaultPoint.afterMerge.trip()
        }
        progress("  merged into main as \(commit.hex.prefix(10))")
        let phase = state.phase.number
        try record(machine.phaseMerged(commit: commit.hex, approvers: approvers), after: .merge(approvers: approvers))
        telemetry?.record(.mergeLatency, Double(GateRunner.milliseconds(ContinuousClock.now - started)), phase: phase)
    }

    // MARK: - Telemetry of the review

    /// Keeps when the review of the current revision was asked for, in the workspace's private folder (a runtime
    /// fact, not the job's record), for `review.wait_ms` once its verdict is read; nothing is kept without telemetry.
    func noteReviewRequested() {
        guard telemetry?.enabled == true else { return }
        let millis = Int((clock().timeIntervalSince1970 * 1000).rounded())
        try? Workspace.writeAtomically(Data("\(millis)\n".utf8), to: workspace.reviewRequestedRecord)
    }

    /// Records `review.wait_ms`, from the review's request to the verdict just read, once.
    func recordReviewWait() {
        let file = workspace.reviewRequestedRecord
        guard let telemetry, let text = try? String(contentsOf: file, encoding: .utf8),
            let requested = Double(text.trimmingCharacters(in: .whitespacesAndNewlines))
        else { return }
        try? FileManager.default.removeItem(at: file)
        telemetry.record(
            .reviewWait,
            max(clock().timeIntervalSince1970 * 1000 - requested, 0),
            phase: state.phase.number
        )
    }

    /// The host refused to merge because the branch moved after the approval: the approval is stale, so the review
    /// is asked again for the new head (which the host already fetched into the workspace).
    private func approvalOutdated(approved: String, head: String, review: ReviewHandle, approvers: [String]) throws {
        let pushers = try reviewerCommitAuthors(since: review.head, tip: head)
        let who = approvers.isEmpty ? "the reviewers" : approvers.joined(separator: ", ")
        let note =
            "not merged: the branch moved from the approved \(approved.prefix(10)) to \(head.prefix(10)) before the "
            + "merge, so the approval by \(who) does not cover what would land; review was asked again for "
            + "\(head.prefix(10))"
        freezeNote = note  // printed once, with the frozen stop
        try record(
            machine.verdictRead(.stale(approvers: approvers, head: head), pushedBy: pushers),
            after: .merge(approvers: approvers)
        )
    }

    func finishPhase() async throws {
        let branch = state.branch
        if try repository.currentBranch() != "main" { try checkout("main", during: "finishing \(state.phase)") }
        try cleanUpTasks()
        _ = try repository.deleteBranch(branch)
        if let review = state.review, let landed = state.merged.last {
            try await host.markMerged(review, commit: landed.commit)
        }
        try FaultPoint.afterFinish.trip()
        try record(machine.phaseFinished(), after: .finishPhase)
        if state.status == .completed {
            // The host's copy of the job ends where the local one does (a no-op for the local host).
            try await host.publish(branches: ["main"])
        }
    }

    // MARK: - Idempotency probe

    /// The squash commit of the current phase, if it is already on `main`.
    ///
    /// Read back from `main`'s tip parent by parent, down to the commit the previous phase merged as (the phase
    /// lands after it, so nothing older can be its squash) or 50 commits: normally the tip is that commit, and the
    /// probe reads nothing, however long the job.
    private func landedSquash() throws -> OID? {
        guard let main = try repository.branchTip("main") else { return nil }
        let previous = state.merged.last.flatMap { OID(hex: $0.commit) }
        var next: OID? = main
        var read = 0
        while let oid = next, oid != previous, read < 50 {
            let commit = try repository.commitInfo(oid)
            let message = commit.message
            if Trailers.value("Tollgate-Job", in: message) == state.id
                && Trailers.value("Tollgate-Phase", in: message) == state.phase.label
            {
                return commit.oid
            }
            next = commit.parents.first
            read += 1
        }
        return nil
    }
}
