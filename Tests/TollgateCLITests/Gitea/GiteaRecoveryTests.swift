import Foundation
import GiteaKit
import HTTPKit
import Testing
import TollgateTestSupport

/// Closed pull requests, stale approvals, `watch`, server faults and crashes at the Gitea side effects.
extension GiteaEndToEndTests {
    /// Runs the job to its first freeze and returns the pull request alice sees.
    func frozenAtFirstReview() async throws -> PullRequest {
        let created = try await initialize()
        #expect(created.status == 0, "\(created)")
        let run = try await tollgate("run", job.path)
        #expect(run.status == 3, "\(run)")
        return try #require(
            try await client(server.alice).pullRequest(base: "main", head: "phase-1-strategic", in: repo)
        )
    }

    /// Alice approves the pull request's current head on Gitea.
    func approve(_ pull: PullRequest) async throws {
        let alice = client(server.alice)
        let head = try await alice.pullRequest(pull.number, in: repo).head.sha
        _ = try await alice.createReview(
            CreatePullReviewOptions(event: .approved, commitID: head),
            on: pull.number,
            in: repo
        )
    }

    /// `tollgate COMMAND` on the job killed at `fault`, then run again without the fault: it must end frozen.
    func crashThenRerun(_ command: String, at fault: String, sourceLocation: SourceLocation = #_sourceLocation)
        async throws
    {
        let crashed = try await job.tollgate(
            [command, job.path],
            environment: botEnvironment.merging(["TOLLGATE_FAULT": fault]) { $1 }
        )
        #expect(crashed.status == 86, "\(crashed)", sourceLocation: sourceLocation)
        let rerun = try await tollgate(command, job.path)
        #expect(rerun.status == 3, "\(rerun)", sourceLocation: sourceLocation)
    }

    func count(_ method: String, _ suffix: String, status: Int? = nil) throws -> Int {
        try server.requests().filter {
            $0.method == method && $0.path.hasSuffix(suffix) && (status == nil || $0.status == status)
        }.count
    }

    @Test func aPullRequestClosedByHandRedoesThePhaseAsRevisionTwo() async throws {
        defer { server.stop() }
        let pull = try await frozenAtFirstReview()
        let alice = client(server.alice)
        _ = try await alice.postComment("Wrong direction entirely", on: pull.number, in: repo, marker: "<!-- t1 -->")
        _ = try await alice.editPullRequest(pull.number, in: repo, EditPullRequestOptions(state: .closed))
        let redo = try await tollgate("resume", job.path)
        #expect(redo.status == 3, "\(redo)")
        let status = try await job.status()
        #expect(status["branch"] as? String == "phase-1-strategic-rev-2")
        let second = try #require(try await alice.pullRequest(base: "main", head: "phase-1-strategic-rev-2", in: repo))
        #expect(second.number != pull.number && second.state == .open)
        // The closing comment reached the agent, which answers every item in the files it commits.
        let answered = try await job.git("grep", "-l", "Wrong direction entirely", "phase-1-strategic-rev-2")
        #expect(!answered.isEmpty)
        #expect(
            try await job.git("merge-base", "main", "phase-1-strategic-rev-2") == (try job.git("rev-parse", "main"))
        )
    }

    @Test func anApprovalMadeStaleByAPushIsNotMerged() async throws {
        defer { server.stop() }
        let pull = try await frozenAtFirstReview()
        try await approve(pull)
        try server.setCollaborator("bob", permission: "write", owner: repo.owner, name: repo.name)
        _ = try server.commit(
            ["late.md": "late\n"],
            to: "phase-1-strategic",
            owner: repo.owner,
            name: repo.name,
            author: "bob",
            message: "Late change"
        )
        let stale = try await tollgate("resume", job.path)
        #expect(stale.status == 3, "\(stale)")
        #expect(try await client(server.alice).isMerged(pull.number, in: repo) == false)
        #expect(try count("POST", "/pulls/\(pull.number)/merge") == 0)
        let reviews = try await client(server.alice).reviews(on: pull.number, in: repo)
        #expect(reviews.last?.state == .requestReview && reviews.last?.user?.login == "alice")
    }

    @Test func watchResumesTheJobWithAVerdictAndLeavesTheOther() async throws {
        defer { server.stop() }
        let root = job.directory.path("jobs")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        for name in ["ready", "waiting"] {
            let path = root.appendingPathComponent(name).path
            let created = try await job.tollgate(
                [
                    "init", path, "--review", "gitea", "--autonomy", "guided", "--agent", "tollgate example-agent",
                    "--set", "gitea.url=\(server.baseURL.absoluteString)", "--set", "review.reviewers=alice",
                ],
                environment: botEnvironment
            )
            #expect(created.status == 0, "\(created)")
            #expect(try await job.tollgate(["run", path], environment: botEnvironment).status == 3)
        }
        let alice = client(server.alice)
        let ready = RepoRef(owner: server.bot.login, name: "ready")
        let pull = try #require(try await alice.pullRequest(base: "main", head: "phase-1-strategic", in: ready))
        _ = try await alice.createReview(
            CreatePullReviewOptions(event: .approved, commitID: pull.head.sha),
            on: pull.number,
            in: ready
        )

        let watch = try await job.tollgate(["watch", root.path, "--once"], environment: botEnvironment)
        #expect(watch.status == 0, "\(watch)")
        let lines = watch.stdout.split(separator: "\n")
        #expect(lines.count == 2, "\(watch)")
        #expect(lines.first?.hasPrefix("ready: awaiting review of 3-") == true, "\(watch)")
        #expect(lines.last?.hasPrefix("waiting: awaiting review of 1-strategic") == true, "\(watch)")
        #expect(lines.last?.contains("no verdict yet") == true, "\(watch)")
        #expect(try await alice.isMerged(pull.number, in: ready))
    }

    @Test func aBurstOf502IsRetriedAndAMergeThatStaysBusyFailsTheJobUntilResumed() async throws {
        defer { server.stop() }
        try server.failNextRequests(2, status: 502, pathContains: "/pulls")
        let pull = try await frozenAtFirstReview()
        try await approve(pull)
        try server.makeNextMergesBusy(500)
        #expect(try await tollgate("config", job.path, "--set", "gitea.mergeWaitSeconds=1").status == 0)
        let busy = try await tollgate("resume", job.path)
        #expect(busy.status == 1, "\(busy)")
        #expect(busy.stderr.contains("Please try again later"), "\(busy)")
        #expect(busy.stderr.contains("gitea.mergeWaitSeconds"), "\(busy)")
        #expect(try await job.status()["status"] as? String == "failed")
        try server.clearFaults()
        let later = try await tollgate("resume", job.path)
        #expect(later.status == 3, "\(later)")
        #expect(try await client(server.alice).isMerged(pull.number, in: repo))
    }

    @Test(arguments: [
        "after-branch", "after-commit", "after-push", "after-push@2", "after-review-open", "before-state-update",
    ])
    func aCrashBeforeTheFreezeLeavesOnePullRequest(fault: String) async throws {
        defer { server.stop() }
        #expect(try await initialize().status == 0)
        try await crashThenRerun("run", at: fault)
        #expect(try count("POST", "/pulls", status: 201) == 1)
        #expect(try await job.status()["status"] as? String == "pending_review")
        try await expectStatePublished()
    }

    /// `after-push` here is the push of `main` after the tactical phase merged locally, `@2` the push of the next
    /// review's branch, `@3` the state pushed after the freeze.
    @Test(arguments: [
        "after-verdict", "after-merge", "after-finish", "before-state-update", "after-push", "after-push@2",
        "after-push@3",
    ])
    func aCrashAroundTheMergeMergesOnce(fault: String) async throws {
        defer { server.stop() }
        let pull = try await frozenAtFirstReview()
        try await approve(pull)
        try await crashThenRerun("resume", at: fault)
        #expect(try count("POST", "/pulls/\(pull.number)/merge", status: 200) == 1)
        #expect(try await job.status()["phase"] as? Int == 3)
        let phaseOne = try await job.git("log", "--format=%H", "--grep=Tollgate-Phase: 1-strategic", "main")
        #expect(phaseOne.split(separator: "\n").count == 1)
        #expect(try await remoteGit("rev-parse", "main") == (try job.git("rev-parse", "main")))
        #expect(try count("POST", "/pulls", status: 201) == 2, "one pull request per review point")
        try await expectStatePublished()
    }
}
