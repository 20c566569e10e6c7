import GiteaKit
import TollgateCore

/// The verify gates' commit statuses on Gitea (DESIGN §10), posted through ``GiteaCommitStatuses``.
extension GiteaReviewHost {
    public func postStatus(_ status: GateReport.Status, on commit: String) async throws {
        let client = try client()
        let ref = try await repoRef()
        // Gitea keeps every status posted; the latest of a context counts. Looking first keeps a rerun after a crash
        // from adding a second row of the same state.
        let combined: CombinedStatus
        do {
            combined = try await client.combinedStatus(of: commit, in: ref)
        } catch {
            throw hostError(error, doing: "reading the commit statuses of \(commit.prefix(10))")
        }
        if let latest = combined.statuses.first(where: { $0.context == status.context }),
            latest.state.rawValue == status.state, latest.description == status.description
        {
            return
        }
        try await GiteaCommitStatuses(api: client, repo: ref).post(status, on: commit)
    }
}
