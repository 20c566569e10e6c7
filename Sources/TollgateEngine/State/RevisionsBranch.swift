import Foundation
import GitKit

/// `tollgate/revisions`: every head a reviewer was shown, kept reachable from a branch that `git clone` fetches
/// (DESIGN §6).
///
/// A phase branch is deleted once merged and a revision replaced by the next one is reachable from nothing, so `git gc`
/// could prune what `reviews.json` names and a clone would lack it. Each reviewed head becomes the second parent of a
/// commit on this branch (its tree is the head's own: no new objects), so the branch's history lists them in order.
enum RevisionsBranch {
    static let branch = "tollgate/revisions"
    static let reference = "refs/heads/" + branch

    /// Records `head` as reviewed (`label`: "phase 1 (strategic), revision 2"); nothing when it already is (a rerun).
    static func record(_ head: OID, label: String, in repository: Repository, signature: Signature) throws {
        let tip = try repository.resolve(reference: reference)
        if let tip {
            // Recent revisions are near the tip: a bounded look keeps the cost flat in the job's length.
            for entry in try repository.log(from: tip, limit: 20) where entry.parents.dropFirst().contains(head) {
                return
            }
        }
        let info = try repository.commitInfo(head)
        let commit = try repository.commit(
            tree: info.tree,
            parents: (tip.map { [$0] } ?? []) + [head],
            message: "Reviewed: \(label) at \(head.hex.prefix(10))\n\nTollgate-Reviewed-Head: \(head.hex)\n",
            author: signature,
            committer: signature
        )
        try repository.updateReference(reference, to: commit, expected: tip, message: "tollgate: reviewed \(label)")
    }
}
