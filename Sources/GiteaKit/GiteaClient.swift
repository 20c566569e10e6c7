import Foundation
import HTTPKit

/// The Gitea REST operations Tollgate uses (repositories, pull requests, reviews, comments and merges) over any
/// `HTTPTransport`, authenticated with `Authorization: token …`.
///
/// The client is a `Sendable` value holding only configuration; retries and timeouts belong to the
/// transport (``CurlTransport`` in production). The token is sent only in the `Authorization` header and
/// is removed from every error message. Pull requests are addressed by `number` (the index in URLs), never by `id`.
public struct GiteaClient: Sendable {
    /// The server's root URL, for example `https://gitea.example.com/` (the API lives under `api/v1`).
    public let baseURL: URL
    /// Items per page when listing (Gitea caps it at 50).
    public let pageSize: Int
    private let token: String
    private let transport: any HTTPTransport

    /// Creates a client.
    ///
    /// - Parameters:
    ///   - baseURL: The server's root URL (with any sub-path Gitea is served under).
    ///   - token: An access token; never logged.
    ///   - transport: How requests are sent.
    ///   - pageSize: Items per page for listings, 1...50.
    public init(baseURL: URL, token: String, transport: any HTTPTransport, pageSize: Int = 50) {
        self.baseURL = baseURL
        self.token = token
        self.transport = transport
        self.pageSize = min(max(pageSize, 1), 50)
    }

    // MARK: - Server

    /// `GET /version`: the server's version.
    public func serverVersion() async throws(GiteaError) -> ServerVersion {
        try await self.decode(ServerVersion.self, self.call(.get, "/version"))
    }

    /// Reads the version and throws `.unsupportedVersion` when it is older than `minimum` or unreadable.
    public func checkServerVersion(minimum: GiteaVersion = .minimumSupported) async throws(GiteaError)
        -> GiteaVersion
    {
        let reported = try await self.serverVersion()
        guard let version = reported.giteaVersion else {
            throw GiteaError(
                kind: .unsupportedVersion,
                method: "GET",
                path: self.apiPath("/version"),
                status: 200,
                message:
                    "cannot read the server version \"\(reported.version)\"; Tollgate needs Gitea \(minimum) or later"
            )
        }
        guard version >= minimum else {
            throw GiteaError(
                kind: .unsupportedVersion,
                method: "GET",
                path: self.apiPath("/version"),
                status: 200,
                message: "the server runs Gitea \(reported.version); Tollgate needs Gitea \(minimum) or later"
            )
        }
        return version
    }

    /// `GET /user`: the token's own account.
    public func currentUser() async throws(GiteaError) -> User {
        try await self.decode(User.self, self.call(.get, "/user"))
    }

    // MARK: - Repositories

    /// Creates a repository for the token's user, or in `organization` when given.
    public func createRepository(_ options: CreateRepositoryOptions, organization: String? = nil)
        async throws(GiteaError) -> Repository
    {
        let path = organization.map { "/orgs/\(Self.segment($0))/repos" } ?? "/user/repos"
        return try await self.decode(Repository.self, self.call(.post, path, body: options, expect: [201]))
    }

    /// `GET /repos/{owner}/{repo}`.
    public func repository(_ repo: RepoRef) async throws(GiteaError) -> Repository {
        try await self.decode(Repository.self, self.call(.get, Self.repoPath(repo)))
    }

    // MARK: - Collaborators

    /// `GET …/collaborators/{login}/permission`: the user's access from every source (owner, collaboration,
    /// teams, site admin).
    ///
    /// Only repository admins, site admins and the user themself may ask (else `.forbidden`); `.notFound` when there is
    /// no such user.
    public func collaboratorPermission(of login: String, in repo: RepoRef) async throws(GiteaError)
        -> CollaboratorPermission
    {
        try await self.decode(
            CollaboratorPermission.self,
            self.call(.get, Self.collaboratorPath(login, repo) + "/permission")
        )
    }

