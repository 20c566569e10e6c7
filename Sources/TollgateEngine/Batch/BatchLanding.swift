import Foundation
import GitKit
import TollgateCore

/// Lands a batch's accepted revisions on the user's current branch as one commit (`--accept`), and reverts that
/// commit (`--rollback`).
///
/// Each is built on a scratch branch in a scratch worktree of its own, then landed by ``Repository/land`` (a
/// three-way merge against the branch's start, the working tree and index moved safely, the branch moved by
/// compare-and-swap), so a user's later commits are merged with, never overwritten, and a dirty working tree stops
/// it with nothing changed. Both are idempotent by their trailer (`Tollgate-Batch-Accept: <id>: <units>`,
/// `Tollgate-Batch-Rollback: <id>`): run again after a crash or by hand, they find their commit and change nothing.
/// Only the units' files land; the batch's reports stay on its branch.
public struct BatchLanding {
    /// What a landing did.
    public enum Result: Sendable, Equatable {
        /// A new commit on `branch` with these units.
        case landed(commit: String, branch: String, units: [String])
        /// An earlier call made this commit already.
        case alreadyDone(commit: String, branch: String)
    }

    /// The repository whose current branch receives the commit.
    public var repository: URL

    /// Creates a landing for the repository at `repository`.
    public init(repository: URL) {
        self.repository = repository
    }

    static let acceptKey = "Tollgate-Batch-Accept"
    static let rollbackKey = "Tollgate-Batch-Rollback"

    /// Lands the revisions of batch `id` (of `only` units when not empty) on the current branch.
    ///
    /// - Throws: `EngineError.usage` for an unknown batch or unit, a detached HEAD, or a batch that revised none of
    ///   the units; `EngineError.mergeConflict` when the user's branch changed the same lines;
    ///   `EngineError.dirtyWorkspace` when uncommitted changes are in the way.
    public func accept(_ id: String, units only: [String]) throws -> Result {
        let repository = try BatchRunner.open(self.repository)
        let recorded = try BatchStore.recorded(id, in: repository)
        let target = try currentBranch(repository)
        guard let base = OID(hex: recorded.settings.base),
            let tip = try repository.branchTip(BatchSettings.branch(id))
        else { throw EngineError.usage("batch \(id) names no valid start commit") }
        let known = Set(recorded.summary.units.map(\.unit))
        for unit in only where !known.contains(unit) {
            throw EngineError.usage(
                "batch \(id) has no unit \(unit); its units: \(known.sorted().joined(separator: ", "))"
            )
        }
        let changed = Set(try repository.changedPaths(from: base, to: tip))
        let revised = recorded.summary.units.map(\.unit).filter {
            changed.contains($0) && (only.isEmpty || only.contains($0))
        }
        guard !revised.isEmpty else {
            throw EngineError.usage(
                "batch \(id) revised \(only.isEmpty ? "no unit" : "none of " + only.joined(separator: ", ")): "
                    + "there is nothing to accept (a batch revises only with --revise)"
            )
        }
        guard let head = try repository.branchTip(target) else {
            throw EngineError.usage("the branch \(target) has no commit")
        }
        // Units whose revision is on the branch already (an earlier accept) are left out of this one.
        let pending = try revised.filter {
            try repository.fileContents($0, at: head) != repository.fileContents($0, at: tip)
        }
        guard !pending.isEmpty else {
            let accepted = try latestAccept(of: id, in: repository, from: head)
            return .alreadyDone(commit: (accepted?.oid ?? head).hex, branch: target)
        }
        // After a rollback the same units may be accepted again: that accept is a new one, with a trailer of its
        // own, so the probe for a crashed earlier call does not mistake the rolled-back commit for it.
        let rollbacks = try repository.log(from: head, limit: 1000).prefix { $0.oid != base }.filter {
            Repository.trailer(Self.rollbackKey, in: $0.message) == id
        }.count
        let trailer =
            "\(id): " + pending.joined(separator: ", ") + (rollbacks == 0 ? "" : " (after rollback \(rollbacks))")
        var message = "Accept batch \(id): \(pending.count) revised unit(s)\n\nTollgate-Batch: \(id)"
        for unit in pending { message += "\nTollgate-Unit: \(unit)" }
        return try land(
            in: repository,
            scratch: "batch-accept/\(id)",
            from: base,
            onto: target,
            message: message,
            trailer: (Self.acceptKey, trailer),
            units: pending
        ) { path in try repository.fileContents(path, at: tip) }
    }

