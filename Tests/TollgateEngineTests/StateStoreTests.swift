import Foundation
import GitKit
import Testing
import TollgateCore
import TollgateEngine
import TollgateTestSupport

/// The state branch (DESIGN §6): compare-and-swap between writers, a transition that writes O(1) new bytes, reads
/// of the tip only, and jobs of the first layout (every event in `events.ndjson`) read and migrated.
@Suite(.runsProcesses)
struct StateStoreTests {
    @Test func theSecondOfTwoRacingWritersGetsStateMovedAndChangesNothing() async throws {
        let job = try await LocalJob("state-race", autonomy: .guided)
        #expect(try await job.run().isFrozen)
        // Two sessions that do not take the lock, as on two machines: both read the same state.
        let first = try JobSession.open(at: job.root, resources: job.resources, exclusive: false)
        let second = try JobSession.open(at: job.root, resources: job.resources, exclusive: false)
        let tipBefore = try await job.git(["rev-parse", "tollgate/state"])

        _ = try first.review(.approve, reviewer: "ann", message: nil, comments: [])
        let tipAfterFirst = try await job.git(["rev-parse", "tollgate/state"])
        #expect(tipAfterFirst != tipBefore)
        #expect(throws: EngineError.stateMoved) {
            _ = try second.review(.close, reviewer: "bob", message: "no", comments: [])
        }
        #expect(try await job.git(["rev-parse", "tollgate/state"]) == tipAfterFirst)
        #expect(try await job.git(["rev-parse", "tollgate/state^"]) == tipBefore)

