import Foundation
import GitKit
import GiteaKit
import TollgateCore

extension GiteaReviewHost {
    public func requestReview(_ request: ReviewRequest, existing: ReviewHandle?) async throws -> ReviewHandle {
        let ref = try await repoRef()
        let bot = try await bot()
        var pull: PullRequest?
        if let existing, existing.host == name {
            let number = Int64(existing.id)
            let found = try await call("reading pull request #\(number)") { try await $0.pullRequest(number, in: ref) }
            if found.state == .open && found.head.ref == request.branch { pull = found }
        }
        if pull == nil {
            // A rerun after a crash finds the pull request the first attempt opened; an old closed one does not count.
            let found = try await call("looking for the pull request of \(request.branch)") {
                try await $0.pullRequest(base: "main", head: request.branch, in: ref)
            }
            if let found, found.state == .open { pull = found }
        }
        let opened: PullRequest
        if let pull {
            opened = pull
        } else {
            let options = CreatePullRequestOptions(
                head: request.branch,
                base: "main",
                title: request.title,
                body: request.body
            )
            opened = try await openPullRequest(options, in: ref)
        }
        let number = opened.number
        // Ask every configured reviewer, and everyone who gave a verdict, whose latest word is not about this head.
        let reviews = try await call("reading the reviews of pull request #\(number)") {
            try await $0.reviews(on: number, in: ref)
        }
        var latest: [String: PullReview] = [:]
        for review in reviews.sorted(by: { $0.id < $1.id })
        where !review.dismissed && [.approved, .requestChanges, .requestReview].contains(review.state) {
            if let login = review.user?.login { latest[login] = review }
        }
        let people = Set(request.reviewers).union(latest.keys).subtracting([bot])
        let ask = people.filter { login in
            guard let review = latest[login] else { return true }
            return review.state != .requestReview && review.commitID != request.head
        }.sorted()
        if !ask.isEmpty {
            // A configured reviewer new to this pull request may not see the private repository yet: Gitea would
            // refuse to ask them. Anyone with a review row here was let in before.
            let reviewed = Set(reviews.compactMap { $0.user?.login })
            let newcomers = ask.filter { request.reviewers.contains($0) && !reviewed.contains($0) }
            let unchecked = try await grantReviewAccess(to: newcomers, in: ref)
            let client = try client()
            do {
                _ = try await client.requestReviewers(ask, on: number, in: ref)
            } catch  where error.kind == .notFound || error.kind == .validation {
                throw reviewRequestRefusal(error, asking: ask, unchecked: unchecked, bot: bot, in: ref)
            } catch {
                throw hostError(
                    error,
                    doing: "requesting reviews from \(ask.joined(separator: ", ")) on pull request #\(number)"
                )
            }
        }
        // The page's address as people reach Gitea (gitea.url), whatever Gitea's ROOT_URL says.
        let location = try serverURL(opened.htmlURL, repository: "\(ref.owner)/\(ref.name)")
        return ReviewHandle(host: name, id: Int(number), location: location, head: request.head)
    }

    public func botAccount() async throws -> String { try await bot() }

    public func snapshot(of handle: ReviewHandle) async throws -> ReviewSnapshot {
        let ref = try await repoRef()
        let number = Int64(handle.id)
        let pull = try await call("reading pull request #\(number)") { try await $0.pullRequest(number, in: ref) }
        let reviews = try await call("reading the reviews of pull request #\(number)") {
            try await $0.reviews(on: number, in: ref)
        }
        var entries: [ReviewEntry] = []
        for review in reviews.sorted(by: { $0.id < $1.id }) {
            var inline: [InlineComment] = []
            if review.commentsCount > 0 {
                let comments = try await call("reading the comments of review \(review.id)") {
                    try await $0.reviewComments(review: review.id, on: number, in: ref)
                }
                inline = comments.sorted { $0.id < $1.id }.map {
                    InlineComment(id: Int($0.id), path: $0.path, line: $0.line, body: $0.body)
                }
            }
            entries.append(
                ReviewEntry(
                    id: Int(review.id),
                    reviewer: review.user?.login ?? "",
                    kind: Self.kind(of: review.state),
                    body: review.body,
                    commit: review.commitID,
                    dismissed: review.dismissed,
                    inline: inline
                )
            )
        }
        let comments = try await call("reading the comments of pull request #\(number)") {
            try await $0.issueComments(on: number, in: ref, since: nil)
        }
        let general = comments.sorted { $0.id < $1.id }.map {
            GeneralComment(id: Int($0.id), author: $0.user?.login ?? "", body: $0.body)
        }
        let state: ReviewSnapshot.State = pull.merged ? .merged : pull.state == .closed ? .closed : .open
        return ReviewSnapshot(state: state, head: pull.head.sha, reviews: entries, comments: general)
    }