    /// `PUT …/collaborators/{login}`: makes the user a collaborator at `level` (`read`, `write` or `admin`), or
    /// changes their level.
    ///
    /// Needs repository admin (`.forbidden` otherwise); `.validation` for an unknown user.
    public func addCollaborator(_ login: String, level: AccessLevel, in repo: RepoRef) async throws(GiteaError) {
        let path = Self.collaboratorPath(login, repo)
        guard [.read, .write, .admin].contains(level) else {
            throw GiteaError(
                kind: .invalidArgument,
                method: "PUT",
                path: self.apiPath(path),
                message: "a collaborator's level is read, write or admin, not \(level.rawValue)"
            )
        }
        struct Body: Encodable { var permission: String }
        _ = try await self.call(.put, path, body: Body(permission: level.rawValue), expect: [204])
    }

    /// `DELETE …/collaborators/{login}`: ends the user's collaboration (repository admins only).
    public func removeCollaborator(_ login: String, in repo: RepoRef) async throws(GiteaError) {
        _ = try await self.call(.delete, Self.collaboratorPath(login, repo), expect: [204])
    }

    /// `GET …/collaborators/{login}`: whether the user is a collaborator (access through teams does not count).
    public func isCollaborator(_ login: String, in repo: RepoRef) async throws(GiteaError) -> Bool {
        do {
            _ = try await self.call(.get, Self.collaboratorPath(login, repo), expect: [204])
            return true
        } catch  where error.kind == .notFound {
            return false
        }
    }

    // MARK: - Teams

    /// Every team of `organization` (`GET /orgs/{org}/teams`, for members of the organisation).
    public func teams(of organization: String) async throws(GiteaError) -> [Team] {
        try await self.everyPage(Team.self, "/orgs/\(Self.segment(organization))/teams")
    }

    /// Whether the team named `team` holds `repo` (`GET /repos/{owner}/{repo}/teams/{team}`: 200 or 404).
    public func teamHoldsRepository(_ team: String, _ repo: RepoRef) async throws(GiteaError) -> Bool {
        do {
            _ = try await self.call(.get, Self.repoPath(repo) + "/teams/\(Self.segment(team))")
            return true
        } catch  where error.kind == .notFound {
            return false
        }
    }

    /// Gives the team named `team` access to `repo` (`PUT /repos/{owner}/{repo}/teams/{team}`, repository admins).
    public func addTeam(_ team: String, to repo: RepoRef) async throws(GiteaError) {
        _ = try await self.call(.put, Self.repoPath(repo) + "/teams/\(Self.segment(team))", expect: [204])
    }

    /// Adds `login` to the team `teamID` (`PUT /teams/{id}/members/{username}`, organisation owners).
    public func addTeamMember(_ login: String, toTeam teamID: Int64) async throws(GiteaError) {
        _ = try await self.call(.put, "/teams/\(teamID)/members/\(Self.segment(login))", expect: [204])
    }

    // MARK: - Pull requests

    /// Opens a pull request.
    public func createPullRequest(_ options: CreatePullRequestOptions, in repo: RepoRef) async throws(GiteaError)
        -> PullRequest
    {
        try await self.decode(
            PullRequest.self,
            self.call(.post, Self.repoPath(repo) + "/pulls", body: options, expect: [201])
        )
    }

    /// Reads one pull request.
    public func pullRequest(_ number: Int64, in repo: RepoRef) async throws(GiteaError) -> PullRequest {
        try await self.decode(PullRequest.self, self.call(.get, Self.pullPath(number, repo)))
    }

    /// The pull request from `head` into `base` (open or not), or `nil` when there is none.
    public func pullRequest(base: String, head: String, in repo: RepoRef) async throws(GiteaError) -> PullRequest? {
        do {
            let path = Self.repoPath(repo) + "/pulls/\(Self.branch(base))/\(Self.branch(head))"
            return try await self.decode(PullRequest.self, self.call(.get, path))
        } catch  where error.kind == .notFound {
            return nil
        }
    }

