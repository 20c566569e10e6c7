import Foundation
import GitKit
import GiteaKit
import HTTPKit
import TollgateCore

/// The Gitea review host: each phase is a pull request from its branch into `main`, reviewers give verdicts on
/// Gitea, and Gitea squash-merges approved work.
///
/// The API token comes from the environment variable named by `gitea.tokenEnv` or from `gitea.tokenFile`; it is
/// read on first use, sent only in the `Authorization` header and as the git password, and never written into a
/// message, event, commit or remote URL.
public final class GiteaReviewHost: ReviewHost {
    public let name = ReviewHostKind.gitea

    let config: ResolvedConfig
    let repository: GitKit.Repository
    let jobID: String
    private let environment: [String: String]
    private let accounts: GiteaAccounts?
    /// Paces the waits for Gitea's mergeability check (a manual clock in tests).
    let clock: any EngineClock
    private var botLogin: String?
    private var cachedClient: GiteaClient?
    private var cachedToken: String?
    /// Pull requests this process saw merged, by number, so the branch clean-up after a merge needs no second read.
    var mergedPulls: [Int64: PullRequest] = [:]

    init(context: HostContext, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.config = context.config
        self.repository = context.workspace.repository
        self.jobID = context.job.id
        self.environment = environment
        self.accounts = context.accounts
        self.clock = context.clock
    }

    // MARK: - ReviewHost

    public func prepareRepository() async throws -> [String] {
        let client = try client()
        do {
            _ = try await client.checkServerVersion()
        } catch {
            throw hostError(error, doing: "checking the Gitea version")
        }
        let bot = try await bot()
        let ref = try await repoRef()
        let found: GiteaKit.Repository
        do {
            found = try await client.repository(ref)
        } catch  where error.kind == .notFound {
            let organization = ref.owner == bot ? nil : ref.owner
            let options = CreateRepositoryOptions(
                name: ref.name,
                description: "Tollgate job \(jobID)",
                isPrivate: true,
                autoInit: false,
                defaultBranch: "main"
            )
            do {
                found = try await client.createRepository(options, organization: organization)
            } catch  where error.kind == .notFound {
                throw EngineError.host(
                    "the Gitea owner \(ref.owner) does not exist (or \(bot) cannot see it): check gitea.owner, "
                        + "or create the organisation and add \(bot) to it"
                )
            } catch {
                throw hostError(error, doing: "creating the repository \(ref) on Gitea")
            }
        } catch {
            throw hostError(error, doing: "looking up the repository \(ref) on Gitea")
        }
        if let permissions = found.permissions, !permissions.push {
            throw EngineError.host(
                "\(bot) may not push to \(ref) on Gitea: give the account write access to the repository"
            )
        }
        // Git goes where the user reaches Gitea (gitea.url), not to the address Gitea builds from its ROOT_URL.
        let url = try serverURL(found.cloneURL, repository: found.fullName)
        do {
            try repository.setRemote(name: Self.remote, url: url)
        } catch {
            throw EngineError.host("could not point the remote \(Self.remote) at \(url): \(error)")
        }
        guard let root = ServerURL.root(of: found.cloneURL, repository: found.fullName),
            root.lowercased() != client.baseURL.absoluteString.lowercased()
        else { return [] }
        return [
            "Gitea reports its address as \(root) (its ROOT_URL setting) but gitea.url is "
                + "\(config[ConfigKeys.giteaUrl]): Tollgate pushes to \(url) and links to gitea.url; set ROOT_URL in "
                + "Gitea's app.ini to the address people reach it at, so Gitea's own pages and mails link there too"
        ]
    }

    /// A URL Gitea reported, on the server as the user configured it in `gitea.url`.
    func serverURL(_ reported: String, repository fullName: String) throws -> String {
        guard let url = ServerURL.rebase(reported, onto: try client().baseURL, repository: fullName) else {
            throw EngineError.host("Gitea reported \(reported) for \(fullName), which is not a URL")
        }
        return url
    }

    public func publish(branches: [String]) async throws {
        var names = branches
        if !names.contains(StateStore.branch) { names.append(StateStore.branch) }
        if try await push(names) { try FaultPoint.afterPush.trip() }
    }

    public func postNote(_ body: String, key: String, on handle: ReviewHandle) async throws {
        let ref = try await repoRef()
        let number = Int64(handle.id)
        _ = try await call("commenting on pull request #\(number)") {
            try await $0.postComment(body, on: number, in: ref, marker: CommentMarker.forKey(key))
        }
        try FaultPoint.afterComment.trip()
    }

