import Foundation
import GiteaKit
import HTTPKit

/// Counts the HTTP requests and times the Gitea calls of a resume, against the Gitea-compatible test server.
///
/// The API calls of two `tollgate resume` runs, made in the order `GiteaReviewHost` makes them (a test of the
/// binary, `aResumeThatFindsNothingNewOrAnApprovalCostsFewRequests`, pins that order against the server's log),
/// each on its own pull request:
/// - approve-and-merge: who the token is, the PR, its reviews (the approval of the head), its comments; merged
///   already?, the squash merge with `head_commit_id`, merged now?, the PR again for its merge commit. A fetch of
///   `main` over git follows in the real run (3 git requests), not counted here;
/// - nothing new: who the token is, the PR, its reviews (a request is still open), its comments.
/// Plus the round trip of one small GET on a kept-alive connection. The server is Python, so absolute times
/// are the emulator's, not Gitea's; the request counts are what a real server would see.
enum GiteaBench {
    /// Timed runs per sequence (after one untimed warm-up).
    static let iterations = 20
    /// Idle jobs in the measured `watch` round.
    static let watchedJobs = 5

    static func run() async throws {
        print("## gitea: requests and time per resume, CurlTransport + GiteaClient against the test server")
        print("")
        guard FileManager.default.fileExists(atPath: BenchServer.scriptURL.path) else {
            print(
                "skipped: the test server script is not here (\(BenchServer.scriptURL.path)); run from the source tree"
            )
            print("")
            return
        }
        let server = try BenchServer()
        defer { server.stop() }
        let transport = CurlTransport()
        let reviewerTransport = CurlTransport()
        let bot = GiteaClient(baseURL: server.baseURL, token: server.botToken, transport: transport)
        let alice = GiteaClient(baseURL: server.baseURL, token: server.aliceToken, transport: reviewerTransport)
        let repo = try await bot.createRepository(
            CreateRepositoryOptions(name: "bench", autoInit: true),
            organization: nil
        ).ref
        // As Tollgate does before asking her to review: the reviewer may write.
        try await bot.addCollaborator("alice", level: .write, in: repo)

        var merge: [(seconds: Double, requests: Int)] = []
        var idle: [(seconds: Double, requests: Int)] = []
        for index in 0...iterations {
            // approve-and-merge
            let branch = "phase-\(index)-tactical"
            _ = try server.commit(
                ["out-\(index).md": "result \(index)\n"],
                to: branch,
                owner: repo.owner,
                name: repo.name
            )
            let opened = try await bot.createPullRequest(
                CreatePullRequestOptions(head: branch, base: "main", title: "Phase \(index)"),
                in: repo
            )
            _ = try await bot.requestReviewers(["alice"], on: opened.number, in: repo)
            _ = try await alice.createReview(CreatePullReviewOptions(event: .approved), on: opened.number, in: repo)
            let mergeRun = try await measure(transport) {
                let read = try await resumeReads(bot, pull: opened.number, in: repo)
                guard
                    case .approved = ReviewVerdict.evaluate(
                        read.reviews,
                        headSHA: read.pull.head.sha,
                        ignoring: read.login
                    )
                else { throw BenchServer.Failure(description: "expected an approval") }
                guard try await !bot.isMerged(opened.number, in: repo) else {
                    throw BenchServer.Failure(description: "merged too early")
                }
                _ = try await bot.merge(
                    opened.number,
                    in: repo,
                    MergeOptions(title: "Phase \(index)", headCommitID: read.pull.head.sha)
                )
                guard try await bot.isMerged(opened.number, in: repo),
                    try await bot.pullRequest(opened.number, in: repo).mergeCommitSHA != nil
                else { throw BenchServer.Failure(description: "not merged") }
            }
            // nothing new
            let waitingBranch = "phase-\(index)-strategic"
            _ = try server.commit(["plan-\(index).md": "plan\n"], to: waitingBranch, owner: repo.owner, name: repo.name)
            let waiting = try await bot.createPullRequest(
                CreatePullRequestOptions(head: waitingBranch, base: "main", title: "Waiting \(index)"),
                in: repo
            )
            _ = try await bot.requestReviewers(["alice"], on: waiting.number, in: repo)
            let idleRun = try await measure(transport) {
                let read = try await resumeReads(bot, pull: waiting.number, in: repo)
                guard
                    case .waiting = ReviewVerdict.evaluate(
                        read.reviews,
                        headSHA: read.pull.head.sha,
                        ignoring: read.login
                    )
                else { throw BenchServer.Failure(description: "expected a pending request") }
            }
            if index > 0 {
                merge.append(mergeRun)
                idle.append(idleRun)
            }
        }
        // A `watch --once` round over idle jobs: who the token is once a round (GiteaAccounts), then each job's own
        // reads (`aWatchRoundOverIdleJobsAsksWhoTheTokenIsOnce` pins this against the binary).
        var idlePulls: [Int64] = []
        for index in 0..<watchedJobs {
            let branch = "watched-\(index)"
            _ = try server.commit(["watch-\(index).md": "plan\n"], to: branch, owner: repo.owner, name: repo.name)
            let pull = try await bot.createPullRequest(
                CreatePullRequestOptions(head: branch, base: "main", title: "Watched \(index)"),
                in: repo
            )
            _ = try await bot.requestReviewers(["alice"], on: pull.number, in: repo)
            idlePulls.append(pull.number)
        }
        var rounds: [(seconds: Double, requests: Int)] = []
        for _ in 0...iterations {
            rounds.append(
                try await measure(transport) {
                    let login = try await bot.currentUser().login
                    for number in idlePulls {
                        let pull = try await bot.pullRequest(number, in: repo)
                        let reviews = try await bot.reviews(on: number, in: repo)
                        _ = try await bot.issueComments(on: number, in: repo)
                        guard case .waiting = ReviewVerdict.evaluate(reviews, headSHA: pull.head.sha, ignoring: login)
                        else { throw BenchServer.Failure(description: "expected a pending request") }
                    }
                }
            )
        }
        rounds.removeFirst()
        var pings: [Double] = []
        for _ in 0..<100 {
            pings.append(try await measure(transport) { _ = try await bot.serverVersion() }.seconds)
        }

        print("| sequence | runs | HTTP requests | median | p90 |")
        print("|---|---|---|---|---|")
        for (name, runs) in [("approve-and-merge", merge), ("nothing new", idle)] {
            let requests = Set(runs.map(\.requests)).sorted().map(String.init).joined(separator: "/")
            let times = runs.map(\.seconds)
            print(row(name, runs.count, requests, times))
        }
        print(row("GET /version (keep-alive)", pings.count, "1", pings))
        let perRound = Set(rounds.map(\.requests)).sorted()
        let perJob = perRound.map { String(format: "%.2f", Double($0) / Double(watchedJobs)) }.joined(separator: "/")
        print(
            row(
                "watch round, \(watchedJobs) idle jobs",
                rounds.count,
                perRound.map(String.init).joined(separator: "/"),
                rounds.map(\.seconds)
            )
        )
        print("")
        print("watch: \(perJob) requests per idle job per round (3 per job and 1 `GET /user` per round)")
        print("")
    }

