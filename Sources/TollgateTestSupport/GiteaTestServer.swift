import Foundation
import Synchronization

/// Starts and stops the Gitea-compatible test server (`Tests/GiteaServer/gitea_server.py`) for any test.
///
/// The server listens on 127.0.0.1 with an ephemeral port and serves git smart HTTP for
/// `/{owner}/{repo}.git` and Gitea's REST subset under `/api/v1`. It starts with three users, each
/// with an all-scopes token: ``bot`` (the engine's account, which opens pull requests), and the
/// reviewers ``alice`` and ``bob``. Permissions are Gitea's: a private repository is visible to its owner,
/// collaborators, site admins and the owning organisation's teams that hold it only. Control calls (users, faults, the request log) go over the
/// process's stdin/stdout, so they need no HTTP client; closing stdin stops the server, so it cannot
/// outlive the test process. Every call blocks briefly; it is meant for tests only.
public final class GiteaTestServer: Sendable {
    /// A user and one of its API tokens.
    public struct Account: Sendable, Equatable {
        /// The login name.
        public let login: String
        /// An access token (also the git password).
        public let token: String

        /// Creates an account value, for example one with a deliberately wrong token.
        public init(login: String, token: String) {
            self.login = login
            self.token = token
        }
    }

    /// One request the server answered (control calls excluded); `status` is 0 for a dropped connection.
    public struct LoggedRequest: Sendable, Equatable {
        /// The method, for example `GET`.
        public let method: String
        /// The path without the query, for example `/api/v1/version`.
        public let path: String
        /// The query string, without the `?` (empty when there is none).
        public let query: String
        /// The status sent.
        public let status: Int
        /// The fault the server injected into this request (`status`, `drop` or `slow`), or nil.
        ///
        /// A `slow` request is logged when it arrives, with status 0; its late answer is not logged again.
        public let fault: String?
    }

    /// A failure to start or talk to the server.
    public struct Failure: Error, CustomStringConvertible {
        /// What went wrong.
        public let description: String
    }

    /// The certificate and private key (PEM files) of a server that speaks HTTPS instead of plain HTTP.
    public struct TLSIdentity: Sendable {
        /// The server's certificate, optionally followed by intermediate certificates.
        public let certificateFile: URL
        /// The certificate's unencrypted private key.
        public let keyFile: URL

        /// Creates an identity from two PEM files.
        public init(certificateFile: URL, keyFile: URL) {
            self.certificateFile = certificateFile
            self.keyFile = keyFile
        }
    }

    /// The server's root URL, `http://127.0.0.1:PORT/` (`https` with a ``TLSIdentity``); the API is under `api/v1`.
    public let baseURL: URL
    /// The port the server listens on.
    public let port: Int
    /// The directory holding the server's bare repositories (deleted by ``stop()``).
    public let rootDirectory: URL
    /// The engine's account: it opens pull requests and cannot approve them.
    public let bot: Account
    /// A human reviewer.
    public let alice: Account
    /// A second human reviewer.
    public let bob: Account

    private let channel: Mutex<Channel?>

    /// The server script, next to this package's tests.
    private static let scriptURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Tests/GiteaServer/gitea_server.py")

    /// Starts a server and waits until it listens.
    ///
    /// - Parameters:
    ///   - version: The Gitea version it reports and emulates (error texts differ by version).
    ///   - verbose: Log every request to the server's stderr file (`server.log` in the root directory).
    ///   - tls: Serve HTTPS with this certificate; plain HTTP when nil.
    ///   - rootURL: The `ROOT_URL` the server builds the URLs it reports from (`clone_url`, `html_url`), as a Gitea
    ///     behind a proxy or in a container reports a wrong one; its own address when nil.
    ///   - mergeCheckDelay: Seconds a pull request is "checking" (`mergeable: false`, merges answer 405 "Please try
    ///     again later") after it is opened and after each push to its head or base; the server's default when nil.
    public init(
        version: String = "1.26.3",
        verbose: Bool = false,
        tls: TLSIdentity? = nil,
        rootURL: String? = nil,
        mergeCheckDelay: Double? = nil
    ) throws {
        let root = TemporaryDirectory.root
            .appendingPathComponent("gitea-test-server-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let logURL = root.appendingPathComponent("server.log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)

        var arguments = [
            "--root", root.path, "--version", version, "--user", "tollgate-bot", "--user", "alice", "--user", "bob",
        ]
        if verbose { arguments.append("--verbose") }
        if let rootURL { arguments += ["--root-url", rootURL] }
        if let mergeCheckDelay { arguments += ["--merge-check-delay", "\(mergeCheckDelay)"] }
        if let tls { arguments += ["--tls-cert", tls.certificateFile.path, "--tls-key", tls.keyFile.path] }
        let server: PythonServer
        do {
            server = try PythonServer(
                script: "gitea_server",
                at: Self.scriptURL,
                arguments: arguments,
                stderrPath: logURL.path
            )
        } catch {
            try? FileManager.default.removeItem(at: root)
            throw Failure(description: "cannot start the Gitea test server: \(error)")
        }
        var channel = Channel(server: server, logURL: logURL, root: root)

        let ready: [String: Any]
        do {
            ready = try channel.readJSONLine()
        } catch {
            channel.shutDown()
            throw error
        }
        server.pid = (ready["pid"] as? Int).map { Int32($0) }
        guard let port = ready["port"] as? Int, let users = ready["users"] as? [String: String],
            let botToken = users["tollgate-bot"], let aliceToken = users["alice"], let bobToken = users["bob"],
            let baseURL = URL(string: "\(tls == nil ? "http" : "https")://127.0.0.1:\(port)/")
        else {
            channel.shutDown()
            throw Failure(description: "the Gitea test server sent an unexpected first line: \(ready)")
        }
        self.port = port
        self.baseURL = baseURL
        self.rootDirectory = root
        self.bot = Account(login: "tollgate-bot", token: botToken)
        self.alice = Account(login: "alice", token: aliceToken)
        self.bob = Account(login: "bob", token: bobToken)
        self.channel = Mutex(channel)
    }

