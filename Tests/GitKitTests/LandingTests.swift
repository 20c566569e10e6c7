import Foundation
import GitKit
import Testing
import TollgateTestSupport

/// Landing a task branch on the phase branch as one commit by a three-way merge against the task's start: the fast
/// path, a merge with work landed meanwhile, conflicts, idempotence by the trailer, the working tree, and trailers.
@Suite(.runsProcesses)
struct LandingTests {
    let directory: TemporaryDirectory
    let repository: Repository
    let base: OID

    /// A repository whose `phase` branch is at one commit (three files) with HEAD on it.
    init() throws {
        (directory, repository) = try Fixture.repository("LandingTests")
        try Fixture.write(["a.txt": "a1\na2\na3\n", "b.txt": "b1\nb2\nb3\n", "c.txt": "c\n"], in: directory)
        base = try Fixture.commitAll(repository, "base")
        try repository.createBranch("phase", at: base)
        try repository.checkout(branch: "phase")
    }

    /// Makes branch `task-<id>` at `start` with one commit writing `files` (a nil text deletes the file).
    @discardableResult
    func task(_ id: String, from start: OID, _ files: [String: String?]) throws -> OID {
        var tree = try repository.filePaths(at: start).reduce(into: [String: Data]()) { tree, path in
            tree[path] = try repository.fileContents(path, at: start)
        }
        for (path, text) in files { tree[path] = text.map { Data($0.utf8) } }
        let commit = try repository.commit(
            tree: repository.writeTree(tree),
            parents: [start],
            message: "work on \(id)",
            author: Fixture.author,
            committer: Fixture.committer
        )
        try repository.createBranch("task-\(id)", at: commit)
        return commit
    }

    func land(_ id: String, startedAt start: OID, leavingWorkingTree: Bool = false) throws -> LandingResult {
        try repository.land(
            branch: "task-\(id)",
            startedAt: start,
            onto: "phase",
            message: "Task \(id): work on \(id)",
            trailerKey: "Tollgate-Task",
            trailerValue: id,
            author: Fixture.author,
            committer: Fixture.committer,
            leavingWorkingTree: leavingWorkingTree
        )
    }

