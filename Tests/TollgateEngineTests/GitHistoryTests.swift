import Foundation
import Testing
import TollgateCore
import TollgateEngine
import TollgateTestSupport

/// DESIGN §7: what a user sees with the git command line once a job completed.
@Suite(.runsProcesses)
struct GitHistoryTests {
    /// A guided job taken to the end: changes requested on the first plan, then approvals.
    static func completedJob() async throws -> LocalJob {
        let job = try await LocalJob("history", autonomy: .guided, completeAt: 3)
        #expect(try await job.run().isFrozen)
        try job.review(.requestChanges, comments: [(path: "work/phase-1.txt", line: 1, body: "More detail")])
        #expect(try await job.resume().isFrozen)
        try job.review(.approve, as: "ann")
        #expect(try await job.resume().isFrozen)  // phase 2 merged at once; phase 3 reports the job complete
        try job.review(.approve, as: "bob")
        #expect(try await job.resume() == .completed)
        return job
    }

    @Test func mainHasOneSingleParentSquashPerPhaseWithItsTrailers() async throws {
        let job = try await Self.completedJob()
        // Oldest first: the job's first commit, then one squash per merged phase.
        let commits = try await GitCLI.lines(["rev-list", "--reverse", "--parents", "main"], in: job.root)
        #expect(commits.count == 4)
        #expect(commits.first?.split(separator: " ").count == 1)
        #expect(commits.dropFirst().allSatisfy { $0.split(separator: " ").count == 2 })

        func trailer(_ key: String) async throws -> [String] {
            try await job.git(["log", "--reverse", "--format=%(trailers:key=\(key),valueonly,separator=%x2C)", "main"])
                .components(separatedBy: "\n").dropFirst().map { $0 }
        }
        #expect(try await trailer("Tollgate-Job") == ["job", "job", "job"])
        #expect(try await trailer("Tollgate-Phase") == ["1-strategic", "2-tactical", "3-strategic"])
        #expect(try await trailer("Tollgate-Revision") == ["2", "1", "1"])
        #expect(try await trailer("Reviewed-by") == ["ann", "", "bob"])
        #expect(
            try await job.git(["log", "--reverse", "--format=%s", "main"]).components(separatedBy: "\n").dropFirst().map
            {
                $0
            }
                == [
                    "Phase 1 (strategic): Phase 1 strategic", "Phase 2 (tactical): Phase 2 tactical",
                    "Phase 3 (strategic): Phase 3 strategic",
                ]
        )
    }

    @Test func noPhaseBranchIsLeftAndEveryPhaseHasItsRetrospective() async throws {
        let job = try await Self.completedJob()
        #expect(try await job.git(["branch", "--list", "phase-*"]).isEmpty)
        #expect(try await job.git(["rev-parse", "--abbrev-ref", "HEAD"]) == "main")
        #expect(try await job.git(["status", "--porcelain"]).isEmpty)
        let archive = try await GitCLI.lines(["ls-tree", "--name-only", "main", "archive/"], in: job.root)
        #expect(
            archive == ["archive/phase-1-strategic.md", "archive/phase-2-tactical.md", "archive/phase-3-strategic.md"]
        )
        let retrospective = try await job.git(["show", "main:archive/phase-1-strategic.md"])
        #expect(retrospective.contains("Did phase 1"))
        // The agent's work of every phase and revision is on main.
        #expect(try await job.git(["show", "main:work/phase-1.txt"]).split(separator: "\n").count == 2)
        #expect(try await job.git(["cat-file", "-e", "main:work/phase-3.txt"]).isEmpty)
        #expect(try await job.git(["cat-file", "-e", "main:workspace.md"]).isEmpty)
    }

    @Test func theStateBranchTellsTheStoryOneEventTrailerAtATime() async throws {
        let job = try await Self.completedJob()
        let commits = try await GitCLI.lines(["rev-list", "--reverse", "--parents", "tollgate/state"], in: job.root)
        #expect(commits.count > 10)
        #expect(commits.first?.split(separator: " ").count == 1)
        #expect(commits.dropFirst().allSatisfy { $0.split(separator: " ").count == 2 })

        var fromGit: [RecordedEvent] = []
        for line in commits {
            let commit = String(line.prefix(40))
            // The tree holds the current document (and the local host's reviews), never the trail.
            let files = try await GitCLI.lines(["ls-tree", "--name-only", commit], in: job.root)
            #expect(files.contains("job.json"), "state commit \(commit): \(files)")
            #expect(
                Set(files).isSubset(of: ["job.json", "config.json", "reviews.json"]),
                "state commit \(commit): \(files)"
            )
            let events = try await Self.eventTrailers(of: commit, in: job)
            #expect(!events.isEmpty, "every state commit records at least one event")
            fromGit += events
        }
        // `tollgate log` and the commits' trailers tell the same story, in order.
        let recorded = try job.events
        #expect(fromGit == recorded)
        let sequence = recorded.map(\.seq)
        #expect(sequence == Array(1...recorded.count))
        #expect(recorded.first?.type == "job.created")
        #expect(recorded.last?.type == "job.completed")
        let job_json = try await job.git(["show", "tollgate/state:job.json"])
        #expect(job_json.contains("\"status\" : \"completed\""))
        #expect(job_json.contains("\"version\" : 3"))
        #expect(job_json.contains("\"eventCount\" : \(recorded.count)"))
        // Every state commit's title names what happened.
        let titles = try await GitCLI.lines(["log", "--reverse", "--format=%s", "tollgate/state"], in: job.root)
        #expect(titles.first?.hasPrefix("job.created") == true)
        #expect(titles.contains { $0.hasPrefix("phase.merged (phase 1)") })
    }

    @Test func aCloneHoldsTheWholeStory() async throws {
        let job = try await Self.completedJob()
        let clone = job.directory.path("clone")
        _ = try await GitCLI.run(["clone", "--quiet", job.root.path, clone.path], in: job.directory.url)
        let commits = try await GitCLI.lines(["rev-list", "--reverse", "origin/tollgate/state"], in: clone)
        var fromClone: [RecordedEvent] = []
        for commit in commits {
            await fromClone += try GitCLI.lines(
                ["show", "-s", "--format=%(trailers:key=Tollgate-Event,valueonly)", commit],
                in: clone
            ).map { try JSONDecoder().decode(RecordedEvent.self, from: Data($0.utf8)) }
        }
        let trail = try job.events
        #expect(fromClone == trail)
        // tollgate reads the job there from origin/tollgate/state, and does not advance it.
        let session = try JobSession.open(at: clone, resources: job.resources, exclusive: false)
        #expect(try session.state.status == .completed)
        #expect(session.isClone)
        #expect(try session.events == trail)

        let frozen = try await LocalJob("history-clone", autonomy: .guided)
        #expect(try await frozen.run().isFrozen)
        let frozenClone = frozen.directory.path("clone")
        _ = try await GitCLI.run(["clone", "--quiet", frozen.root.path, frozenClone.path], in: frozen.directory.url)
        let reader = try JobSession.open(at: frozenClone, resources: frozen.resources, exclusive: false)
        #expect(try reader.state.status == .pendingReview)
        let refused = #expect(throws: EngineError.self) { try reader.configure(assignments: ["maxPhases=9"]) }
        #expect(refused?.description.contains("a clone") == true)
        #expect(try await GitCLI.lines(["branch", "--list", "tollgate/state"], in: frozenClone).isEmpty)
    }

    /// The events a state commit's message carries, read with the git command line.
    static func eventTrailers(of commit: String, in job: LocalJob) async throws -> [RecordedEvent] {
        try await GitCLI.lines(
            ["show", "-s", "--format=%(trailers:key=Tollgate-Event,valueonly)", commit],
            in: job.root
        )
        .map { try JSONDecoder().decode(RecordedEvent.self, from: Data($0.utf8)) }
    }
}
