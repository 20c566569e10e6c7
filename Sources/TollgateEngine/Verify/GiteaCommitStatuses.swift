import GiteaKit
import TollgateCore

/// Posts a verification's commit statuses on Gitea (DESIGN §10): `tollgate/gate/<name>` a gate, `pending` as it
/// starts and `success` or `failure` once it ended, and `tollgate/verify` for the whole.
public struct GiteaCommitStatuses: Sendable {
    /// The client (the bot's token: posting needs write access to the repository).
    public let api: GiteaClient
    /// The job's repository.
    public let repo: RepoRef

    public init(api: GiteaClient, repo: RepoRef) {
        self.api = api
        self.repo = repo
    }

    /// Posts `status` on `commit`.
    /// - Throws: `EngineError.host` naming the context and Gitea's answer.
    public func post(_ status: GateReport.Status, on commit: String) async throws {
        guard let state = CommitStatusState(rawValue: status.state) else {
            throw EngineError.host("the commit status \(status.context) has no state \"\(status.state)\"")
        }
        do {
            _ = try await api.createCommitStatus(
                CreateCommitStatusOptions(state: state, context: status.context, description: status.description),
                on: commit,
                in: repo
            )
        } catch {
            throw EngineError.host(
                "posting the commit status \(status.context) on \(commit.prefix(10)) failed: \(error). "
                    + "The bot needs write access to \(repo.owner)/\(repo.name)."
            )
        }
    }
}
