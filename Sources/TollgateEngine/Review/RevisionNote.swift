import Foundation
import TollgateCore

/// The comment the engine leaves on a review when a revision answered requested changes: what the agent addressed,
/// what it did not mark as addressed, and the new head the reviewers are asked to look at.
///
/// One note per job, phase and revision: its `key` is the idempotency key the host posts it under, so a rerun after
/// a crash (or a later re-request of the same revision) finds the note and posts nothing.
struct RevisionNote: Sendable, Equatable {
    let key: String
    let body: String

    /// The critic's must-fix items on the previous revision and on this one (nil when no critique ran on it).
    struct CritiqueProgress: Sendable, Equatable {
        var before: Int
        var after: Int?
    }

    /// The note for the revision that `report` ended, answering `items`; nil when the revision answered no review.
    ///
    /// `critique` says what became of the must-fix items the critic posted on the previous revision.
    init?(
        job: String,
        phase: PhaseRef,
        revision: Int,
        head: String,
        report: AgentReport?,
        items: [FeedbackItem],
        critique: CritiqueProgress? = nil
    ) {
        guard revision > 1, !items.isEmpty else { return nil }
        let addressedIDs = Set(report?.outcome.addressed ?? [])
        let addressed = items.filter { addressedIDs.contains($0.id) }
        let open = items.filter { !addressedIDs.contains($0.id) }
        var lines = ["**Revision \(revision)** answers the review; the branch is now at `\(head.prefix(10))`.", ""]
        if let summary = report?.outcome.summary?.trimmingCharacters(in: .whitespacesAndNewlines), !summary.isEmpty {
            lines += ["> \(summary.replacingOccurrences(of: "\n", with: " "))", ""]
        }
        if !addressed.isEmpty {
            lines.append("Addressed (\(addressed.count) of \(items.count)):")
            lines += addressed.map(\.markdown)
            lines.append("")
        }
        if !open.isEmpty {
            lines.append("Not marked as addressed by the agent (\(open.count) of \(items.count)):")
            lines += open.map(\.markdown)
            lines.append("")
        }
        if let critique, critique.before > 0 {
            let earlier = "the critic's \(critique.before) must-fix item(s) on revision \(revision - 1)"
            switch critique.after {
            case .some(0):
                lines += ["Critique: this revision addresses \(earlier); its critique has none open.", ""]
            case .some(let open):
                lines += [
                    "Critique: of \(earlier), the critique of this revision still has \(open) open, posted on their "
                        + "lines again.", "",
                ]
            case .none:
                lines += ["Critique: \(earlier) were not critiqued again (no critique ran on this revision).", ""]
            }
        }
        lines.append("Please review the new head: approve it, or request changes again.")
        self.key = "\(job)/\(phase.label)/revision-\(revision)"
        self.body = lines.joined(separator: "\n")
    }
}