    /// What every resume reads first, as `GiteaReviewHost.snapshot` does: the token's login, the pull request, its
    /// reviews (no review here has inline comments, which cost one request per review), its comments.
    private static func resumeReads(_ client: GiteaClient, pull number: Int64, in repo: RepoRef) async throws -> (
        login: String, pull: PullRequest, reviews: [PullReview]
    ) {
        let login = try await client.currentUser().login
        let pull = try await client.pullRequest(number, in: repo)
        let reviews = try await client.reviews(on: number, in: repo)
        _ = try await client.issueComments(on: number, in: repo)
        return (login, pull, reviews)
    }

    /// Runs `body` once and returns its wall time and the transport's request count for it.
    private static func measure(
        _ transport: CurlTransport,
        _ body: () async throws -> Void
    ) async throws -> (seconds: Double, requests: Int) {
        let before = transport.attemptCount
        let clock = ContinuousClock()
        let start = clock.now
        try await body()
        let elapsed = clock.now - start
        let (seconds, attoseconds) = elapsed.components
        return (Double(seconds) + Double(attoseconds) / 1e18, transport.attemptCount - before)
    }

    private static func row(_ name: String, _ runs: Int, _ requests: String, _ times: [Double]) -> String {
        "| \(name) | \(runs) | \(requests) | \(format(percentile(times, 0.5))) | \(format(percentile(times, 0.9))) |"
    }

    private static func percentile(_ values: [Double], _ fraction: Double) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * fraction).rounded()))]
    }

    private static func format(_ seconds: Double) -> String { String(format: "%.2f ms", seconds * 1000) }
}

/// Runs `Tests/GiteaServer/gitea_server.py` for the benchmark, talking to its stdin/stdout control channel.
private final class BenchServer {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static let scriptURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Tests/GiteaServer/gitea_server.py")

    let baseURL: URL
    let botToken: String
    let aliceToken: String
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private var buffer = Data()

    init() throws {
        self.process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        self.process.arguments = ["python3", Self.scriptURL.path, "--user", "tollgate-bot", "--user", "alice"]
        self.process.standardInput = self.input
        self.process.standardOutput = self.output
        try self.process.run()
        var buffer = Data()
        let ready = try Self.readLine(from: self.output.fileHandleForReading, buffer: &buffer)
        guard let port = ready["port"] as? Int, let users = ready["users"] as? [String: String],
            let bot = users["tollgate-bot"], let alice = users["alice"],
            let url = URL(string: "http://127.0.0.1:\(port)/")
        else { throw Failure(description: "unexpected first line from the test server: \(ready)") }
        self.baseURL = url
        self.botToken = bot
        self.aliceToken = alice
        self.buffer = buffer
    }

    func commit(_ files: [String: String], to branch: String, owner: String, name: String) throws -> String {
        let request: [String: Any] = [
            "op": "commit", "args": ["owner": owner, "name": name, "branch": branch, "files": files],
        ]
        try self.input.fileHandleForWriting.write(
            contentsOf: JSONSerialization.data(withJSONObject: request) + Data("\n".utf8)
        )
        let answer = try Self.readLine(from: self.output.fileHandleForReading, buffer: &self.buffer)
        guard let result = answer["result"] as? [String: Any], let sha = result["sha"] as? String else {
            throw Failure(description: "commit failed: \(answer)")
        }
        return sha
    }

    func stop() {
        try? self.input.fileHandleForWriting.close()
        self.process.waitUntilExit()
    }

    private static func readLine(from handle: FileHandle, buffer: inout Data) throws -> [String: Any] {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Data(buffer[buffer.startIndex..<newline])
                buffer.removeSubrange(buffer.startIndex...newline)
                guard let object = try JSONSerialization.jsonObject(with: line) as? [String: Any] else {
                    throw Failure(description: "not a JSON object: \(String(decoding: line, as: UTF8.self))")
                }
                return object
            }
            let chunk = handle.availableData
            guard !chunk.isEmpty else { throw Failure(description: "the test server exited") }
            buffer.append(chunk)
        }
    }
}