    public func postCritique(_ findings: CritiqueFindings, summary: String, key: String, on handle: ReviewHandle)
        async throws
    {
        guard !findings.items.isEmpty else { return }
        let ref = try await repoRef()
        let bot = try await bot()
        let number = Int64(handle.id)
        let marker = CommentMarker.forKey(key)
        // Idempotent as every post: a rerun finds the review by its hidden marker and posts nothing.
        let reviews = try await call("reading the reviews of pull request #\(number)") {
            try await $0.reviews(on: number, in: ref)
        }
        if reviews.contains(where: { $0.user?.login.lowercased() == bot.lowercased() && $0.body.contains(marker) }) {
            return
        }
        let comments = findings.items.map {
            CreatePullReviewOptions.InlineComment(
                path: $0.path,
                body: CritiqueFindings.comment($0),
                newLine: $0.line ?? 1
            )
        }
        let options = CreatePullReviewOptions(
            event: .comment,
            body: summary + "\n\n" + marker,
            commitID: handle.head,
            comments: comments
        )
        _ = try await call("posting the critique on pull request #\(number)") {
            try await $0.createReview(options, on: number, in: ref)
        }
        try FaultPoint.afterComment.trip()
    }

    // MARK: - Plumbing shared with the review calls

    static let remote = "origin"

    /// The repository on Gitea: `gitea.owner` (the bot when empty) / `gitea.repo` (the job id when empty).
    func repoRef() async throws -> RepoRef {
        let owner = config[ConfigKeys.giteaOwner]
        let name = config[ConfigKeys.giteaRepo]
        return RepoRef(owner: owner.isEmpty ? try await bot() : owner, name: name.isEmpty ? jobID : name)
    }

    /// The token's own login, asked once.
    func bot() async throws -> String {
        if let botLogin { return botLogin }
        let client = try client()
        let token = try token()
        // The same server and token name the same account for every job of a watch round: asked once a round.
        if let known = accounts?.login(server: client.baseURL, token: token) {
            botLogin = known
            return known
        }
        do {
            let user = try await client.currentUser()
            botLogin = user.login
            accounts?.remember(user.login, server: client.baseURL, token: token)
            return user.login
        } catch {
            throw hostError(error, doing: "identifying the account of the Gitea token")
        }
    }

    /// Calls the API, turning a Gitea failure into a message that names what was being done.
    func call<T>(
        _ doing: String,
        _ operation: (GiteaClient) async throws -> T
    ) async throws -> T {
        let client = try client()
        do {
            return try await operation(client)
        } catch let error as GiteaError {
            throw hostError(error, doing: doing)
        }
    }

    /// Pushes branches to Gitea, never forced: a branch someone else moved is refused, not overwritten.
    ///
    /// A branch whose remote-tracking reference (which a push or fetch leaves at what Gitea has) already equals the
    /// local tip is left out, so publishing what is already there costs no round trip.
    /// - Returns: whether anything was pushed.
    @discardableResult
    func push(_ branches: [String]) async throws -> Bool {
        let pending: [String]
        do {
            pending = try branches.filter { branch in
                let local = try repository.branchTip(branch)
                let pushed = try repository.resolve(reference: "refs/remotes/\(Self.remote)/\(branch)")
                return local == nil || local != pushed
            }
        } catch {
            throw gitError(error, doing: "reading the branches to push to Gitea")
        }
        guard !pending.isEmpty else { return false }
        let credentials = try await credentials()
        let refspecs = pending.map { "refs/heads/\($0):refs/heads/\($0)" }
        do {
            try repository.push(
                remote: Self.remote,
                refspecs: refspecs,
                credentials: credentials,
                security: TransportSecurity(
                    caFile: config[ConfigKeys.giteaCaFile],
                    insecureSkipTLSVerify: config[ConfigKeys.giteaInsecureSkipTLSVerify]
                )
            )
        } catch {
            throw gitError(error, doing: "pushing \(pending.joined(separator: ", ")) to Gitea")
        }
        return true
    }

    /// Fetches `branch` from Gitea into `refs/remotes/origin/<branch>` and returns its tip.
    func fetch(_ branch: String) async throws -> OID? {
        let credentials = try await credentials()
        do {
            try repository.fetch(
                remote: Self.remote,
                refspecs: ["+refs/heads/\(branch):refs/remotes/\(Self.remote)/\(branch)"],
                credentials: credentials,
                security: TransportSecurity(
                    caFile: config[ConfigKeys.giteaCaFile],
                    insecureSkipTLSVerify: config[ConfigKeys.giteaInsecureSkipTLSVerify]
                )
            )
            return try repository.resolve(reference: "refs/remotes/\(Self.remote)/\(branch)")
        } catch {
            throw gitError(error, doing: "fetching \(branch) from Gitea")
        }
    }

    func credentials() async throws -> Credentials {
        Credentials(username: try await bot(), password: try token())
    }

    // MARK: - Token and client