    /// Every pull request in `state` (`nil`: all), all pages, newest first.
    public func pullRequests(in repo: RepoRef, state: PullRequest.State?) async throws(GiteaError) -> [PullRequest] {
        let query = [URLQueryItem(name: "state", value: state?.rawValue ?? "all")]
        let all = try await self.everyPage(PullRequest.self, Self.repoPath(repo) + "/pulls", query: query)
        var seen = Set<Int64>()
        return all.filter { seen.insert($0.number).inserted }
    }

    /// Changes a pull request's title, body or state.
    public func editPullRequest(_ number: Int64, in repo: RepoRef, _ options: EditPullRequestOptions)
        async throws(GiteaError) -> PullRequest
    {
        // Gitea answers 201 to a PATCH of a pull request.
        try await self.decode(
            PullRequest.self,
            self.call(.patch, Self.pullPath(number, repo), body: options, expect: [200, 201])
        )
    }

    // MARK: - Reviews

    /// Requests (or re-requests) reviews; returns the new `REQUEST_REVIEW` rows (none for a user whose
    /// latest review is already a request).
    public func requestReviewers(_ logins: [String], on number: Int64, in repo: RepoRef) async throws(GiteaError)
        -> [PullReview]
    {
        struct Body: Encodable { var reviewers: [String] }
        let path = Self.pullPath(number, repo) + "/requested_reviewers"
        return try await self.decode(
            [PullReview].self,
            self.call(.post, path, body: Body(reviewers: logins), expect: [200, 201])
        )
    }

    /// Every review of a pull request, all pages, review requests and dismissed reviews included.
    public func reviews(on number: Int64, in repo: RepoRef) async throws(GiteaError) -> [PullReview] {
        let all = try await self.everyPage(PullReview.self, Self.pullPath(number, repo) + "/reviews")
        var seen = Set<Int64>()
        return all.filter { seen.insert($0.id).inserted }
    }

    /// Submits a review (as the token's user).
    public func createReview(_ options: CreatePullReviewOptions, on number: Int64, in repo: RepoRef)
        async throws(GiteaError) -> PullReview
    {
        let path = Self.pullPath(number, repo) + "/reviews"
        return try await self.decode(PullReview.self, self.call(.post, path, body: options, expect: [200, 201]))
    }

    /// Dismisses an approval or change request (repository admins only).
    public func dismissReview(_ reviewID: Int64, on number: Int64, in repo: RepoRef, message: String)
        async throws(GiteaError) -> PullReview
    {
        struct Body: Encodable { var message: String }
        let path = Self.pullPath(number, repo) + "/reviews/\(reviewID)/dismissals"
        return try await self.decode(PullReview.self, self.call(.post, path, body: Body(message: message)))
    }

    /// A review's inline comments, sorted by id.
    public func reviewComments(review reviewID: Int64, on number: Int64, in repo: RepoRef) async throws(GiteaError)
        -> [PullReviewComment]
    {
        let path = Self.pullPath(number, repo) + "/reviews/\(reviewID)/comments"
        let comments = try await self.decode([PullReviewComment].self, self.call(.get, path))
        return comments.sorted { $0.id < $1.id }
    }

    // MARK: - Comments

