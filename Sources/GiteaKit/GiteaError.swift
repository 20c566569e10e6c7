import Foundation
import HTTPKit

/// A failed Gitea call: which request, what status, Gitea's own `message`, and what to check.
///
/// Branch on ``kind`` (derived from the status), never on the message text, which changes between
/// Gitea versions. The description never contains the API token: the client removes it from any
/// message the server echoes (Gitea before 1.26 echoed an unknown token in its 401 message).
public struct GiteaError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of failure.
    public enum Kind: Sendable, Equatable {
        /// 401: the token is missing, unknown or revoked.
        case unauthorized
        /// 403: the user may not do this, or the token lacks a scope.
        case forbidden
        /// 404: no such object, or one the user cannot see.
        case notFound
        /// 405: not allowed in this state (e.g. Gitea refused a merge).
        case notAllowed
        /// 409: a conflicting object or state.
        case conflict
        /// 409 on merge: the head moved after the approval (`head_commit_id` no longer matches).
        case headOutOfDate
        /// 412: a precondition failed (e.g. changing the state of a merged pull request).
        case preconditionFailed
        /// 422: Gitea rejected the request's fields.
        case validation
        /// 423: the repository is archived.
        case locked
        /// 5xx: the server failed.
        case serverError
        /// Any other unexpected status.
        case unexpectedStatus
        /// The response did not have the expected shape.
        case decoding
        /// No response arrived (connection refused, timeout, TLS).
        case transport
        /// The server is older than Tollgate supports, or its version cannot be read.
        case unsupportedVersion
        /// The caller passed an argument the client cannot send.
        case invalidArgument
    }

    /// The kind of failure.
    public let kind: Kind
    /// The request method, for example `POST`.
    public let method: String
    /// The API path, for example `/api/v1/repos/o/r/pulls/3/merge`.
    public let path: String
    /// The HTTP status, when a response arrived.
    public let status: Int?
    /// Gitea's `message` (token removed), or the failure's own text.
    public let message: String
    /// The transport failure, for `.transport`.
    public let transportError: HTTPError?

    /// Creates an error.
    public init(
        kind: Kind,
        method: String,
        path: String,
        status: Int? = nil,
        message: String,
        transportError: HTTPError? = nil
    ) {
        self.kind = kind
        self.method = method
        self.path = path
        self.status = status
        self.message = message
        self.transportError = transportError
    }

    /// The kind for an error status; `isMerge` tells a merge's 409 "head out of date" apart.
    static func kind(forStatus status: Int, message: String, isMerge: Bool) -> Kind {
        switch status {
        case 401: .unauthorized
        case 403: .forbidden
        case 404: .notFound
        case 405: .notAllowed
        case 409 where isMerge && message.lowercased().contains("head out of date"): .headOutOfDate
        case 409: .conflict
        case 412: .preconditionFailed
        case 422: .validation
        case 423: .locked
        case 500...599: .serverError
        default: .unexpectedStatus
        }
    }

    /// The number of the open pull request that a 409 on creating one names, when Gitea's message holds it.
    ///
    /// Gitea answers `pull request already exists for these targets [id: 7, issue_id: 3, head_repo_id: …]`
    /// (`ErrPullRequestAlreadyExists` in models/issues/pull.go), where `issue_id` is the pull request's number.
    public var existingPullRequestNumber: Int64? {
        guard self.kind == .conflict, self.message.contains("already exists"),
            let range = self.message.range(of: #"issue_id: \d+"#, options: .regularExpression)
        else { return nil }
        return Int64(self.message[range].dropFirst("issue_id: ".count))
    }

    /// What the user should check, in one sentence.
    public var hint: String {
        switch self.kind {
        case .unauthorized:
            "the API token is missing, wrong or revoked; check the configured token"
        case .forbidden:
            "the token's user lacks permission here, or the token lacks a scope (Tollgate needs write:repository, "
                + "write:issue and read:user, plus write:user or write:organization to create repositories)"
        case .notFound:
            "check the owner, repository, number or branch; Gitea also answers 404 for a private repository "
                + "the token's user cannot see, and when merging a closed pull request"
        case .notAllowed: "Gitea refused in the current state; its message says why"
        case .conflict: "a conflicting object or state exists on the server"
        case .headOutOfDate: "commits were pushed after the approval; the pull request needs a new review"
        case .preconditionFailed: "the pull request's state does not allow this (it may be merged already)"
        case .validation: "Gitea rejected the request's fields"
        case .locked: "the repository is archived; unarchive it in Gitea"
        case .serverError: "the Gitea server failed; check its logs"
        case .unexpectedStatus: "the server answered in a way Tollgate does not expect; is this a Gitea server?"
        case .decoding: "the response did not look like Gitea's; is the base URL a Gitea server (1.22 or later)?"
        case .transport: self.transportError?.hint ?? "check the server URL and the network"
        case .unsupportedVersion: "upgrade Gitea to 1.22 or later"
        case .invalidArgument: "this is a bug in the caller"
        }
    }

    public var description: String {
        if self.kind == .transport, let transportError {
            return "Gitea request failed: \(transportError)"
        }
        var text = "Gitea \(self.method) \(self.path)"
        if let status { text += " answered \(status)" } else { text += " failed" }
        if !self.message.isEmpty { text += ": \(self.message)" }
        return text + " (\(self.hint))"
    }
}
