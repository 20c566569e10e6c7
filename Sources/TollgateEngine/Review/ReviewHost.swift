import Foundation
import TollgateCore

/// Where reviews happen: the ports the engine drives at every freeze and resume, one small protocol each.
///
/// The local host keeps reviews on the state branch; the Gitea host keeps them in pull requests. Every method is
/// idempotent: called again after a crash, it finds what the first call did and does not do it twice. No method has
/// a default: a host says what each one does, even when that is nothing.
public protocol ReviewHost: AnyObject, ReviewPublishing, ReviewRequesting, VerdictReading, BranchSyncing,
    ReviewMerging, ReviewCommenting, CommitStatusPosting
{
    /// `local` or `gitea`, as `status` shows it and as ``ReviewHandle/host`` records it.
    var name: ReviewHostKind { get }
}

/// Makes the job's branches visible where the reviewers look.
public protocol ReviewPublishing: AnyObject {
    /// Makes sure the host has a repository for the job (Gitea creates or adopts one; nothing for the local host).
    /// - Returns: warnings for the user about what was found (e.g. a server that reports another address).
    func prepareRepository() async throws -> [String]

    /// Makes local branches, and always the state branch, visible on the host (a push for Gitea; nothing for the
    /// local host, whose reviewers read the workspace itself).
    func publish(branches: [String]) async throws
}

/// Opens, re-requests and closes reviews.
public protocol ReviewRequesting: AnyObject {
    /// Opens a review of `request.branch` at `request.head`, or asks the reviewers again when `existing` (or a review
    /// the host finds for the same branch) is open.
    func requestReview(_ request: ReviewRequest, existing: ReviewHandle?) async throws -> ReviewHandle

    /// Closes the open review without merging, saying why (`tollgate cancel`); closing a closed one does nothing.
    func close(_ handle: ReviewHandle, note: String) async throws
}

/// Reads what reviewers did.
///
/// Reading changes nothing: no ref moves, the working tree is left alone.
public protocol VerdictReading: AnyObject {
    /// The account that opens reviews; its own reviews and comments never count as a verdict.
    func botAccount() async throws -> String

    /// What the reviewers did so far, and the head the review shows now (which may be ahead of the local branch
    /// when a reviewer pushed: ``BranchSyncing`` brings those commits in).
    func snapshot(of handle: ReviewHandle) async throws -> ReviewSnapshot
}

/// Brings commits reviewers pushed to a review's branch into the local repository.
public protocol BranchSyncing: AnyObject {
    /// Fast-forwards the local branch onto the host's, or takes the host's when the two diverged (keeping the local
    /// tip reachable). The local host has the reviewers' commits already and does nothing.
    func syncBranch(_ branch: String, review handle: ReviewHandle) async throws
}

/// Lands approved reviews.
public protocol ReviewMerging: AnyObject {
    /// Lands an approved review at `head`, the commit the approval was for.
    func merge(_ handle: ReviewHandle, title: String, message: String, head: String) async throws -> MergeResult

    /// Records that the review's branch landed as `commit` (the local host marks it merged; Gitea deletes the
    /// branch when it kept it).
    func markMerged(_ handle: ReviewHandle, commit: String) async throws
}

/// What a merge request came to.
public enum MergeResult: Sendable, Equatable {
    /// The host does not merge: the engine squashes locally (the local host).
    case squashLocally
    /// The host made `commit` on its `main`, which is now the local `main` too (Gitea).
    case merged(commit: String)
    /// The branch moved after the approval (now at `head`, fetched into the workspace): the approval does not cover
    /// what would land, so nothing merged. A verdict, not an error: the engine asks for a review again.
    case headMoved(approved: String, head: String)
}

/// Posts the engine's own comments on a review.
public protocol ReviewCommenting: AnyObject {
    /// Posts `body` as a comment on the review, once per `key`: a rerun after a crash finds the earlier comment
    /// and posts nothing.
    func postNote(_ body: String, key: String, on handle: ReviewHandle) async throws

    /// Posts the critic's must-fix items as one comment review with an inline comment per item, on the line it names
    /// (else the file's first line), once per `key`, as `postNote` posts.
    func postCritique(_ findings: CritiqueFindings, summary: String, key: String, on handle: ReviewHandle)
        async throws
}

/// Shows the verify gates' results on the commits they checked (DESIGN §10): commit statuses on Gitea.
public protocol CommitStatusPosting: AnyObject {
    /// Posts `status` on `commit` (which ``ReviewPublishing/publish(branches:)`` made visible on the host), unless
    /// the commit's latest status of that context already has that state and description, so a rerun after a crash
    /// posts nothing twice. The local host shows no statuses and does nothing.
    func postStatus(_ status: GateReport.Status, on commit: String) async throws
}

/// What a freeze asks the host to open.
public struct ReviewRequest: Sendable, Equatable {
    public var branch: String
    public var head: String
    public var title: String
    public var body: String
    public var reviewers: [String]

    public init(branch: String, head: String, title: String, body: String, reviewers: [String]) {
        self.branch = branch
        self.head = head
        self.title = title
        self.body = body
        self.reviewers = reviewers
    }
}