    /// General comments, oldest first; only those updated at or after `since` when given.
    public func issueComments(on number: Int64, in repo: RepoRef, since: Date? = nil) async throws(GiteaError)
        -> [Comment]
    {
        let path = Self.repoPath(repo) + "/issues/\(number)/comments"
        var query: [URLQueryItem] = []
        if let since {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime]
            query.append(URLQueryItem(name: "since", value: formatter.string(from: since)))
        }
        let comments = try await self.decode([Comment].self, self.call(.get, path, query: query))
        return comments.sorted { ($0.createdAt ?? .distantPast, $0.id) < ($1.createdAt ?? .distantPast, $1.id) }
    }

    /// Posts `body` on issue or pull request `number` with `marker` as its last line, unless a comment holding
    /// `marker` is there already (then that comment is returned and nothing is posted): a retried post never
    /// doubles.
    ///
    /// The marker is the caller's (a hidden HTML comment such as `<!-- app:key -->` keeps it out of sight).
    /// - Throws: `GiteaError` of kind `invalidArgument` for an empty marker or one of more than one line.
    public func postComment(_ body: String, on number: Int64, in repo: RepoRef, marker: String)
        async throws(GiteaError) -> CommentPosting
    {
        let path = Self.repoPath(repo) + "/issues/\(number)/comments"
        guard !marker.trimmingCharacters(in: .whitespaces).isEmpty, !marker.contains(where: \.isNewline) else {
            throw GiteaError(
                kind: .invalidArgument,
                method: "POST",
                path: self.apiPath(path),
                message: "a comment's marker must be one non-empty line"
            )
        }
        if let existing = try await self.issueComments(on: number, in: repo).first(where: { $0.body.contains(marker) })
        {
            return .alreadyPresent(existing)
        }
        struct Body: Encodable { var body: String }
        let text = body.hasSuffix("\n") ? body + "\n" + marker : body + "\n\n" + marker
        return .posted(
            try await self.decode(Comment.self, self.call(.post, path, body: Body(body: text), expect: [201]))
        )
    }

    // MARK: - Merging

    /// Merges a pull request; retries while Gitea answers 405 "Please try again later".
    ///
    /// - Throws: `.headOutOfDate` when `headCommitID` is no longer the head; `.notAllowed` with Gitea's reason.
    public func merge(_ number: Int64, in repo: RepoRef, _ options: MergeOptions) async throws(GiteaError)
        -> MergeOutcome
    {
        let path = Self.pullPath(number, repo) + "/merge"
        do {
            // With head_commit_id a repeated merge cannot land anything unseen, so it is safe to retry.
            _ = try await self.call(
                .post,
                path,
                body: options,
                expect: [200],
                isIdempotent: options.headCommitID != nil,
                retryWhen: { response in
                    response.status == 405 && Self.message(in: response.body) == "Please try again later"
                }
            )
            return .merged
        } catch  where error.kind == .notAllowed {
            if error.message.lowercased().contains("already merged") { return .alreadyMerged }
            // Gitea up to 1.24 sends an empty message for "already merged": ask.
            if error.message.isEmpty, try await self.isMerged(number, in: repo) { return .alreadyMerged }
            throw error
        }
    }

    /// `GET …/merge`: whether the pull request is merged (204) or not (404).
    public func isMerged(_ number: Int64, in repo: RepoRef) async throws(GiteaError) -> Bool {
        do {
            _ = try await self.call(.get, Self.pullPath(number, repo) + "/merge", expect: [204])
            return true
        } catch  where error.kind == .notFound {
            return false
        }
    }

    /// Deletes a branch; returns `false` when it did not exist.
    public func deleteBranch(_ branch: String, in repo: RepoRef) async throws(GiteaError) -> Bool {
        do {
            _ = try await self.call(.delete, Self.repoPath(repo) + "/branches/\(Self.branch(branch))", expect: [204])
            return true
        } catch  where error.kind == .notFound {
            return false
        }
    }
}

// MARK: - Commit statuses

extension GiteaClient {
    public func createCommitStatus(_ options: CreateCommitStatusOptions, on sha: String, in repo: RepoRef)
        async throws(GiteaError) -> CommitStatus
    {
        let path = Self.repoPath(repo) + "/statuses/\(Self.segment(sha))"
        let context = options.context.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !sha.isEmpty, !context.isEmpty else {
            throw GiteaError(
                kind: .invalidArgument,
                method: "POST",
                path: self.apiPath(path),
                message: "a commit status needs a commit and a context"
            )
        }
        // Posting the same state again adds a row that changes nothing Gitea shows (the latest of each context
        // counts), so a retried post is harmless.
        return try await self.decode(
            CommitStatus.self,
            self.call(.post, path, body: options, expect: [201], isIdempotent: true)
        )
    }

