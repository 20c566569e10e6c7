import Foundation
import GiteaKit
import TollgateCore

/// Merging when Gitea is ready to: Gitea computes a pull request's mergeability asynchronously, after it is opened
/// and after every push to its head or its base (services/pull/check.go), and until that check ends it reports
/// `mergeable: false` and answers a merge 405 "Please try again later".
extension GiteaReviewHost {
    /// The first pause between two looks at `mergeable`; each pause doubles, up to ``longestMergePause``.
    static let firstMergePause = Duration.milliseconds(250)
    /// The longest pause between two looks at `mergeable`.
    static let longestMergePause = Duration.seconds(8)

    /// Squash-merges `number` with `options`, waiting for Gitea's mergeability check for at most
    /// `gitea.mergeWaitSeconds`.
    ///
    /// The merge is tried first (Gitea has usually checked by the time a reviewer approved). While Gitea answers
    /// "Please try again later", the pull request's `mergeable` is read with a growing pause, and the merge tried
    /// again once it is true, until the wait is used up.
    /// - Returns: nil once merged; the branch's new head (fetched into the workspace) when Gitea answers 409 "head
    ///   out of date", at once or after the wait: the approval does not cover it.
    /// - Throws: an ``EngineError`` with Gitea's reason when it keeps refusing.
    func mergeOnceChecked(_ number: Int64, _ options: MergeOptions, handle: ReviewHandle, in ref: RepoRef)
        async throws -> String?
    {
        let client = try client()
        let wait = Duration.seconds(max(0, config[ConfigKeys.giteaMergeWaitSeconds]))
        let deadline = clock.now + wait
        var pause = Self.firstMergePause
        while true {
            let refusal: GiteaError
            do {
                _ = try await client.merge(number, in: ref, options)
                return nil
            } catch  where error.kind == .headOutOfDate {
                // Someone pushed between the verdict and the merge: the approval does not cover what would land.
                let moved = try await call("reading pull request #\(number)") {
                    try await $0.pullRequest(number, in: ref)
                }
                try await syncBranch(moved.head.ref, review: handle)
                return moved.head.sha
            } catch {
                refusal = error
            }
            let checking = refusal.kind == .notAllowed && refusal.message == "Please try again later"
            guard checking, clock.now < deadline else {
                let still =
                    checking
                    ? " Gitea had not finished checking whether it can merge (or it conflicts with main) after "
                        + "\(wait.components.seconds) s (gitea.mergeWaitSeconds)."
                    : ""
                throw EngineError.host(
                    "\(hostError(refusal, doing: "merging pull request #\(number)").description)\(still) The approval "
                        + "was for \(options.headCommitID?.prefix(10) ?? "the head"); run `tollgate resume` again once "
                        + "Gitea accepts the merge."
                )
            }
            // Look at `mergeable` until Gitea's check ends, then try the merge again.
            while clock.now < deadline {
                try await clock.sleep(for: min(pause, deadline - clock.now))
                pause = min(pause * 2, Self.longestMergePause)
                let pull = try await call("reading pull request #\(number)") {
                    try await $0.pullRequest(number, in: ref)
                }
                if pull.merged || pull.mergeable == true { break }
            }
        }
    }
}
