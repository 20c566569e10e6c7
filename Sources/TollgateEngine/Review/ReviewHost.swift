import Foundation
import TollgateCore

/// Where reviews happen: the port the engine drives at every freeze and resume.
///
/// The local host keeps reviews on the state branch; the Gitea host keeps them in pull requests. Every method is
/// idempotent: called again after a crash, it finds what the first call did and does not do it twice.
public protocol ReviewHost: AnyObject {
    /// `local` or `gitea`, as `status` shows it.
    var name: ReviewHostKind { get }
    /// The account that opens reviews; its own reviews and comments never count as a verdict.
    var botName: String { get }

    /// Makes sure the host has a repository for the job (Gitea creates or adopts one; nothing for the local host).
    /// - Returns: warnings for the user about what was found (e.g. a server that reports another address).
    func prepareRepository() throws -> [String]

    /// Makes local branches visible on the host (a push for Gitea; nothing for the local host).
    func publish(branches: [String]) throws

    /// Opens a review of `request.branch` at `request.head`, or asks the reviewers again when `existing` (or a review
    /// the host finds for the same branch) is open.
    func requestReview(_ request: ReviewRequest, existing: ReviewHandle?) throws -> ReviewHandle

    /// What the reviewers did so far.
    func snapshot(of handle: ReviewHandle) throws -> ReviewSnapshot

    /// Brings commits reviewers pushed to the branch into the local repository (Gitea); the local host has them.
    func syncBranch(_ branch: String, review handle: ReviewHandle) throws

    /// Lands an approved review. Returns nil when the engine squashes locally (the local host), or the squash
    /// commit the host made on its `main` (Gitea), which the engine then fetches.
    func merge(_ handle: ReviewHandle, title: String, message: String, head: String) throws -> String?

    /// Records that the review's branch landed as `commit` (the local host marks it merged).
    func markMerged(_ handle: ReviewHandle, commit: String) throws

    /// Publishes `main` after the engine squashed a phase locally without a review.
    func publishMain() throws

    /// Closes the open review without merging, saying why (`tollgate cancel`); closing a closed one does nothing.
    func close(_ handle: ReviewHandle, note: String) throws

    /// Posts `body` as a comment on the review, once per `key`: a rerun after a crash finds the earlier comment
    /// and posts nothing. The local host keeps no such comments.
    func postNote(_ body: String, key: String, on handle: ReviewHandle) throws

    /// Posts the critic's must-fix items as one comment review with an inline comment per item, on the line it names
    /// (else the file's first line), once per `key`, as `postNote` posts. The local host shows the critique in the
    /// review's body only.
    func postCritique(_ findings: CritiqueFindings, summary: String, key: String, on handle: ReviewHandle) throws
}

extension ReviewHost {
    public func postNote(_ body: String, key: String, on handle: ReviewHandle) throws {}
    public func postCritique(_ findings: CritiqueFindings, summary: String, key: String, on handle: ReviewHandle)
        throws
    {}
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