    func text(_ path: String, at commit: OID) throws -> String? {
        try repository.fileContents(path, at: commit).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func takesTheTaskTreeWhenThePhaseHasNotMoved() async throws {
        let tip = try task("a", from: base, ["a.txt": "a changed\n", "c.txt": nil])
        let result = try land("a", startedAt: base)
        guard case .landed(let landed, fastPath: true) = result else {
            Issue.record("expected a fast-path landing, got \(result)")
            return
        }
        let info = try repository.commitInfo(landed)
        #expect(info.parents == [base])
        #expect(info.tree == (try repository.commitInfo(tip).tree))
        #expect(info.message == "Task a: work on a\n\nTollgate-Task: a\n")
        #expect(try repository.branchTip("phase") == landed)
        #expect(try repository.branchTip("task-a") == tip)
        // HEAD is on the phase branch, so the working tree follows it.
        #expect(directory.read("a.txt") == "a changed\n")
        #expect(directory.read("c.txt") == nil)
        #expect(try repository.uncommittedPaths().isEmpty)
    }

    @Test func mergesWithWorkLandedSinceTheTaskStarted() async throws {
        try task("b", from: base, ["a.txt": "a1\nB\na3\n"])
        try task("c", from: base, ["b.txt": "b1\nb2\nC\n", "new.txt": "from c\n"])
        guard case .landed(let first, fastPath: true) = try land("b", startedAt: base) else {
            Issue.record("b did not land on the fast path")
            return
        }
        let result = try land("c", startedAt: base)
        guard case .landed(let second, fastPath: false) = result else {
            Issue.record("expected a merged landing, got \(result)")
            return
        }
        #expect(try repository.commitInfo(second).parents == [first])
        #expect(try text("a.txt", at: second) == "a1\nB\na3\n")
        #expect(try text("b.txt", at: second) == "b1\nb2\nC\n")
        #expect(try text("new.txt", at: second) == "from c\n")
        #expect(directory.read("new.txt") == "from c\n")
    }

    @Test func conflictsWriteNothing() async throws {
        try task("b", from: base, ["a.txt": "a1\nfrom b\na3\n"])
        try task("c", from: base, ["a.txt": "a1\nfrom c\na3\n", "c.txt": nil])
        guard case .landed(let first, _) = try land("b", startedAt: base) else {
            Issue.record("b did not land")
            return
        }
        let result = try land("c", startedAt: base)
        #expect(result == .conflicts([MergeConflict(path: "a.txt", ancestor: true, ours: true, theirs: true)]))
        #expect(try repository.branchTip("phase") == first)
        #expect(directory.read("a.txt") == "a1\nfrom b\na3\n")
        #expect(directory.read("c.txt") == "c\n")
        #expect(try repository.uncommittedPaths().isEmpty)
    }

    @Test func aSecondCallFindsTheLandedCommitByItsTrailer() async throws {
        try task("a", from: base, ["a.txt": "a changed\n"])
        guard case .landed(let landed, _) = try land("a", startedAt: base) else {
            Issue.record("a did not land")
            return
        }
        // Another task lands after it; the rerun of `a` still finds its commit below the new tip.
        try task("b", from: landed, ["b.txt": "b changed\n"])
        guard case .landed(let next, _) = try land("b", startedAt: landed) else {
            Issue.record("b did not land")
            return
        }
        #expect(try land("a", startedAt: base) == .alreadyLanded(landed))
        #expect(try land("b", startedAt: landed) == .alreadyLanded(next))
        #expect(try repository.branchTip("phase") == next)
    }

    @Test func aTrailerBelowTheTaskStartDoesNotCount() async throws {
        let earlier = try repository.commit(
            tree: repository.commitInfo(base).tree,
            parents: [base],
            message: "Task a: an earlier phase\n\nTollgate-Task: a",
            author: Fixture.author,
            committer: Fixture.committer
        )
        try repository.updateReference("refs/heads/phase", to: earlier, expected: base, message: "test")
        try task("a", from: earlier, ["a.txt": "again\n"])
        guard case .landed(let landed, fastPath: true) = try land("a", startedAt: earlier) else {
            Issue.record("a did not land again")
            return
        }
        #expect(try repository.commitInfo(landed).parents == [earlier])
    }

    @Test func aTaskThatChangedNothingLandsAsACommitWithThePhaseTree() async throws {
        try task("b", from: base, ["a.txt": "a1\nB\na3\n"])
        try repository.createBranch("task-idle", at: base)
        guard case .landed(let first, _) = try land("b", startedAt: base) else {
            Issue.record("b did not land")
            return
        }
        let result = try land("idle", startedAt: base)
        guard case .landed(let idle, fastPath: false) = result else {
            Issue.record("expected a landing, got \(result)")
            return
        }
        #expect(try repository.commitInfo(idle).tree == (try repository.commitInfo(first).tree))
        #expect(Repository.trailer("Tollgate-Task", in: try repository.commitInfo(idle).message) == "idle")
    }

    @Test func aDirtyWorkingTreeStopsTheLandingWithThePhaseUnmoved() async throws {
        try task("a", from: base, ["a.txt": "a changed\n"])
        try directory.write("edited by hand\n", to: "a.txt")
        #expect {
            try land("a", startedAt: base)
        } throws: { error in
            (error as? GitError)?.isConflict == true
        }
        #expect(try repository.branchTip("phase") == base)
        #expect(directory.read("a.txt") == "edited by hand\n")
    }

    @Test func withHeadElsewhereTheWorkingTreeIsLeftAlone() async throws {
        try repository.checkout(branch: "main")
        try task("a", from: base, ["a.txt": "a changed\n"])
        guard case .landed(let landed, _) = try land("a", startedAt: base) else {
            Issue.record("a did not land")
            return
        }
        #expect(try text("a.txt", at: landed) == "a changed\n")
        #expect(directory.read("a.txt") == "a1\na2\na3\n")
    }

    // MARK: - Leaving the working tree behind, and catching up