    public func combinedStatus(of ref: String, in repo: RepoRef) async throws(GiteaError) -> CombinedStatus {
        let path = Self.repoPath(repo) + "/commits/\(Self.branch(ref))/status"
        var combined: CombinedStatus?
        var page = 1
        // The combined status pages its statuses like a listing; X-Total-Count counts them all.
        while true {
            let paging = [
                URLQueryItem(name: "page", value: "\(page)"), URLQueryItem(name: "limit", value: "\(self.pageSize)"),
            ]
            let response = try await self.call(.get, path, query: paging)
            let part = try self.decode(CombinedStatus.self, response)
            if var sofar = combined {
                sofar.statuses += part.statuses
                combined = sofar
            } else {
                combined = part
            }
            let total = response.totalCount ?? 0
            if part.statuses.isEmpty || page * self.pageSize >= total || page >= 10_000 { break }
            page += 1
        }
        guard var all = combined else { return CombinedStatus(state: nil, sha: "", statuses: []) }
        if page > 1 {
            // Gitea combines the statuses of each page alone (convert.ToCombinedStatus); combine them all.
            all.state = CommitStatusState.combined(all.statuses.map(\.state))
        }
        return all
    }
}

// MARK: - Requests and responses

extension GiteaClient {
    private struct NoBody: Encodable {}

    /// Sends one API request and returns the response when its status is in `expect`.
    private func call(
        _ method: HTTPMethod,
        _ path: String,
        query: [URLQueryItem] = [],
        expect: Set<Int> = [200],
        isIdempotent: Bool? = nil,
        retryWhen: (@Sendable (HTTPResponse) -> Bool)? = nil
    ) async throws(GiteaError) -> HTTPResponse {
        try await self.send(
            method,
            path,
            query: query,
            body: nil,
            expect: expect,
            isIdempotent: isIdempotent,
            retryWhen: retryWhen
        )
    }