    func client() throws -> GiteaClient {
        if let cachedClient { return cachedClient }
        let text = config[ConfigKeys.giteaUrl]
        guard !text.isEmpty, let url = URL(string: text.hasSuffix("/") ? text : text + "/"), url.scheme != nil else {
            throw EngineError.host(
                "gitea.url is \(text.isEmpty ? "not set" : "not a URL (\(text))"): set it to the Gitea server, "
                    + "e.g. --set gitea.url=https://gitea.example.com"
            )
        }
        let caFile = config[ConfigKeys.giteaCaFile]
        let transport = CurlTransport(
            configuration: CurlTransport.Configuration(
                timeout: .seconds(max(1, config[ConfigKeys.giteaTimeoutSeconds])),
                caFile: caFile.isEmpty ? nil : caFile,
                insecureSkipTLSVerify: config[ConfigKeys.giteaInsecureSkipTLSVerify]
            )
        )
        let client = GiteaClient(baseURL: url, token: try token(), transport: transport)
        cachedClient = client
        return client
    }

    private func token() throws -> String {
        if let cachedToken { return cachedToken }
        let variable =
            config[ConfigKeys.giteaTokenEnv].isEmpty ? "TOLLGATE_GITEA_TOKEN" : config[ConfigKeys.giteaTokenEnv]
        var token = environment[variable]?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        let file = config[ConfigKeys.giteaTokenFile]
        if token.isEmpty, !file.isEmpty {
            token = try Self.readTokenFile(file)
        }
        guard !token.isEmpty else {
            throw EngineError.host(
                "no Gitea token: set the environment variable \(variable) to an access token of the bot account"
                    + (file.isEmpty ? " (or gitea.tokenFile to a file holding it)" : " or put it in \(file)")
            )
        }
        cachedToken = token
        return token
    }

    /// Reads a token file, refusing one that the group or others may read.
    static func readTokenFile(_ path: String) throws -> String {
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: path)
        } catch {
            throw EngineError.host("cannot read the Gitea token file \(path) (gitea.tokenFile): it does not exist")
        }
        let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0o777
        guard mode & 0o077 == 0 else {
            throw EngineError.host(
                "the Gitea token file \(path) may be read by other users (mode \(String(mode, radix: 8))): "
                    + "run `chmod 600 \(path)` so only its owner can read it"
            )
        }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
        else {
            throw EngineError.host("cannot read the Gitea token file \(path) (gitea.tokenFile)")
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    // MARK: - Errors

    /// A Gitea failure as a user-facing message: what was being done, what the server said, what to check.
    func hostError(_ error: GiteaError, doing: String) -> EngineError {
        let url = config[ConfigKeys.giteaUrl]
        // The description already ends with the error's own hint; say more only where the host knows better.
        let advice: String?
        switch error.kind {
        case .unauthorized:
            advice =
                "the token was refused: check that the token in the configured variable or file is the bot's "
                + "current token."
        case .forbidden:
            advice =
                "the token lacks a permission or scope: Tollgate needs write:repository, write:issue and read:user, "
                + "and write:user or write:organization to create repositories."
        case .transport where error.transportError?.curlError?.isCertificateRefusal == true:
            advice = certificateAdvice()
        case .transport where error.transportError?.curlError?.kind == .timedOut:
            advice =
                "is the Gitea server at \(url) up and not overloaded? If it is slow, raise "
                + "\(ConfigKeys.giteaTimeoutSeconds.name) (now \(config[ConfigKeys.giteaTimeoutSeconds]) s)."
        case .transport:
            advice = "is the Gitea server at \(url) running and reachable?"
        default:
            advice = nil
        }
        let text = "\(doing) failed: \(redacted(error.description))"
        guard let advice else { return EngineError.host(text.hasSuffix(".") ? text : text + ".") }
        return EngineError.host("\(text). \(advice.capitalizedFirst)")
    }

    func gitError(_ error: any Error, doing: String) -> EngineError {
        var advice = "is the Gitea server at \(config[ConfigKeys.giteaUrl]) running, and may the bot push there?"
        if let git = error as? GitError, git.isAuthenticationFailure {
            advice = "the server refused the token for git: check the bot's token and its write:repository scope"
        } else if let git = error as? GitError, git.isCertificateFailure {
            advice = certificateAdvice()
        }
        return EngineError.host("\(doing) failed: \(redacted(String(describing: error))). \(advice.capitalizedFirst)")
    }

    /// What to set when the server's certificate was not trusted, by the configuration keys' names (the adapters
    /// only say that a CA file or skipping verification would settle it).
    private func certificateAdvice() -> String {
        let caFile = config[ConfigKeys.giteaCaFile]
        let insecure = "only for a test server, \(ConfigKeys.giteaInsecureSkipTLSVerify.name)=true turns the check off."
        if caFile.isEmpty {
            return "if the server uses a private certificate authority, set \(ConfigKeys.giteaCaFile.name) to a PEM "
                + "file holding it; \(insecure)"
        }
        return "check that \(ConfigKeys.giteaCaFile.name) (\(caFile)) holds the certificate authority that signed "
            + "the server's certificate and that the certificate names this host; \(insecure)"
    }

    /// `text` with the token removed, whatever echoed it.
    private func redacted(_ text: String) -> String {
        guard let cachedToken, !cachedToken.isEmpty else { return text }
        return text.replacingOccurrences(of: cachedToken, with: "<token>")
    }
}