    deinit {
        self.stop()
    }

    /// Stops the server and deletes its repositories; later calls do nothing.
    public func stop() {
        self.channel.withLock { channel in
            channel?.shutDown()
            channel = nil
        }
    }

    // MARK: - Accounts

    /// Creates a user with one token.
    ///
    /// - Parameters:
    ///   - login: The login name.
    ///   - scopes: Token scopes such as `write:repository`, `read:issue`, or `all`.
    ///   - admin: Whether the user is a site administrator.
    public func createUser(_ login: String, scopes: [String] = ["all"], admin: Bool = false) throws -> Account {
        let result = try self.control("users", ["login": login, "scopes": scopes, "admin": admin])
        guard let token = result["token"] as? String else { throw Failure(description: "no token in \(result)") }
        return Account(login: login, token: token)
    }

    /// Creates another token for an existing user.
    public func createToken(for login: String, scopes: [String]) throws -> Account {
        let result = try self.control("tokens", ["login": login, "scopes": scopes])
        guard let token = result["token"] as? String else { throw Failure(description: "no token in \(result)") }
        return Account(login: login, token: token)
    }

    /// Creates an organisation; `members` form its Owners team (owners of every repository, may create more).
    public func createOrganization(_ name: String, members: [String]) throws {
        _ = try self.control("orgs", ["name": name, "members": members])
    }

    /// Gives `login` `permission` (`read`, `write` or `admin`) on a repository as its owner would, or ends their
    /// collaboration when `permission` is nil.
    public func setCollaborator(_ login: String, permission: String?, owner: String, name: String) throws {
        var args: [String: Any] = ["owner": owner, "name": name, "login": login]
        if let permission { args["permission"] = permission }
        _ = try self.control("collaborators", args)
    }

    /// Adds a team to an organisation: its members get `permission` (`read`, `write` or `admin`) on the named
    /// repositories, or on every one with `includesAllRepositories`.
    public func createTeam(
        _ name: String,
        in organization: String,
        permission: String,
        members: [String],
        repositories: [String] = [],
        includesAllRepositories: Bool = false,
        canCreateRepositories: Bool = false
    ) throws {
        _ = try self.control(
            "teams",
            [
                "org": organization, "name": name, "permission": permission, "members": members,
                "repos": repositories, "includes_all_repositories": includesAllRepositories,
                "can_create_org_repo": canCreateRepositories,
            ]
        )
    }

    // MARK: - Faults

    /// Makes the next `count` API requests (optionally only those whose path contains `pathContains`)
    /// answer `status` with an HTML body, as a proxy in front of Gitea would.
    public func failNextRequests(
        _ count: Int,
        status: Int = 502,
        pathContains: String? = nil,
        method: String? = nil,
        retryAfter: Int? = nil
    ) throws {
        var extra: [String: Any] = ["status": status]
        if let retryAfter { extra["retry_after"] = retryAfter }
        try self.injectFault("status", count: count, pathContains: pathContains, method: method, extra)
    }