    @Test func landingsThatLeaveTheWorkingTreeMoveTheBranchAloneAndOneCatchUpBringsItAll() async throws {
        try task("a", from: base, ["a.txt": "a changed\n", "c.txt": nil])
        try task("b", from: base, ["new/b.txt": "b\n"])
        guard case .landed(let first, _) = try land("a", startedAt: base, leavingWorkingTree: true),
            case .landed(let second, _) = try land("b", startedAt: base, leavingWorkingTree: true)
        else {
            Issue.record("a task did not land")
            return
        }
        #expect(try repository.branchTip("phase") == second)
        #expect(try repository.commitInfo(second).parents == [first])
        // Index and files are the base's still: git sees the landed work as staged to be undone, nothing unstaged.
        #expect(directory.read("a.txt") == "a1\na2\na3\n")
        #expect(directory.read("c.txt") == "c\n")
        #expect(try repository.uncommittedPaths(workingTreeOnly: true).isEmpty)
        #expect(try repository.uncommittedPaths() == ["a.txt", "c.txt", "new/b.txt"])

        #expect(try repository.catchUpWorkingTree() == .caughtUp)
        #expect(directory.read("a.txt") == "a changed\n")
        #expect(directory.read("new/b.txt") == "b\n")
        #expect(!FileManager.default.fileExists(atPath: directory.url.appendingPathComponent("c.txt").path))
        #expect(try await GitCLI.run(["status", "--porcelain"], in: directory.url).isEmpty)
        #expect(try repository.catchUpWorkingTree() == .upToDate, "nothing was behind the second time")
    }

    @Test func catchingUpHoldsBackThePathsInTheWayOfOwnChangesAndMovesTheRest() async throws {
        try task("a", from: base, ["a.txt": "a changed\n", "b.txt": "b changed\n", "new/one.txt": "one\n"])
        guard case .landed = try land("a", startedAt: base, leavingWorkingTree: true) else {
            Issue.record("a did not land")
            return
        }
        try directory.write("edited by hand\n", to: "a.txt")
        try directory.write("mine\n", to: "new/one.txt")
        try directory.write("c by hand\n", to: "c.txt")
        try directory.write("elsewhere\n", to: "untracked.txt")
        let held = try repository.catchUpWorkingTree()
        #expect(held == .heldBack(["a.txt", "new/one.txt"]), "\(held)")
        // Held back: the files as they were made by hand, their index entries the base's. Caught up: b.txt. Left
        // alone: the change and the file on paths that did not move.
        #expect(directory.read("a.txt") == "edited by hand\n")
        #expect(directory.read("new/one.txt") == "mine\n")
        #expect(directory.read("b.txt") == "b changed\n")
        #expect(directory.read("c.txt") == "c by hand\n")
        #expect(
            try repository.uncommittedPaths(workingTreeOnly: true) == [
                "a.txt", "c.txt", "new/one.txt", "untracked.txt",
            ]
        )