    private func call(
        _ method: HTTPMethod,
        _ path: String,
        query: [URLQueryItem] = [],
        body: some Encodable,
        expect: Set<Int> = [200],
        isIdempotent: Bool? = nil,
        retryWhen: (@Sendable (HTTPResponse) -> Bool)? = nil
    ) async throws(GiteaError) -> HTTPResponse {
        let data: Data
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            data = try encoder.encode(body)
        } catch {
            throw GiteaError(
                kind: .invalidArgument,
                method: method.rawValue,
                path: self.apiPath(path),
                message: "could not encode the request body: \(error)"
            )
        }
        return try await self.send(
            method,
            path,
            query: query,
            body: data,
            expect: expect,
            isIdempotent: isIdempotent,
            retryWhen: retryWhen
        )
    }

    private func send(
        _ method: HTTPMethod,
        _ path: String,
        query: [URLQueryItem],
        body: Data?,
        expect: Set<Int>,
        isIdempotent: Bool?,
        retryWhen: (@Sendable (HTTPResponse) -> Bool)?
    ) async throws(GiteaError) -> HTTPResponse {
        let fullPath = self.apiPath(path)
        guard var components = URLComponents(url: self.baseURL, resolvingAgainstBaseURL: false) else {
            throw GiteaError(
                kind: .invalidArgument,
                method: method.rawValue,
                path: fullPath,
                message: "the base URL is not valid"
            )
        }
        components.percentEncodedPath = fullPath
        components.queryItems = query.isEmpty ? nil : query
        guard let url = components.url else {
            throw GiteaError(
                kind: .invalidArgument,
                method: method.rawValue,
                path: fullPath,
                message: "cannot build the URL"
            )
        }
        var headers: HTTPHeaders = ["Accept": "application/json", "Authorization": "token \(self.token)"]
        if body != nil { headers.add(name: "Content-Type", value: "application/json") }
        let request = HTTPRequest(
            method: method,
            url: url,
            headers: headers,
            body: body,
            isIdempotent: isIdempotent,
            retryWhen: retryWhen
        )
        let response: HTTPResponse
        do {
            response = try await self.transport.send(request)
        } catch {
            throw GiteaError(
                kind: .transport,
                method: method.rawValue,
                path: fullPath,
                message: self.redact(error.description),
                transportError: error
            )
        }
        guard expect.contains(response.status) else {
            let message = self.redact(Self.message(in: response.body) ?? Self.snippet(of: response.body))
            throw GiteaError(
                kind: GiteaError.kind(forStatus: response.status, message: message, isMerge: path.hasSuffix("/merge")),
                method: method.rawValue,
                path: fullPath,
                status: response.status,
                message: message
            )
        }
        return response
    }

    /// Every item of a paged listing (`page`, `limit`), page after page.
    ///
    /// Gitea filters some listings after paging (other users' pending reviews), so a page may be short while more
    /// follow; `X-Total-Count` (which counts what was filtered) decides when it is known, else an empty or short
    /// page does.
    private func everyPage<T: Decodable>(_ type: T.Type, _ path: String, query: [URLQueryItem] = [])
        async throws(GiteaError) -> [T]
    {
        var all: [T] = []
        var page = 1
        while true {
            let paging = [
                URLQueryItem(name: "page", value: "\(page)"), URLQueryItem(name: "limit", value: "\(self.pageSize)"),
            ]
            let response = try await self.call(.get, path, query: query + paging)
            let items = try self.decode([T].self, response)
            all.append(contentsOf: items)
            if items.isEmpty { break }
            if let total = response.totalCount {
                if page * self.pageSize >= total { break }
            } else if items.count < self.pageSize {
                break
            }
            page += 1
            if page > 10_000 { break }  // a server that never ends its pages must not loop forever
        }
        return all
    }

    private func decode<T: Decodable>(_ type: T.Type, _ response: HTTPResponse) throws(GiteaError) -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = Self.parseDate(text) else {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: decoder.codingPath, debugDescription: "not an RFC 3339 time: \(text)")
                )
            }
            return date
        }
        do {
            return try decoder.decode(T.self, from: response.body)
        } catch {
            throw GiteaError(
                kind: .decoding,
                method: "",
                path: "\(T.self)",
                status: response.status,
                message: "could not read the answer as \(T.self): \(Self.describe(error))"
            )
        }
    }

    private func apiPath(_ path: String) -> String {
        var base = self.baseURL.path
        if base.hasSuffix("/") { base.removeLast() }
        let encodedBase = base.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? base
        return encodedBase + "/api/v1" + path
    }

    private func redact(_ text: String) -> String {
        guard !self.token.isEmpty else { return text }
        return text.replacingOccurrences(of: self.token, with: "[REDACTED]")
    }

    /// Gitea's `message` field from an error body, when there is one.
    static func message(in body: Data) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else { return nil }
        return object["message"] as? String
    }

    private static func snippet(of body: Data) -> String {
        let text = String(decoding: body.prefix(300), as: UTF8.self)
        let plain = text.replacingOccurrences(of: "<[^>]+>", with: " ", options: .regularExpression)
        return plain.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    private static func describe(_ error: any Error) -> String {
        switch error as? DecodingError {
        case .keyNotFound(let key, let context)?:
            return "missing \(Self.codingPath(context.codingPath + [key]))"
        case .typeMismatch(_, let context)?, .valueNotFound(_, let context)?, .dataCorrupted(let context)?:
            return "\(Self.codingPath(context.codingPath)): \(context.debugDescription)"
        default:
            return "\(error)"
        }
    }

    private static func codingPath(_ path: [any CodingKey]) -> String {
        path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
    }

    private static func parseDate(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }

    private static func segment(_ text: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove("/")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// A branch name in a path: `/` is kept, because Gitea's branch routes take the rest of the path.
    private static func branch(_ name: String) -> String {
        name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? name
    }

    private static func repoPath(_ repo: RepoRef) -> String {
        "/repos/\(Self.segment(repo.owner))/\(Self.segment(repo.name))"
    }

    private static func collaboratorPath(_ login: String, _ repo: RepoRef) -> String {
        Self.repoPath(repo) + "/collaborators/\(Self.segment(login))"
    }

    private static func pullPath(_ number: Int64, _ repo: RepoRef) -> String {
        Self.repoPath(repo) + "/pulls/\(number)"
    }
}