    /// Makes the server close the connection without answering the next `count` API requests.
    ///
    /// - Parameters:
    ///   - pathPrefix: Which requests may be dropped: `/api/v1/` (API calls) unless given; `/` includes git's.
    ///   - beforeBody: Close before reading the request's body, so a client still sending it (a large push)
    ///     writes into a reset connection.
    public func dropNextConnections(
        _ count: Int,
        pathContains: String? = nil,
        method: String? = nil,
        pathPrefix: String? = nil,
        beforeBody: Bool = false
    ) throws {
        var extra: [String: Any] = ["early": beforeBody]
        if let pathPrefix { extra["prefix"] = pathPrefix }
        try self.injectFault("drop", count: count, pathContains: pathContains, method: method, extra)
    }

    /// Makes the server carry out the next `count` API requests (optionally only those whose path contains
    /// `pathContains`) and then close the connection before answering, as when a proxy or the network loses the
    /// answer: the client cannot tell whether its request took effect.
    public func loseNextAnswers(_ count: Int, pathContains: String? = nil, method: String? = nil) throws {
        try self.injectFault("lose", count: count, pathContains: pathContains, method: method, [:])
    }

    /// Makes the server wait `delay` before answering each of the next `count` API requests (optionally only
    /// those whose path contains `pathContains`), as an overloaded Gitea would; a client with a shorter
    /// timeout gives up first.
    ///
    /// Other requests are answered meanwhile.
    public func slowNextRequests(
        _ count: Int,
        delay: Duration,
        pathContains: String? = nil,
        method: String? = nil
    ) throws {
        let seconds = Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18
        try self.injectFault("slow", count: count, pathContains: pathContains, method: method, ["delay": seconds])
    }

    /// Sends a `faults` control call: the arguments all kinds share, plus the kind's own.
    private func injectFault(
        _ kind: String,
        count: Int,
        pathContains: String?,
        method: String?,
        _ extra: [String: Any]
    ) throws {
        var args = extra
        args["kind"] = kind
        args["count"] = count
        if let pathContains { args["path"] = pathContains }
        if let method { args["method"] = method }
        _ = try self.control("faults", args)
    }

    /// Makes the next `count` merge attempts answer 405 "Please try again later" whatever the pull request's
    /// `mergeable` says, as a push landing between a client's check and its merge would.
    public func makeNextMergesBusy(_ count: Int) throws {
        _ = try self.control("faults", ["merge_busy": count])
    }

    /// Sets how long pull requests opened or pushed to from now on stay "checking" (Gitea's asynchronous
    /// mergeability check): `mergeable: false`, and merges answer 405 "Please try again later".
    public func setMergeCheckDelay(_ seconds: Double) throws {
        _ = try self.control("mergeability", ["delay": seconds])
    }

    /// Makes every check started from now on (by a push, or a pull request opened) end only once the pull request
    /// was read `reads` times, besides the delay: a test sees the checking state and the client's polling whatever
    /// the load on the machine.
    public func setMergeCheckReads(_ reads: Int) throws {
        _ = try self.control("mergeability", ["reads": reads])
    }

    /// Makes the next merge attempt first commit `files` onto the pull request's head branch, as `author`, as if
    /// someone pushed between the verdict and the merge (the merge then answers 409 "head out of date" when it
    /// names the approved head).
    public func pushBeforeNextMerge(
        _ files: [String: String] = ["late.md": "pushed before the merge\n"],
        author: String = "bob",
        message: String = "A late change"
    ) throws {
        _ = try self.control(
            "faults",
            ["move_on_merge": ["files": files, "author": author, "message": message] as [String: Any]]
        )
    }

    /// Removes every pending fault.
    public func clearFaults() throws {
        _ = try self.control("faults", ["clear": true])
    }

    /// Changes the version the server reports and emulates.
    public func setReportedVersion(_ version: String) throws {
        _ = try self.control("version", ["version": version])
    }

    // MARK: - Request log

    /// Every API and git request answered since the start or the last ``resetRequestLog()``.
    public func requests() throws -> [LoggedRequest] {
        let result = try self.control("requests", [:])
        let entries = result["requests"] as? [[String: Any]] ?? []
        return entries.map {
            LoggedRequest(
                method: $0["method"] as? String ?? "",
                path: $0["path"] as? String ?? "",
                query: $0["query"] as? String ?? "",
                status: $0["status"] as? Int ?? 0,
                fault: $0["fault"] as? String
            )
        }
    }

    /// Forgets the requests logged so far.
    public func resetRequestLog() throws {
        _ = try self.control("requests/reset", [:])
    }

    // MARK: - Webhooks

    /// One webhook delivery the server made: which hook, the event headers it sent, and how the receiver answered.
    public struct Delivery: Sendable, Equatable {
        /// The hook's id.
        public let hookID: Int
        /// `X-Gitea-Event`, for example `pull_request_approved`.
        public let event: String
        /// `X-Gitea-Event-Type`, for example `pull_request_review_approved`.
        public let eventType: String
        /// The receiver's status code; 0 when the delivery failed before an answer.
        public let status: Int
    }

