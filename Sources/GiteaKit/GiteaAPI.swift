import Foundation

/// The Gitea REST operations Tollgate uses: repositories, pull requests, reviews, comments and merges.
///
/// ``GiteaClient`` implements it over any `HTTPTransport`; tests and the engine may supply fakes.
/// Pull requests are addressed by `number` (the index in URLs), never by `id`.
public protocol GiteaAPI: Sendable {
    /// `GET /version`: the server's version.
    func serverVersion() async throws(GiteaError) -> ServerVersion
    /// Reads the version and throws `.unsupportedVersion` when it is older than `minimum` or unreadable.
    func checkServerVersion(minimum: GiteaVersion) async throws(GiteaError) -> GiteaVersion
    /// `GET /user`: the token's own account.
    func currentUser() async throws(GiteaError) -> User

    /// Creates a repository for the token's user, or in `organization` when given.
    func createRepository(_ options: CreateRepositoryOptions, organization: String?) async throws(GiteaError)
        -> Repository
    /// `GET /repos/{owner}/{repo}`.
    func repository(_ repo: RepoRef) async throws(GiteaError) -> Repository

    /// `GET …/collaborators/{login}/permission`: the user's access from every source (owner, collaboration,
    /// teams, site admin). Only repository admins, site admins and the user themself may ask (else `.forbidden`);
    /// `.notFound` when there is no such user.
    func collaboratorPermission(of login: String, in repo: RepoRef) async throws(GiteaError) -> CollaboratorPermission
    /// `PUT …/collaborators/{login}`: makes the user a collaborator at `level` (`read`, `write` or `admin`), or
    /// changes their level. Needs repository admin (`.forbidden` otherwise); `.validation` for an unknown user.
    func addCollaborator(_ login: String, level: AccessLevel, in repo: RepoRef) async throws(GiteaError)
    /// `DELETE …/collaborators/{login}`: ends the user's collaboration (repository admins only).
    func removeCollaborator(_ login: String, in repo: RepoRef) async throws(GiteaError)
    /// `GET …/collaborators/{login}`: whether the user is a collaborator (access through teams does not count).
    func isCollaborator(_ login: String, in repo: RepoRef) async throws(GiteaError) -> Bool

    /// Opens a pull request.
    func createPullRequest(_ options: CreatePullRequestOptions, in repo: RepoRef) async throws(GiteaError)
        -> PullRequest
    /// Reads one pull request.
    func pullRequest(_ number: Int64, in repo: RepoRef) async throws(GiteaError) -> PullRequest
    /// The pull request from `head` into `base` (open or not), or `nil` when there is none.
    func pullRequest(base: String, head: String, in repo: RepoRef) async throws(GiteaError) -> PullRequest?
    /// Every pull request in `state` (`nil`: all), all pages, newest first.
    func pullRequests(in repo: RepoRef, state: PullRequest.State?) async throws(GiteaError) -> [PullRequest]
    /// Changes a pull request's title, body or state.
    func editPullRequest(_ number: Int64, in repo: RepoRef, _ options: EditPullRequestOptions)
        async throws(GiteaError) -> PullRequest

    /// Requests (or re-requests) reviews; returns the new `REQUEST_REVIEW` rows (none for a user whose
    /// latest review is already a request).
    func requestReviewers(_ logins: [String], on number: Int64, in repo: RepoRef) async throws(GiteaError)
        -> [PullReview]
    /// Every review of a pull request, all pages, review requests and dismissed reviews included.
    func reviews(on number: Int64, in repo: RepoRef) async throws(GiteaError) -> [PullReview]
    /// Submits a review (as the token's user).
    func createReview(_ options: CreatePullReviewOptions, on number: Int64, in repo: RepoRef)
        async throws(GiteaError) -> PullReview
    /// Dismisses an approval or change request (repository admins only).
    func dismissReview(_ reviewID: Int64, on number: Int64, in repo: RepoRef, message: String)
        async throws(GiteaError) -> PullReview
    /// A review's inline comments, sorted by id.
    func reviewComments(review reviewID: Int64, on number: Int64, in repo: RepoRef) async throws(GiteaError)
        -> [PullReviewComment]

    /// General comments, oldest first; only those updated at or after `since` when given.
    func issueComments(on number: Int64, in repo: RepoRef, since: Date?) async throws(GiteaError) -> [Comment]
    /// Posts `body` unless a comment carrying the hidden marker `<!-- tollgate:KEY -->` exists already.
    func postComment(_ body: String, on number: Int64, in repo: RepoRef, idempotencyKey: String)
        async throws(GiteaError) -> CommentPosting

    /// Merges a pull request; retries while Gitea answers 405 "Please try again later".
    ///
    /// - Throws: `.headOutOfDate` when `headCommitID` is no longer the head; `.notAllowed` with Gitea's reason.
    func merge(_ number: Int64, in repo: RepoRef, _ options: MergeOptions) async throws(GiteaError) -> MergeOutcome
    /// `GET …/merge`: whether the pull request is merged (204) or not (404).
    func isMerged(_ number: Int64, in repo: RepoRef) async throws(GiteaError) -> Bool
    /// Deletes a branch; returns `false` when it did not exist.
    func deleteBranch(_ branch: String, in repo: RepoRef) async throws(GiteaError) -> Bool

    /// `POST /repos/{owner}/{repo}/statuses/{sha}`: adds a status to a commit (needs write access to the code).
    func createCommitStatus(_ options: CreateCommitStatusOptions, on sha: String, in repo: RepoRef)
        async throws(GiteaError) -> CommitStatus
    /// `GET /repos/{owner}/{repo}/commits/{ref}/status`: the latest status of each context of the commit `ref` (a
    /// branch, tag or commit id) names, all pages, and their combined state.
    func combinedStatus(of ref: String, in repo: RepoRef) async throws(GiteaError) -> CombinedStatus
}