    public func syncBranch(_ branch: String, review handle: ReviewHandle) async throws {
        guard let remote = try await fetch(branch) else { return }
        let local: OID?
        do {
            local = try repository.branchTip(branch)
            if local == remote { return }
            if let local, try repository.isAncestor(remote, of: local) { return }
            // Fast-forward onto the reviewer's commits, or take the reviewer's branch when the two diverged. A local
            // tip the reviewer's branch does not contain (rewritten by the reviewer, or a commit Gitea never got)
            // stays reachable under `refs/tollgate/replaced/<branch>/<sha>`, so nothing is lost.
            if let local, try !repository.isAncestor(local, of: remote) {
                let kept = "refs/tollgate/replaced/\(branch)/\(local.hex)"
                if try repository.resolve(reference: kept) == nil {
                    try repository.updateReference(
                        kept,
                        to: local,
                        expected: nil,
                        message: "tollgate: replaced by the reviewer's branch"
                    )
                }
            }
            try repository.updateReference(
                "refs/heads/\(branch)",
                to: remote,
                expected: local,
                message: "tollgate: reviewer commits"
            )
            if try repository.currentBranch() == branch { try repository.checkout(branch: branch, force: true) }
        } catch {
            throw gitError(error, doing: "bringing the reviewers' commits on \(branch) into the workspace")
        }
    }

    public func merge(_ handle: ReviewHandle, title: String, message: String, head: String) async throws
        -> MergeResult
    {
        let ref = try await repoRef()
        let number = Int64(handle.id)
        let merged = try await call("checking whether pull request #\(number) is merged") {
            try await $0.isMerged(number, in: ref)
        }
        if !merged {
            // Gitea writes the title, a blank line, then the message field: send the body without the title so the
            // landed commit reads exactly like a local squash, trailers last.
            let options = MergeOptions(
                style: .squash,
                title: title,
                message: Self.body(of: message, title: title),
                deleteBranchAfterMerge: true,
                headCommitID: head
            )
            if let moved = try await mergeOnceChecked(number, options, handle: handle, in: ref) {
                return .headMoved(approved: head, head: moved)
            }
            let confirmed = try await call("confirming the merge of pull request #\(number)") {
                try await $0.isMerged(number, in: ref)
            }
            guard confirmed else {
                throw EngineError.host(
                    "Gitea accepted the merge of pull request #\(number) but does not report it merged"
                )
            }
        }
        let pull = try await call("reading pull request #\(number)") { try await $0.pullRequest(number, in: ref) }
        guard let sha = pull.mergeCommitSHA, let commit = OID(hex: sha) else {
            throw EngineError.host("Gitea reports pull request #\(number) merged but names no merge commit")
        }
        mergedPulls[number] = pull
        try await adoptMain(commit)
        return .merged(commit: sha)
    }

    public func close(_ handle: ReviewHandle, note: String) async throws {
        let ref = try await repoRef()
        let number = Int64(handle.id)
        let pull = try await call("reading pull request #\(number)") { try await $0.pullRequest(number, in: ref) }
        guard pull.state == .open else { return }
        try await postNote(note, key: "cancel-\(handle.id)", on: handle)
        _ = try await call("closing pull request #\(number)") {
            try await $0.editPullRequest(number, in: ref, EditPullRequestOptions(state: .closed))
        }
    }