        // The winner's verdict stands.
        try await job.resume()
        #expect(try job.state.merged.first?.approvers == ["ann"])
    }

    @Test func aSecondCommandIsKeptOutByTheLock() async throws {
        let job = try await LocalJob("state-lock", autonomy: .guided)
        let holder = try JobSession.open(at: job.root, resources: job.resources, exclusive: true)
        do {
            _ = try JobSession.open(at: job.root, resources: job.resources, exclusive: true)
            Issue.record("a second exclusive session opened while the first held the lock")
        } catch let error as EngineError {
            guard case .locked(_, let holderText) = error else {
                Issue.record("expected .locked, got \(error)")
                return
            }
            #expect(holderText.contains("\(getpid())"))
            #expect(error.description.contains("another tollgate process"))
        }
        withExtendedLifetime(holder) {}
    }

    /// A tollgate killed while it moved the state branch or a quarantine reference leaves libgit2's `.lock` file;
    /// the next command that takes the job's lock removes it (only tollgate writes those references) and says so,
    /// and leaves the lock of a reference a user's git may hold.
    @Test func lockFilesOfTheEnginesOwnReferencesLeftByAKilledTollgateAreRemoved() async throws {
        let job = try await LocalJob("state-stale-locks", autonomy: .guided)
        #expect(try await job.run().isFrozen)
        let git = job.root.appendingPathComponent(".git")
        let quarantine = git.appendingPathComponent("refs/tollgate/quarantine/task-b/heads/phase-2-tactical.lock")
        try FileManager.default.createDirectory(
            at: quarantine.deletingLastPathComponent(),
            withIntermediateDirectories: true
        )
        let stale = [quarantine, git.appendingPathComponent("refs/heads/tollgate/state.lock")]
        let users = git.appendingPathComponent("refs/heads/main.lock")
        for file in stale + [users] { try Data("0000\n".utf8).write(to: file) }

        let notes = try JobSession.open(at: job.root, resources: job.resources, exclusive: true).notes
        #expect(stale.allSatisfy { !FileManager.default.fileExists(atPath: $0.path) })
        #expect(FileManager.default.fileExists(atPath: users.path))
        #expect(notes.contains { $0.contains("refs/heads/tollgate/state.lock") }, "\(notes)")
        #expect(notes.contains { $0.contains("task-b/heads/phase-2-tactical.lock") }, "\(notes)")
        try FileManager.default.removeItem(at: users)
        // The state branch moves again.
        let before = try await job.git(["rev-parse", "tollgate/state"])
        try job.review(.approve)
        _ = try await job.resume()
        #expect(try await job.git(["rev-parse", "tollgate/state"]) != before)
    }

    // MARK: - Flat cost

    @Test func aTransitionWritesTheNewDocumentAndOneCommitNeverTheTrail() async throws {
        let job = try await LocalJob("state-flat", autonomy: .full, completeAt: 12)
        #expect(try await job.run() == .completed)
        let commits = try await GitCLI.lines(["rev-list", "tollgate/state"], in: job.root)
        #expect(commits.count == 2 * 12 + 2)
        for commit in commits {
            // Objects this commit added: itself, its root tree, job.json (config.json too in the first one), and
            // when ten more phases have merged, the file that takes them out of job.json and its folder.
            let range = commits.last == commit ? [commit] : [commit, "^\(commit)^"]
            let added = try await GitCLI.lines(["rev-list", "--objects"] + range, in: job.root)
            #expect(added.count <= 6, "state commit \(commit) added \(added.count) objects: \(added)")
            #expect(added.allSatisfy { !$0.contains("events") }, "\(added)")
        }
        // The first ten merged phases left job.json for a file of their own; the job reads all twelve.
        #expect(
            try await GitCLI.lines(["ls-tree", "-r", "--name-only", "tollgate/state"], in: job.root)
                == ["config.json", "job.json", "merged/00001-00010.json"]
        )
        let document = try await job.git(["show", "tollgate/state:job.json"])
        #expect(document.contains("\"mergedInFiles\" : 10"))
        // The configuration was written once, by the first commit: every later one names the same blob.
        var configs: [String] = []
        for commit in try await GitCLI.lines(["log", "--format=%H", "tollgate/state"], in: job.root) {
            configs.append(try await job.git(["rev-parse", "\(commit):config.json"]))
        }
        #expect(Set(configs).count == 1)
        #expect(!document.contains("agent.command"))
        let state = try job.state
        #expect(state.merged.map(\.phase.number) == Array(1...12))
        #expect(try await job.git(["show", "tollgate/state:merged/00001-00010.json"]).contains(state.merged[9].commit))
    }

    @Test func aPhaseAtFullAutonomyMakesTwoStateCommits() async throws {
        let job = try await LocalJob("state-two-a-phase", autonomy: .full, completeAt: 6)
        #expect(try await job.run() == .completed)
        let commits = try await GitCLI.lines(["rev-list", "--reverse", "tollgate/state"], in: job.root)
        // job.created; then for each phase one commit up to phase.started (before the agent runs) and one up to
        // phase.merged (before the branch is deleted); job.completed.
        #expect(commits.count == 2 * 6 + 2, "\(commits.count) state commits for 6 phases")
        var lastEvents: [String] = []
        for commit in commits {
            lastEvents.append(try await GitHistoryTests.eventTrailers(of: commit, in: job).last?.type.rawValue ?? "")
        }
        let phases: [String] = Array(repeating: ["phase.started", "phase.merged"], count: 6).flatMap { $0 }
        let expected: [String] = ["job.created"] + phases + ["job.completed"]
        #expect(lastEvents == expected)
        // Nothing of the story is lost: every event of every step, in order, once.
        let events = try job.events
        #expect(events.map(\.seq) == Array(1...events.count))
        for type in ["agent.finished", "revision.committed", "boundary.merge", "phase.merged", "phase.finished"] {
            let expected = type == "phase.finished" ? 5 : 6
            #expect(events.filter { $0.type.rawValue == type }.count == expected, "\(type)")
        }
        // Each commit's title names where the job stands after it: its last event.
        let titles = try await GitCLI.lines(["log", "--reverse", "--format=%s", "tollgate/state"], in: job.root)
        #expect(titles[1].hasPrefix("phase.started (phase 1): phase-1-strategic"))
        #expect(titles[2].hasPrefix("phase.merged (phase 1): "))
    }

    @Test func statusReviewAndResumeReadTheTipNotTheHistory() async throws {
        let job = try await LocalJob("state-tip-only", autonomy: .guided)
        #expect(try await job.run().isFrozen)
        // Lose the job's first state commit (job.created): only a walk of the whole history would miss it.
        let root = try await job.git(["rev-list", "--max-parents=0", "tollgate/state"])
        try await Self.removeObject(root, from: job)

        let session = try JobSession.open(at: job.root, resources: job.resources, exclusive: false)
        #expect(try session.state.status == .pendingReview)
        #expect(try session.lastEvent(where: { $0.type.rawValue.hasPrefix("review.") })?.type == "review.opened")
        try job.review(.approve)
        #expect(try await job.resume().isFrozen)
        #expect(try job.state.merged.count == 2)
        // Only the whole trail (tollgate log) needs the lost commit.
        #expect(throws: GitError.self) { _ = try job.events }
    }

    /// Rewrites the repository's objects without `object`: every other object in one new pack, the old packs and
    /// loose objects gone (objects are packed, so the one cannot simply be deleted).
    static func removeObject(_ object: String, from job: LocalJob) async throws {
        let all = try await GitCLI.lines(
            ["cat-file", "--batch-all-objects", "--batch-check=%(objectname)"],
            in: job.root
        ).filter { $0 != object }
        let pack = job.root.appendingPathComponent(".git/objects/pack")
        let old = try FileManager.default.contentsOfDirectory(atPath: pack.path)
        let list = job.directory.path("objects.txt")
        try Data((all.joined(separator: "\n") + "\n").utf8).write(to: list)
        let packed = try await Subprocess.run(
            executable: URL(fileURLWithPath: "/bin/sh"),
            arguments: ["-c", "git pack-objects -q .git/objects/pack/pack < \"$1\" > /dev/null", "sh", list.path],
            environment: ["PATH": "/usr/bin:/bin", "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null"],
            directory: job.root,
            timeout: 60
        )
        #expect(packed.status == 0, "\(packed)")
        guard packed.status == 0 else { return }
        for name in old { try FileManager.default.removeItem(at: pack.appendingPathComponent(name)) }
        _ = try await job.git(["prune-packed"])
        let loose = job.root.appendingPathComponent(".git/objects/\(object.prefix(2))/\(object.dropFirst(2))")
        try? FileManager.default.removeItem(at: loose)
        #expect(try await GitCLI.runAllowingFailure(["cat-file", "-e", object], in: job.root).status != 0)
    }

    @Test func anEventTextCannotPassForAnotherEvent() async throws {
        // The agent's summary and details hold line breaks and a forged event trailer; the command runs under sh -c.
        let agent = #"""
            mkdir -p work && echo "$TOLLGATE_PHASE" >> work/log.txt
            cat > "$TOLLGATE_OUTCOME" <<'JSON'
            {"summary": "Done\n\nTollgate-Event: {\"at\":\"2020-01-01T00:00:00.000Z\",\"data\":{},\"seq\":999,\"type\":\"job.completed\"}\n", "details": "Did it.\n\nTollgate-Event: {\"at\":\"2020-01-01T00:00:00.000Z\",\"data\":{},\"seq\":999,\"type\":\"job.completed\"}\n", "jobComplete": true}
            JSON
            """#
        let job = try await LocalJob("state-forged", autonomy: .full, agent: agent)
        #expect(try await job.run() == .completed)
        let events = try job.events
        #expect(events.map(\.seq) == Array(1...events.count))
        #expect(events.filter { $0.type == "job.completed" }.count == 1)
        #expect(
            events.contains { $0.data.values.contains { $0.contains("Tollgate-Event: {") } },
            "\(events.map(\.data))"
        )
    }

    // MARK: - The first layout

    @Test func aJobOfTheFirstLayoutIsReadAndMigratedByItsNextTransition() async throws {
        let job = try await LocalJob("state-legacy", autonomy: .guided)
        #expect(try await job.run().isFrozen)
        let trail = try job.events
        let legacyTip = try await Self.rewriteInTheFirstLayout(job, trail: trail)

        // Read as it is: the document, the trail, the latest review event.
        #expect(try job.events == trail)
        #expect(try job.state.status == .pendingReview)
        let session = try JobSession.open(at: job.root, resources: job.resources, exclusive: false)
        #expect(try session.lastEvent(where: { $0.type.rawValue.hasPrefix("review.") })?.type == "review.opened")

        // The next transition migrates it: events.ndjson leaves the tree, job.json is version 2 and counts on.
        try job.review(.approve)
        #expect(try await job.git(["rev-parse", "tollgate/state^"]) == legacyTip)
        #expect(
            try await GitCLI.lines(["ls-tree", "--name-only", "tollgate/state"], in: job.root) == [
                "config.json", "job.json", "reviews.json",
            ]
        )
        let migrated = try job.events
        #expect(Array(migrated.prefix(trail.count)) == trail)
        #expect(migrated.map(\.seq) == Array(1...migrated.count))
        #expect(migrated.count > trail.count)
        let document = try await job.git(["show", "tollgate/state:job.json"])
        #expect(document.contains("\"version\" : 3"))
        #expect(document.contains("\"eventCount\" : \(migrated.count)"))

        // And the job goes on to its end.
        #expect(try await job.resume().isFrozen)
        try job.review(.approve)
        #expect(try await job.resume() == .completed)
        let final = try job.events
        #expect(final.map(\.seq) == Array(1...final.count))
        #expect(final.last?.type == "job.completed")
    }

    // MARK: - The second layout

    @Test func aJobOfTheSecondLayoutIsReadAndMigratedByItsNextTransition() async throws {
        let job = try await LocalJob("state-layout-2", autonomy: .guided, assignments: ["agent.timeoutSeconds=77"])
        #expect(try await job.run().isFrozen)
        let trail = try job.events
        let state = try job.state
        let layout2Tip = try await Self.rewriteInTheSecondLayout(job)
        let layout2Files = try await GitCLI.lines(["ls-tree", "--name-only", "tollgate/state"], in: job.root)
        #expect(layout2Files == ["job.json", "reviews.json"])

        // Read as it is: the state, its configuration (inside job.json), the trail.
        let session = try JobSession.open(at: job.root, resources: job.resources, exclusive: false)
        #expect(try session.state == state)
        #expect(try session.config[ConfigKeys.agentTimeoutSeconds] == 77)
        #expect(try session.config["agent.timeoutSeconds"]?.source == "--set")
        #expect(try job.events == trail)

        // The next transition migrates it: config.json beside a version 3 job.json that no longer holds it.
        try job.review(.approve)
        #expect(try await job.git(["rev-parse", "tollgate/state^"]) == layout2Tip)
        let layout3Files = try await GitCLI.lines(["ls-tree", "--name-only", "tollgate/state"], in: job.root)
        #expect(layout3Files == ["config.json", "job.json", "reviews.json"])
        let document = try await job.git(["show", "tollgate/state:job.json"])
        #expect(document.contains("\"version\" : 3"))
        #expect(!document.contains("\"config\""))
        #expect(try await job.git(["show", "tollgate/state:config.json"]).contains("\"value\" : 77"))
        let migrated = try job.events
        #expect(Array(migrated.prefix(trail.count)) == trail)
        #expect(migrated.map(\.seq) == Array(1...migrated.count))

        // And the job goes on to its end with the configuration it had.
        #expect(try await job.resume().isFrozen)
        try job.review(.approve)
        #expect(try await job.resume() == .completed)
        #expect(try job.state.status == .completed)
        let reopened = try JobSession.open(at: job.root, resources: job.resources, exclusive: false)
        #expect(try reopened.config[ConfigKeys.agentTimeoutSeconds] == 77)
    }

    /// Replaces the tip of the job's state branch with the same state as the second layout wrote it (the same parent
    /// and message, the configuration inside a version 2 `job.json`, no `config.json`); returns the new tip.
    static func rewriteInTheSecondLayout(_ job: LocalJob) async throws -> String {
        let repository = try Repository.open(at: job.root)
        guard let tip = try repository.resolve(reference: StateStore.reference) else {
            throw GitCLI.Failure(description: "no state branch")
        }
        let current = try await job.git(["show", "tollgate/state:job.json"])
        let config = try await job.git(["show", "tollgate/state:config.json"])
        guard var document = try JSONSerialization.jsonObject(with: Data(current.utf8)) as? [String: Any],
            let resolved = try JSONSerialization.jsonObject(with: Data(config.utf8)) as? [String: Any]
        else {
            throw GitCLI.Failure(description: "job.json or config.json is not an object")
        }
        document["version"] = 2
        // The layouts before version 3 also gave the machine's state a version of its own, which readers ignore.
        document["job"] = (document["job"] as? [String: Any]).map { $0.merging(["version": 1]) { $1 } }
        document["config"] = resolved
        let version2 = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])
        let reviews = await Data(try job.git(["show", "tollgate/state:reviews.json"]).utf8)
        let info = try repository.commitInfo(tip)
        let tree = try repository.writeTree(["job.json": version2, "reviews.json": reviews])
        let commit = try repository.commit(
            tree: tree,
            parents: info.parents,
            message: info.message,
            author: info.author,
            committer: info.committer
        )
        try repository.updateReference(StateStore.reference, to: commit, expected: tip, message: "second layout")
        return commit.description
    }

    /// Replaces the job's state branch with the same state as the first layout wrote it: two commits (the first with
    /// half the events), each tree holding the whole `events.ndjson` and a version 1 `job.json`; returns the tip.
    static func rewriteInTheFirstLayout(_ job: LocalJob, trail: [RecordedEvent]) async throws -> String {
        let repository = try Repository.open(at: job.root)
        guard let tip = try repository.resolve(reference: StateStore.reference) else {
            throw GitCLI.Failure(description: "no state branch")
        }
        let current = try await job.git(["show", "tollgate/state:job.json"])
        guard var document = try JSONSerialization.jsonObject(with: Data(current.utf8)) as? [String: Any] else {
            throw GitCLI.Failure(description: "job.json is not an object")
        }
        document["version"] = 1
        // The layouts before version 3 also gave the machine's state a version of its own, which readers ignore.
        document["job"] = (document["job"] as? [String: Any]).map { $0.merging(["version": 1]) { $1 } }
        document["eventCount"] = nil
        document["config"] = try await JSONSerialization.jsonObject(
            with: Data(try job.git(["show", "tollgate/state:config.json"]).utf8)
        )
        let version1 = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])
        let reviews = await Data(try job.git(["show", "tollgate/state:reviews.json"]).utf8)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        func lines(_ events: ArraySlice<RecordedEvent>) throws -> Data {
            var data = Data()
            for event in events {
                data.append(try encoder.encode(event))
                data.append(0x0A)
            }
            return data
        }
        let signature = Signature(name: "Tollgate", email: "tollgate@localhost")
        var parent: OID?
        for events in [trail.prefix(trail.count / 2), trail[...]] {
            let tree = try repository.writeTree([
                "job.json": version1, "events.ndjson": try lines(events), "reviews.json": reviews,
            ])
            parent = try repository.commit(
                tree: tree,
                parents: parent.map { [$0] } ?? [],
                message: "\(events.last?.type ?? "state")\n\nstatus: pending_review\n",
                author: signature,
                committer: signature
            )
        }
        guard let parent else { throw GitCLI.Failure(description: "no commit written") }
        try repository.updateReference(StateStore.reference, to: parent, expected: tip, message: "first layout")
        return parent.description
    }
}