        // Moved away, the next call finishes.
        try directory.write("a1\na2\na3\n", to: "a.txt")
        try FileManager.default.removeItem(at: directory.url.appendingPathComponent("new"))
        #expect(try repository.catchUpWorkingTree() == .caughtUp)
        #expect(directory.read("a.txt") == "a changed\n")
        #expect(directory.read("new/one.txt") == "one\n")
        #expect(directory.read("c.txt") == "c by hand\n")
        #expect(try repository.uncommittedPaths() == ["c.txt", "untracked.txt"])
    }

    @Test func aMissingBranchIsNotFound() async throws {
        #expect {
            try land("nothing", startedAt: base)
        } throws: { error in
            (error as? GitError)?.isNotFound == true
        }
    }

    // MARK: - Merging by path, and the checkout limited to what changed

    /// Lands task `id` after task `sibling` landed first, both started at `base`; returns the second landing.
    func landAfterSibling(
        _ id: String,
        _ files: [String: String?],
        sibling: [String: String?]
    ) throws -> (first: OID, result: LandingResult) {
        try task("sibling", from: base, sibling)
        try task(id, from: base, files)
        guard case .landed(let first, fastPath: true) = try land("sibling", startedAt: base) else {
            throw GitError(code: -1, message: "the sibling did not land", operation: "test")
        }
        return (first, try land(id, startedAt: base))
    }

    @Test func tasksThatTouchedDifferentFoldersMergeWithTheWorkingTreeFollowing() async throws {
        let (first, result) = try landAfterSibling(
            "deep",
            ["tasks/deep/one.txt": "one\n", "tasks/two.txt": "two\n", "c.txt": nil],
            sibling: ["siblings/s.txt": "s\n", "a.txt": "a by the sibling\n"]
        )
        guard case .landed(let landed, fastPath: false) = result else {
            Issue.record("expected a merged landing, got \(result)")
            return
        }
        #expect(try repository.commitInfo(landed).parents == [first])
        #expect(
            try repository.filePaths(at: landed) == [
                "a.txt", "b.txt", "siblings/s.txt", "tasks/deep/one.txt", "tasks/two.txt",
            ]
        )
        #expect(try text("a.txt", at: landed) == "a by the sibling\n")
        #expect(directory.read("tasks/deep/one.txt") == "one\n")
        #expect(directory.read("tasks/two.txt") == "two\n")
        #expect(directory.read("c.txt") == nil)
        #expect(try repository.uncommittedPaths().isEmpty)
    }

    @Test func oneFileChangedOnBothSidesInDifferentPlacesMergesItsContents() async throws {
        let (_, result) = try landAfterSibling(
            "hunks",
            ["a.txt": "a1\na2\nA3\n", "new.txt": "new\n"],
            sibling: ["a.txt": "A1\na2\na3\n"]
        )
        guard case .landed(let landed, fastPath: false) = result else {
            Issue.record("expected a merged landing, got \(result)")
            return
        }
        #expect(try text("a.txt", at: landed) == "A1\na2\nA3\n")
        #expect(directory.read("a.txt") == "A1\na2\nA3\n")
        #expect(directory.read("new.txt") == "new\n")
        #expect(try repository.uncommittedPaths().isEmpty)
    }

    @Test func aRenameByTheTaskLandsBesideOtherWork() async throws {
        let (_, result) = try landAfterSibling(
            "rename",
            ["b.txt": nil, "moved/b.txt": "b1\nb2\nb3\n"],
            sibling: ["c.txt": "c by the sibling\n"]
        )
        guard case .landed(let landed, _) = result else {
            Issue.record("expected a landing, got \(result)")
            return
        }
        #expect(try repository.filePaths(at: landed) == ["a.txt", "c.txt", "moved/b.txt"])
        #expect(directory.read("b.txt") == nil)
        #expect(directory.read("moved/b.txt") == "b1\nb2\nb3\n")
        #expect(directory.read("c.txt") == "c by the sibling\n")
    }

    @Test func aFileOnOneSideAndAFolderOnTheOtherIsAConflict() async throws {
        let (first, result) = try landAfterSibling("folder", ["d/e.txt": "e\n"], sibling: ["d": "a file\n"])
        guard case .conflicts(let conflicts) = result else {
            Issue.record("expected conflicts, got \(result)")
            return
        }
        #expect(!conflicts.isEmpty)
        #expect(try repository.branchTip("phase") == first)
        #expect(directory.read("d") == "a file\n")
    }

    @Test func filesTheLandingDoesNotChangeAreLeftAsTheyAre() async throws {
        try directory.write("edited by hand\n", to: "b.txt")
        try directory.write("not tracked\n", to: "loose.txt")
        let (_, result) = try landAfterSibling("other", ["tasks/t.txt": "t\n"], sibling: ["a.txt": "a again\n"])
        guard case .landed = result else {
            Issue.record("expected a landing, got \(result)")
            return
        }
        #expect(directory.read("tasks/t.txt") == "t\n")
        #expect(directory.read("b.txt") == "edited by hand\n")
        #expect(directory.read("loose.txt") == "not tracked\n")
        #expect(try repository.uncommittedPaths() == ["b.txt", "loose.txt"])
    }

    @Test func anUntrackedFileWhereTheTaskMadeAFolderStopsTheLanding() async throws {
        try task("sibling", from: base, ["a.txt": "a again\n"])
        try task("folder", from: base, ["x/y.txt": "y\n"])
        guard case .landed(let first, _) = try land("sibling", startedAt: base) else {
            Issue.record("the sibling did not land")
            return
        }
        try directory.write("in the way\n", to: "x")
        #expect {
            try land("folder", startedAt: base)
        } throws: { error in
            (error as? GitError)?.isConflict == true
        }
        #expect(try repository.branchTip("phase") == first)
        #expect(directory.read("x") == "in the way\n")
    }

    struct TrailerRow: Sendable, CustomTestStringConvertible {
        var message: String
        var expected: String?
        var testDescription: String { message.replacingOccurrences(of: "\n", with: "⏎") }
    }

    @Test(arguments: [
        TrailerRow(message: "Task a: x\n\nTollgate-Task: a\n", expected: "a"),
        TrailerRow(
            message: "Task a: x\n\nSigned-off-by: Ada <ada@example.com>\nTollgate-Task: lexer",
            expected: "lexer"
        ),
        TrailerRow(message: "Tollgate-Task: a\n", expected: nil),
        TrailerRow(message: "Task a: x\n\nTollgate-Task: a\n\nMore text after it.\n", expected: nil),
        TrailerRow(message: "Task a: x\n\nTollgate-Tasks: a\n", expected: nil),
        TrailerRow(message: "Task a: x\n", expected: nil),
    ])
    func trailersAreReadFromTheLastParagraph(_ row: TrailerRow) async {
        #expect(Repository.trailer("Tollgate-Task", in: row.message) == row.expected)
    }

    @Test func theTrailerJoinsAnExistingTrailerParagraph() async throws {
        try task("a", from: base, ["a.txt": "a changed\n"])
        let landed = try repository.land(
            branch: "task-a",
            startedAt: base,
            onto: "phase",
            message: "Task a: work\n\nCo-authored-by: Bo <bo@example.com>\n",
            trailerKey: "Tollgate-Task",
            trailerValue: "a",
            author: Fixture.author,
            committer: Fixture.committer
        )
        guard case .landed(let commit, _) = landed else {
            Issue.record("a did not land")
            return
        }
        #expect(
            try repository.commitInfo(commit).message
                == "Task a: work\n\nCo-authored-by: Bo <bo@example.com>\nTollgate-Task: a\n"
        )
    }

    @Test func aTargetMovedFromTheExpectedTipIsNeitherMergedWithNorMoved() async throws {
        try task("a", from: base, ["a.txt": "a changed\n"])
        // Someone else moves the phase branch (HEAD is on it) to a commit of their own.
        let stranger = try task("x", from: base, ["c.txt": "stranger\n"])
        try repository.updateReference("refs/heads/phase", to: stranger, expected: base, message: "hostile")
        #expect {
            try repository.land(
                branch: "task-a",
                startedAt: base,
                onto: "phase",
                expectedTip: base,
                message: "Task a: work",
                trailerKey: "Tollgate-Task",
                trailerValue: "a",
                author: Fixture.author,
                committer: Fixture.committer
            )
        } throws: { ($0 as? GitError)?.isModified == true }
        #expect(try repository.branchTip("phase") == stranger)
    }

    @Test func theRecordedBranchTipIsLandedWhereverTheBranchPointsNow() async throws {
        let work = try task("a", from: base, ["a.txt": "a changed\n"])
        let stranger = try task("x", from: base, ["c.txt": "stranger\n"])
        try repository.updateReference("refs/heads/task-a", to: stranger, expected: work, message: "hostile")
        let result = try repository.land(
            branch: "task-a",
            startedAt: base,
            onto: "phase",
            expectedTip: base,
            branchTip: work,
            message: "Task a: work",
            trailerKey: "Tollgate-Task",
            trailerValue: "a",
            author: Fixture.author,
            committer: Fixture.committer
        )
        guard case .landed(let landed, _) = result else {
            Issue.record("a did not land: \(result)")
            return
        }
        #expect(try text("a.txt", at: landed) == "a changed\n")
        #expect(try text("c.txt", at: landed) == "c\n")
    }

    @Test func aBranchPutBackMovesTheWorkingTreeWithItKeepingNoStrangerFile() async throws {
        // The phase branch (HEAD on it) moved by a commit in the working tree, as `git commit` would.
        try Fixture.write(["c.txt": "stranger\n", "new.txt": "new\n"], in: directory)
        let stranger = try Fixture.commitAll(repository, "stranger")
        try repository.moveBranch("phase", from: stranger, to: base, reflog: "put back")
        #expect(try repository.branchTip("phase") == base)
        #expect(try repository.uncommittedPaths().isEmpty)
        #expect(try String(contentsOf: directory.url.appendingPathComponent("c.txt"), encoding: .utf8) == "c\n")
        #expect(!FileManager.default.fileExists(atPath: directory.url.appendingPathComponent("new.txt").path))
    }
}
