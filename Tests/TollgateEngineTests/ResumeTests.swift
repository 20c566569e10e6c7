import Foundation
import Testing
import TollgateCore
import TollgateEngine
import TollgateTestSupport

/// DESIGN §4 on the local review host: what `resume` does for each verdict.
@Suite(.runsProcesses)
struct ResumeTests {
    static let rita = (name: "Rita Reviewer", email: "rita@example.com")

    @Test func anApprovalMergesThePhaseAndStartsTheNextOne() async throws {
        let job = try await LocalJob("resume-approve", autonomy: .dependent)
        let first = try await job.run()
        #expect(first.isFrozen)
        let reviewedHead = try await job.git(["rev-parse", "phase-1-strategic"])
        try job.review(.approve)
        let result = try await job.resume()

        // Frozen again, now on phase 2 (dependent reviews every phase).
        #expect(result.isFrozen)
        let state = try job.state
        #expect(state.phase == PhaseRef(number: 2, type: .tactical))
        #expect(state.branch == "phase-2-tactical")
        #expect(state.merged.map(\.phase) == [.first])
        #expect(state.merged.first?.approvers == ["ann"])
        // phase 1 landed as one squash commit whose tree is the reviewed head's tree.
        #expect(
            try await job.git(["rev-parse", "main^{tree}"]) == (try job.git(["rev-parse", "\(reviewedHead)^{tree}"]))
        )
        #expect(
            try await job.git(["log", "-1", "--format=%(trailers:key=Tollgate-Phase,valueonly)", "main"])
                == "1-strategic"
        )
        #expect(try await job.git(["branch", "--list", "phase-1-strategic"]).isEmpty)
        // Phase 2 started from the new main.
        #expect(try await job.git(["rev-parse", "phase-2-tactical^"]) == (try job.git(["rev-parse", "main"])))
    }

    @Test func anApprovalForAnOlderCommitIsNotMergedAndTheReviewIsAskedAgain() async throws {
        let job = try await LocalJob("resume-stale", autonomy: .guided)
        #expect(try await job.run().isFrozen)
        try job.review(.approve)
        // A reviewer pushes a commit of their own to the phase branch after the approval.
        #expect(try await job.git(["rev-parse", "--abbrev-ref", "HEAD"]) == "phase-1-strategic")
        try Data("A reviewer's note.\n".utf8).write(to: job.root.appendingPathComponent("note.md"))
        try await job.git(["add", "note.md"], author: Self.rita)
        try await job.git(["commit", "-q", "-m", "Add a note"], author: Self.rita)
        let newHead = try await job.git(["rev-parse", "HEAD"])
        let eventsBefore = try job.events.count

        let stale = try await job.resume()
        #expect(stale.isFrozen)
        let state = try job.state
        #expect(state.status == .pendingReview)
        #expect(state.merged.isEmpty)
        #expect(try await job.git(["log", "--format=%s", "main"]).contains("Phase") == false)
        #expect(state.review?.head == newHead)
        #expect(state.coauthors == ["Rita Reviewer <rita@example.com>"])
        let newEvents = try job.events.dropFirst(eventsBefore).map(\.type)
        #expect(newEvents.contains("verdict.stale"))
        #expect(newEvents.contains("review.rerequested"))
        #expect(!newEvents.contains("phase.merged"))
        #expect(job.progress.contains { $0.contains("older commit") })

        // Until the reviewer answers the new request, nothing is decided.
        let waiting = try await job.resume()
        guard case .frozen(_, let note) = waiting else {
            Issue.record("expected a freeze, got \(waiting)")
            return
        }
        #expect(note?.contains("ann") == true)

        try job.review(.approve)
        let merged = try await job.resume()
        #expect(merged == .completed || merged.isFrozen)
        let message = try await job.git(["log", "--format=%B", "--grep=Tollgate-Phase: 1-strategic", "main"])
        #expect(message.contains("Co-authored-by: Rita Reviewer <rita@example.com>"))
        #expect(message.contains("Reviewed-by: ann"))
        #expect(try await job.git(["show", "main:note.md"]) == "A reviewer's note.")
    }

    @Test func requestedChangesGoBackToTheAgentWithEveryInlineComment() async throws {
        let job = try await LocalJob("resume-changes", autonomy: .guided)
        let opened = try await job.run()
        #expect(opened.isFrozen)
        try job.review(
            .requestChanges,
            message: "Two points to fix.",
            comments: [
                (path: "work/phase-1.txt", line: 1, body: "Say why"), (path: "workspace.md", line: 3, body: "Too long"),
            ]
        )
        let result = try await job.resume()

        #expect(result.isFrozen)
        #expect(result.review?.id == opened.review?.id)
        let state = try job.state
        #expect(state.branch == "phase-1-strategic")
        #expect(state.revision == 2)
        #expect(state.status == .pendingReview)

        let items = try job.capturedFeedback(branch: "phase-1-strategic", revision: 2)
        let inline = items.filter { $0.kind == .inline }
        #expect(inline.map(\.path) == ["work/phase-1.txt", "workspace.md"])
        #expect(inline.map(\.line) == [1, 3])
        #expect(inline.map(\.body) == ["Say why", "Too long"])
        #expect(inline.allSatisfy { $0.reviewer == "ann" })
        #expect(items.contains { $0.kind == .review && $0.body == "Two points to fix." })

        let environment = try job.capturedEnvironment(phase: 1, revision: 2, branch: "phase-1-strategic")
        #expect(environment["TOLLGATE_MODE"] == "feedback")
        #expect(environment["TOLLGATE_BRANCH"] == "phase-1-strategic")
        #expect(environment["TOLLGATE_REVISION"] == "2")
        let brief = try String(contentsOfFile: environment["TOLLGATE_BRIEF"] ?? "", encoding: .utf8)
        #expect(brief.contains("Say why"))
        #expect(brief.contains("workspace.md"))

        // The revision is on the same branch, on top of the first one.
        #expect(try await job.git(["show", "phase-1-strategic:work/phase-1.txt"]).split(separator: "\n").count == 2)
        #expect(try await job.git(["rev-list", "--count", "main..phase-1-strategic"]) == "2")

        // Answered items are not handed over again: approving now merges revision 2.
        try job.review(.approve)
        _ = try await job.resume()
        #expect(
            try await job.git(["log", "--format=%B", "--grep=Tollgate-Phase: 1-strategic", "main"]).contains(
                "Tollgate-Revision: 2"
            )
        )
    }

    @Test func aClosedReviewRedoesThePhaseFromMainWithTheClosingComment() async throws {
        let job = try await LocalJob("resume-close", autonomy: .guided)
        #expect(try await job.run().isFrozen)
        let mainBefore = try await job.git(["rev-parse", "main"])
        try job.review(.close, message: "Start over with a smaller plan")
        let result = try await job.resume()

        #expect(result.isFrozen)
        let state = try job.state
        #expect(state.branch == "phase-1-strategic-rev-2")
        #expect(state.phase.attempt == 2)
        #expect(state.status == .pendingReview)
        #expect(try await job.git(["rev-parse", "main"]) == mainBefore)
        #expect(try await job.git(["rev-parse", "phase-1-strategic-rev-2^"]) == mainBefore)
        // Redone from main: the first attempt's work is not on the new branch.
        #expect(
            try await job.git(["show", "phase-1-strategic-rev-2:work/phase-1.txt"]).split(separator: "\n").count == 1
        )

        let items = try job.capturedFeedback(branch: "phase-1-strategic-rev-2", revision: 1)
        #expect(items.map(\.body) == ["Start over with a smaller plan"])
        #expect(items.first?.kind == .comment)
        let environment = try job.capturedEnvironment(phase: 1, revision: 1, branch: "phase-1-strategic-rev-2")
        #expect(environment["TOLLGATE_BRANCH"] == "phase-1-strategic-rev-2")
        #expect(result.review?.id != nil)

        try job.review(.approve)
        _ = try await job.resume()
        #expect(
            try await job.git(["log", "-1", "--format=%B", "--grep=Tollgate-Phase: 1-strategic", "main"]).contains(
                "Reviewed-by: ann"
            )
        )
    }

    @Test func nothingDecidedLeavesTheJobFrozenAndSaysWhereTheReviewIs() async throws {
        let job = try await LocalJob("resume-pending", autonomy: .guided)
        let opened = try await job.run()
        let eventsBefore = try job.events.count
        // A comment review is no verdict.
        try job.review(.comment, message: "Looking at it")
        let result = try await job.resume()
        guard case .frozen(let handle, let note) = result else {
            Issue.record("expected a freeze, got \(result)")
            return
        }
        #expect(handle == opened.review)
        #expect(note?.contains("no verdict yet") == true)
        #expect(note?.contains(handle.location) == true)
        let state = try job.state
        #expect(state.status == .pendingReview)
        #expect(state.revision == 1)
        // Only the comment was recorded.
        #expect(try job.events.dropFirst(eventsBefore).map(\.type) == ["review.submitted"])
    }
}