    public func markMerged(_ handle: ReviewHandle, commit: String) async throws {
        let ref = try await repoRef()
        let number = Int64(handle.id)
        let pull: PullRequest
        if let seen = mergedPulls[number] {
            pull = seen
        } else {
            pull = try await call("reading pull request #\(number)") { try await $0.pullRequest(number, in: ref) }
        }
        // Once Gitea deleted the branch (`delete_branch_after_merge`), the head names `refs/pull/N/head`: nothing
        // is left to delete. Otherwise the branch is deleted here, for a server that kept it.
        let branch = pull.head.ref
        guard !branch.hasPrefix("refs/") else { return }
        _ = try await call("deleting the merged branch \(branch)") { try await $0.deleteBranch(branch, in: ref) }
    }

    // MARK: - Helpers

    /// Opens a pull request, or adopts the open one Gitea says exists already for the same branches.
    ///
    /// `GET /pulls/{base}/{head}` has no ORDER BY (models/issues/pull.go `GetPullRequestByBaseHeadInfo`): with an old
    /// closed pull request and an open one for the same branches it may return the closed one, and creating then
    /// answers 409. The 409 names the open one's number; should it not, the open pull requests are searched.
    private func openPullRequest(_ options: CreatePullRequestOptions, in ref: RepoRef) async throws -> PullRequest {
        let client = try client()
        let doing = "opening a pull request for \(options.head)"
        do {
            return try await client.createPullRequest(options, in: ref)
        } catch  where error.kind == .conflict {
            let matches = { (pull: PullRequest) in
                pull.state == .open && pull.head.ref == options.head && pull.base.ref == options.base
            }
            if let number = error.existingPullRequestNumber {
                let named = try await call("reading pull request #\(number)") {
                    try await $0.pullRequest(number, in: ref)
                }
                if matches(named) { return named }
            }
            let open = try await call("listing the open pull requests of \(ref)") {
                try await $0.pullRequests(in: ref, state: .open)
            }
            if let found = open.first(where: matches) { return found }
            throw hostError(error, doing: doing)
        } catch {
            throw hostError(error, doing: doing)
        }
    }

    /// Fetches Gitea's `main` and moves the local `main` to `commit` (compare-and-swap), checked out if HEAD is there.
    private func adoptMain(_ commit: OID) async throws {
        do {
            _ = try await fetch("main")
            let local = try repository.branchTip("main")
            guard local != commit else { return }
            if let local, !(try repository.isAncestor(local, of: commit)) {
                throw EngineError.host(
                    "Gitea's main at \(commit.hex.prefix(10)) does not contain the local main \(local.hex.prefix(10)): "
                        + "the two diverged; bring the local commits onto Gitea's main by hand, then run "
                        + "`tollgate resume` again"
                )
            }
            try repository.updateReference("refs/heads/main", to: commit, expected: local, message: "tollgate: merged")
            if try repository.currentBranch() == "main" { try repository.checkout(branch: "main", force: true) }
        } catch let error as EngineError {
            throw error
        } catch {
            throw gitError(error, doing: "moving the local main to Gitea's merge commit")
        }
    }

    /// The message without its first line when that line is the title.
    static func body(of message: String, title: String) -> String {
        var lines = message.components(separatedBy: "\n")
        guard lines.first == title else { return message }
        lines.removeFirst()
        while lines.first?.trimmingCharacters(in: .whitespaces).isEmpty == true { lines.removeFirst() }
        return lines.joined(separator: "\n")
    }

    static func kind(of state: PullReview.State) -> ReviewEntry.Kind {
        switch state {
        case .approved: .approved
        case .requestChanges: .changesRequested
        case .requestReview: .reviewRequested
        case .pending: .pending
        default: .comment
        }
    }
}
