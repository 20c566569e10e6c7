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
    /// - Throws: ``ReviewHeadMoved`` when Gitea answers 409 "head out of date" (at once or after the wait), with the
    ///   new head fetched; an ``EngineError`` with Gitea's reason when it keeps refusing.
    func mergeOnceChecked(_ number: Int64, _ options: MergeOptions, handle: ReviewHandle, in ref: RepoRef) throws {
        let client = try client()
        let clock = ContinuousClock()
        let wait = Duration.seconds(max(0, config[ConfigKeys.giteaMergeWaitSeconds]))
        let deadline = clock.now.advanced(by: wait)
        var pause = Self.firstMergePause
        while true {
            let refusal: GiteaError
            do {
                _ = try AsyncBridge.run { () async throws(GiteaError) in
                    try await client.merge(number, in: ref, options)
                }
                return
            } catch  where error.kind == .headOutOfDate {
                // Someone pushed between the verdict and the merge: the approval does not cover what would land.
                let moved = try call("reading pull request #\(number)") { try await $0.pullRequest(number, in: ref) }
                try syncBranch(moved.head.ref, review: handle)
                throw ReviewHeadMoved(approved: options.headCommitID ?? "", head: moved.head.sha)
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
                Thread.sleep(forTimeInterval: Self.seconds(min(pause, deadline - clock.now)))
                pause = min(pause * 2, Self.longestMergePause)
                let pull = try call("reading pull request #\(number)") { try await $0.pullRequest(number, in: ref) }
                if pull.merged || pull.mergeable == true { break }
            }
        }
    }

    private static func seconds(_ duration: Duration) -> TimeInterval {
        let parts = duration.components
        return max(0, TimeInterval(parts.seconds) + TimeInterval(parts.attoseconds) / 1e18)
    }
}