    /// Reverts the commit that accepted batch `id` on the current branch (the latest one, when several did).
    public func rollback(_ id: String) throws -> Result {
        let repository = try BatchRunner.open(self.repository)
        let target = try currentBranch(repository)
        guard let head = try repository.branchTip(target) else {
            throw EngineError.usage("the branch \(target) has no commit")
        }
        guard let accepted = try latestAccept(of: id, in: repository, from: head) else {
            throw EngineError.usage(
                "no commit on \(target) accepted batch \(id) (none in its last 1000 commits carries "
                    + "\(Self.acceptKey): \(id)): there is nothing to roll back"
            )
        }
        guard let parent = accepted.parents.first else {
            throw EngineError.usage("the commit \(accepted.oid) that accepted batch \(id) has no parent")
        }
        let paths = try repository.changedPaths(from: parent, to: accepted.oid)
        return try land(
            in: repository,
            scratch: "batch-rollback/\(id)",
            from: accepted.oid,
            onto: target,
            message: "Roll back batch \(id): revert \(accepted.oid.hex.prefix(12))\n\nTollgate-Batch: \(id)",
            trailer: (Self.rollbackKey, id),
            units: paths
        ) { path in try repository.fileContents(path, at: parent) }
    }

    /// The latest commit of the last 1000 from `head` that accepted batch `id`.
    private func latestAccept(of id: String, in repository: Repository, from head: OID) throws -> CommitInfo? {
        try repository.log(from: head, limit: 1000).first {
            Repository.trailer(Self.acceptKey, in: $0.message)?.hasPrefix(id + ":") == true
        }
    }

    private func currentBranch(_ repository: Repository) throws -> String {
        guard let branch = try repository.currentBranch() else {
            throw EngineError.usage("HEAD is detached: check out the branch to land the batch on first")
        }
        return branch
    }

    /// Commits `units` with the contents `contents` gives (nil: deleted) on a scratch branch made at `start`, in a
    /// scratch worktree, and lands that branch on `target`; the scratch branch and worktree are deleted after.
    private func land(
        in repository: Repository,
        scratch: String,
        from start: OID,
        onto target: String,
        message: String,
        trailer: (key: String, value: String),
        units: [String],
        contents: (String) throws -> Data?
    ) throws -> Result {
        let name = scratch.replacingOccurrences(of: "/", with: "-")
        let path = repository.gitDirectory.appendingPathComponent("tollgate/worktrees/\(name)", isDirectory: true)
        // A scratch branch an interrupted call left may hold an older attempt: start over from `start`.
        try repository.removeWorktree(name)
        _ = try repository.deleteBranch(scratch)
        try repository.addWorktree(name: name, at: path, branch: scratch, from: start)
        defer {
            _ = try? repository.removeWorktree(name)
            _ = try? repository.deleteBranch(scratch)
        }
        let worktree = try Repository.open(at: path)
        for unit in units {
            let file = path.appendingPathComponent(unit)
            if let data = try contents(unit) {
                try FileManager.default.createDirectory(
                    at: file.deletingLastPathComponent(),
                    withIntermediateDirectories: true
                )
                try Workspace.writeAtomically(data, to: file)
            } else if FileManager.default.fileExists(atPath: file.path) {
                try FileManager.default.removeItem(at: file)
            }
        }
        try worktree.commitWorkingTree(
            message: message,
            author: BatchRunner.signature,
            committer: BatchRunner.signature
        )
        let result: LandingResult
        do {
            result = try repository.land(
                branch: scratch,
                startedAt: start,
                onto: target,
                message: message,
                trailerKey: trailer.key,
                trailerValue: trailer.value,
                author: BatchRunner.signature,
                committer: BatchRunner.signature
            )
        } catch {
            let conflict = error.isConflict
            if conflict {
                throw EngineError.dirtyWorkspace(path: self.repository.path, during: "landing the batch on \(target)")
            }
            throw error
        }
        switch result {
        case .landed(let commit, _): return .landed(commit: commit.hex, branch: target, units: units)
        case .alreadyLanded(let commit): return .alreadyDone(commit: commit.hex, branch: target)
        case .conflicts(let conflicts):
            throw EngineError.mergeConflict(branch: target, paths: conflicts.map(\.path))
        }
    }
}
