import Foundation

/// The state of a commit status (`CommitStatusState` in Gitea's API, `modules/commitstatus/commit_status.go`).
///
/// `skipped` exists from Gitea 1.25 on; older servers do not know it.
public enum CommitStatusState: String, Codable, Sendable, CaseIterable {
    case pending
    case success
    case error
    case failure
    case warning
    case skipped

    /// The combined state of the latest status of each context, by Gitea's rule
    /// (`CommitStatusStates.Combine`, after GitHub's): `failure` when any is `error` or `failure`; `success` when
    /// there is at least one and every one is `success`, `warning` or `skipped`; otherwise (none, or any `pending`)
    /// `pending`.
    public static func combined(_ states: [CommitStatusState]) -> CommitStatusState {
        if states.contains(where: { $0 == .error || $0 == .failure }) { return .failure }
        if !states.isEmpty, states.allSatisfy({ [.success, .warning, .skipped].contains($0) }) { return .success }
        return .pending
    }
}

/// One status of a commit (`CommitStatus` in Gitea's API): a state under a context, such as `tollgate/gate/test`.
public struct CommitStatus: Decodable, Sendable, Equatable {
    /// The status's id, counted per commit and repository.
    public var id: Int64
    /// Its state; Gitea names this field `status`, not `state`.
    public var state: CommitStatusState
    /// The context it reports on; the latest status of each context is the one that counts.
    public var context: String
    /// A short text, such as how long a check took.
    public var description: String
    /// A link to the details, empty when there is none.
    public var targetURL: String
    /// Who posted it.
    public var creator: User?
    /// When it was posted.
    public var createdAt: Date?

    /// Creates a status value.
    public init(
        id: Int64,
        state: CommitStatusState,
        context: String,
        description: String = "",
        targetURL: String = "",
        creator: User? = nil,
        createdAt: Date? = nil
    ) {
        self.id = id
        self.state = state
        self.context = context
        self.description = description
        self.targetURL = targetURL
        self.creator = creator
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case id, context, description, creator
        case state = "status"
        case targetURL = "target_url"
        case createdAt = "created_at"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(Int64.self, forKey: .id)
        state = try container.decode(CommitStatusState.self, forKey: .state)
        context = try container.decodeIfPresent(String.self, forKey: .context) ?? ""
        description = try container.decodeIfPresent(String.self, forKey: .description) ?? ""
        targetURL = try container.decodeIfPresent(String.self, forKey: .targetURL) ?? ""
        creator = try container.decodeIfPresent(User.self, forKey: .creator)
        createdAt = try container.decodeIfPresent(Date.self, forKey: .createdAt)
    }
}

/// The body of `POST /repos/{owner}/{repo}/statuses/{sha}` (`CreateStatusOption`).
public struct CreateCommitStatusOptions: Encodable, Sendable, Equatable {
    /// The state to set.
    public var state: CommitStatusState
    /// The context (Gitea trims white space around it); keep it stable, since branch protection matches it.
    public var context: String
    /// A short text.
    public var description: String
    /// A link to the details, empty for none.
    public var targetURL: String

    /// Creates the options.
    public init(state: CommitStatusState, context: String, description: String = "", targetURL: String = "") {
        self.state = state
        self.context = context
        self.description = description
        self.targetURL = targetURL
    }

    enum CodingKeys: String, CodingKey {
        case state, context, description
        case targetURL = "target_url"
    }
}

/// The combined status of a commit (`CombinedStatus`): the latest status of each context and their combined state.
public struct CombinedStatus: Decodable, Sendable, Equatable {
    /// The combined state (``CommitStatusState/combined(_:)``); nil when the commit has no status (Gitea then
    /// answers an empty `CombinedStatus` whose state is `""`).
    public var state: CommitStatusState?
    /// The commit the ref resolved to; empty when there is no status.
    public var sha: String
    /// The latest status of each context.
    public var statuses: [CommitStatus]

    /// Creates a combined status value.
    public init(state: CommitStatusState?, sha: String, statuses: [CommitStatus]) {
        self.state = state
        self.sha = sha
        self.statuses = statuses
    }

    enum CodingKeys: String, CodingKey {
        case state, sha, statuses
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let text = try container.decodeIfPresent(String.self, forKey: .state) ?? ""
        if text.isEmpty {
            state = nil
        } else if let known = CommitStatusState(rawValue: text) {
            state = known
        } else {
            throw DecodingError.dataCorruptedError(
                forKey: .state,
                in: container,
                debugDescription: "unknown combined state \"\(text)\""
            )
        }
        sha = try container.decodeIfPresent(String.self, forKey: .sha) ?? ""
        statuses = try container.decodeIfPresent([CommitStatus].self, forKey: .statuses) ?? []
    }
}