    /// The webhook deliveries finished so far (deliveries run in the background, as Gitea's queue does); with
    /// `settled`, once every delivery started so far has finished, so that nothing is still on its way.
    public func webhookDeliveries(settled: Bool = false) throws -> [Delivery] {
        let result = try self.control("hooks/deliveries", settled ? ["settled": true] : [:])
        let entries = result["deliveries"] as? [[String: Any]] ?? []
        return entries.map {
            Delivery(
                hookID: $0["hook_id"] as? Int ?? 0,
                event: $0["event"] as? String ?? "",
                eventType: $0["event_type"] as? String ?? "",
                status: $0["status"] as? Int ?? 0
            )
        }
    }

    // MARK: - Git

    /// The smart-HTTP URL of a repository, without credentials.
    public func repositoryURL(owner: String, name: String) -> URL {
        self.baseURL.appendingPathComponent("\(owner)/\(name).git")
    }

    /// The smart-HTTP URL with `account`'s token as the password, for the git command line in tests.
    public func authenticatedRepositoryURL(owner: String, name: String, account: Account) -> URL {
        var components = URLComponents(
            url: self.repositoryURL(owner: owner, name: name),
            resolvingAgainstBaseURL: false
        )
        components?.user = account.login
        components?.password = account.token
        return components?.url ?? self.repositoryURL(owner: owner, name: name)
    }

    /// Commits `files` onto `branch` directly in the server's repository, as a push by `author` would
    /// (pull requests from that branch get the new head and their reviews go stale); returns the commit.
    ///
    /// A new branch starts from `start` (default: the repository's default branch).
    @discardableResult
    public func commit(
        _ files: [String: String],
        to branch: String,
        owner: String,
        name: String,
        author: String? = nil,
        message: String = "Update files",
        from start: String? = nil
    ) throws -> String {
        var args: [String: Any] = ["owner": owner, "name": name, "branch": branch, "files": files, "message": message]
        if let author { args["author"] = author }
        if let start { args["from"] = start }
        let result = try self.control("commit", args)
        guard let sha = result["sha"] as? String else { throw Failure(description: "no sha in \(result)") }
        return sha
    }

    /// The bare repository on disk, for inspecting results with git in tests.
    public func bareRepositoryPath(owner: String, name: String) -> URL {
        self.rootDirectory.appendingPathComponent("repositories/\(owner.lowercased())/\(name.lowercased()).git")
    }

    // MARK: - Control channel

    /// Sends one control operation (see the script's `Server.control`) and returns its result.
    public func control(_ operation: String, _ arguments: [String: Any]) throws -> [String: Any] {
        let line = try JSONSerialization.data(withJSONObject: ["op": operation, "args": arguments])
        return try self.channel.withLock { channel throws -> [String: Any] in
            guard channel != nil else { throw Failure(description: "the Gitea test server is stopped") }
            // A non-optional copy is mutated and written back, because Channel is a struct.
            guard var open = channel else { throw Failure(description: "the Gitea test server is stopped") }
            defer { channel = open }
            try open.write(line + Data("\n".utf8))
            let answer = try open.readJSONLine()
            guard answer["ok"] as? Bool == true else {
                throw Failure(description: "control \(operation) failed: \(answer["message"] ?? answer)")
            }
            return answer["result"] as? [String: Any] ?? [:]
        }
    }
}

/// The running server and what it sent that was not read yet; only used under the server's lock.
private struct Channel {
    let server: PythonServer
    let logURL: URL
    let root: URL
    var buffer = Data()

    func write(_ data: Data) throws {
        do {
            try self.server.input.write(contentsOf: data)
        } catch {
            throw GiteaTestServer.Failure(description: "the Gitea test server stopped: \(self.logTail())")
        }
    }

    mutating func readJSONLine() throws -> [String: Any] {
        while true {
            if let newline = self.buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = self.buffer[self.buffer.startIndex..<newline]
                self.buffer.removeSubrange(self.buffer.startIndex...newline)
                guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
                    throw GiteaTestServer.Failure(
                        description:
                            "unexpected output from the Gitea test server: \(String(decoding: line, as: UTF8.self))"
                    )
                }
                return object
            }
            let chunk = self.server.output.availableData
            if chunk.isEmpty {
                throw GiteaTestServer.Failure(description: "the Gitea test server exited: \(self.logTail())")
            }
            self.buffer.append(chunk)
        }
    }

    func logTail() -> String {
        let text = (try? String(contentsOf: self.logURL, encoding: .utf8)) ?? ""
        return text.isEmpty ? "(no output)" : String(text.suffix(2000))
    }

    func shutDown() {
        self.server.stop()
        try? FileManager.default.removeItem(at: self.root)
    }
}
