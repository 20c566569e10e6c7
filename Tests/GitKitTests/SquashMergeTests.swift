import Foundation
import GitKit
import Testing
import TollgateTestSupport

/// Squash merges: the fast path, a three-way merge, conflicts, and the working tree when HEAD is on the target.
@Suite(.runsProcesses)
struct SquashMergeTests {
    /// A repository with `main` at one commit (`a.txt`, `b.txt`, `c.txt`) and HEAD on a new `phase` branch.
    private static func repositoryOnPhaseBranch(
        _ name: String = #function
    ) throws -> (TemporaryDirectory, Repository, base: OID) {
        let (directory, repository) = try Fixture.repository(name)
        try Fixture.write(["a.txt": "a1\na2\na3\n", "b.txt": "b1\nb2\nb3\n", "c.txt": "c\n"], in: directory)
        let base = try Fixture.commitAll(repository, "base")
        try repository.createBranch("phase", at: base)
        try repository.checkout(branch: "phase")
        return (directory, repository, base)
    }

    private static func squash(_ repository: Repository, message: String = "Phase 1 (tactical): work") throws
        -> SquashResult
    {
        try repository.squashMerge(
            branch: "phase",
            into: "main",
            message: message,
            author: Fixture.author,
            committer: Fixture.committer
        )
    }

    @Test func takesTheBranchTreeWhenMainHasNotMoved() async throws {
        let (directory, repository, base) = try Self.repositoryOnPhaseBranch()
        try directory.write("a changed\n", to: "a.txt")
        try Fixture.commitAll(repository, "step 1")
        try directory.remove("c.txt")
        try directory.write("new\n", to: "docs/new.md")
        let tip = try Fixture.commitAll(repository, "step 2")

        let result = try Self.squash(repository, message: "Phase 1 (tactical): work\n\nDetails.")
        guard case .merged(let squash, let fastPath) = result else {
            Issue.record("expected a merge, got \(result)")
            return
        }
        #expect(fastPath)
        let info = try repository.commitInfo(squash)
        #expect(info.parents == [base])
        #expect(info.tree == (try repository.commitInfo(tip)).tree)
        #expect(info.summary == "Phase 1 (tactical): work")
        #expect(try repository.branchTip("main") == squash)
        #expect(try repository.branchTip("phase") == tip)  // the branch is kept
        #expect(try repository.currentBranch() == "phase")

        let raw = try await GitCLI.run(["cat-file", "-p", "main"], in: directory.url)
        #expect(raw.split(separator: "\n").filter { $0.hasPrefix("parent ") } == ["parent \(base.hex)"])
        #expect(try await GitCLI.run(["diff", "--stat", "main", "phase"], in: directory.url) == "")

        // The engine's next steps: back to main (same tree), drop the branch.
        try repository.checkout(branch: "main")
        #expect(try repository.deleteBranch("phase"))
        #expect(directory.read("a.txt") == "a changed\n")
        #expect(try await GitCLI.run(["status", "--porcelain"], in: directory.url) == "")
        #expect(try repository.log(from: squash).map(\.oid) == [squash, base])
    }

    @Test func mergesThreeWaysWhenMainMoved() async throws {
        let (directory, repository, base) = try Self.repositoryOnPhaseBranch()
        try directory.write("a1\na2 from phase\na3\n", to: "a.txt")
        try directory.write("phase only\n", to: "phase.txt")
        try Fixture.commitAll(repository, "phase work")
        try repository.checkout(branch: "main")
        try directory.write("b1\nb2 from main\nb3\n", to: "b.txt")
        let mainTip = try Fixture.commitAll(repository, "main moved")

        let result = try Self.squash(repository)
        guard case .merged(let squash, let fastPath) = result else {
            Issue.record("expected a merge, got \(result)")
            return
        }
        #expect(!fastPath)
        #expect(try repository.commitInfo(squash).parents == [mainTip])
        #expect(try repository.branchTip("main") == squash)
        let cli = directory.url
        #expect(try await GitCLI.run(["show", "main:a.txt"], in: cli) == "a1\na2 from phase\na3")
        #expect(try await GitCLI.run(["show", "main:b.txt"], in: cli) == "b1\nb2 from main\nb3")
        #expect(try await GitCLI.run(["show", "main:phase.txt"], in: cli) == "phase only")
        #expect(try repository.changedPaths(from: mainTip, to: squash) == ["a.txt", "phase.txt"])
        // HEAD was on main, so the working tree and index followed.
        #expect(directory.read("a.txt") == "a1\na2 from phase\na3\n")
        #expect(directory.read("phase.txt") == "phase only\n")
        #expect(try await GitCLI.run(["status", "--porcelain"], in: cli) == "")
        #expect(try !repository.isAncestor(try #require(try repository.branchTip("phase")), of: squash))
        #expect(try repository.mergeBase(squash, base) == base)
    }

    @Test func updatesTheWorkingTreeWhenHeadIsOnTheTargetOnTheFastPath() async throws {
        let (directory, repository, _) = try Self.repositoryOnPhaseBranch()
        try directory.write("a new\n", to: "a.txt")
        try directory.remove("b.txt")
        try Fixture.commitAll(repository, "phase work")
        try repository.checkout(branch: "main")
        try directory.write("untracked but harmless\n", to: "scratch.txt")

        guard case .merged(_, fastPath: true) = try Self.squash(repository) else {
            Issue.record("expected the fast path")
            return
        }
        #expect(directory.read("a.txt") == "a new\n")
        #expect(directory.read("b.txt") == nil)
        #expect(directory.read("scratch.txt") == "untracked but harmless\n")
        #expect(try await GitCLI.run(["status", "--porcelain"], in: directory.url) == "?? scratch.txt")
    }

    @Test func stopsBeforeMovingMainWhenTheWorkingTreeWouldLoseChanges() async throws {
        let (directory, repository, base) = try Self.repositoryOnPhaseBranch()
        try directory.write("a from phase\n", to: "a.txt")
        try Fixture.commitAll(repository, "phase work")
        try repository.checkout(branch: "main")
        try directory.write("uncommitted edit\n", to: "a.txt")

        let error = #expect(throws: GitError.self) { try Self.squash(repository) }
        #expect(error?.isConflict == true)
        #expect(try repository.branchTip("main") == base)
        #expect(directory.read("a.txt") == "uncommitted edit\n")
    }

    @Test func reportsConflictsAndChangesNothing() async throws {
        let (directory, repository, _) = try Self.repositoryOnPhaseBranch()
        try directory.write("a1\na2 phase\na3\n", to: "a.txt")
        try directory.write("c edited on phase\n", to: "c.txt")
        try directory.write("added on phase\n", to: "both.txt")
        let phaseTip = try Fixture.commitAll(repository, "phase work")
        try repository.checkout(branch: "main")
        try directory.write("a1\na2 main\na3\n", to: "a.txt")
        try directory.remove("c.txt")
        try directory.write("added on main\n", to: "both.txt")
        let mainTip = try Fixture.commitAll(repository, "main work")

        let result = try Self.squash(repository)
        #expect(
            result
                == .conflicts([
                    MergeConflict(path: "a.txt", ancestor: true, ours: true, theirs: true),
                    MergeConflict(path: "both.txt", ancestor: false, ours: true, theirs: true),
                    MergeConflict(path: "c.txt", ancestor: true, ours: false, theirs: true),
                ])
        )
        #expect(try repository.branchTip("main") == mainTip)
        #expect(try repository.branchTip("phase") == phaseTip)
        #expect(directory.read("a.txt") == "a1\na2 main\na3\n")
        #expect(try await GitCLI.run(["status", "--porcelain"], in: directory.url) == "")
    }

    @Test func reportsUpToDateWhenTheBranchBringsNothing() async throws {
        let (directory, repository, base) = try Self.repositoryOnPhaseBranch()
        #expect(try Self.squash(repository) == .upToDate)  // same commit

        try repository.checkout(branch: "main")
        try directory.write("main moved\n", to: "m.txt")
        try Fixture.commitAll(repository, "main moved")
        #expect(try Self.squash(repository) == .upToDate)  // branch behind main

        try repository.checkout(branch: "phase")
        try directory.write("temporary\n", to: "c.txt")
        try Fixture.commitAll(repository, "change")
        try directory.write("c\n", to: "c.txt")
        try Fixture.commitAll(repository, "change back")
        try repository.checkout(branch: "main")
        try directory.remove("m.txt")
        let reverted = try Fixture.commitAll(repository, "main back to base tree")
        #expect(try repository.commitInfo(reverted).tree == (try repository.commitInfo(base)).tree)
        #expect(try Self.squash(repository) == .upToDate)  // net change is nothing
        #expect(try repository.branchTip("main") == reverted)
    }

    @Test func failsForMissingBranches() async throws {
        let (directory, repository, _) = try Self.repositoryOnPhaseBranch()
        let error = #expect(throws: GitError.self) {
            try repository.squashMerge(
                branch: "absent",
                into: "main",
                message: "m",
                author: Fixture.author,
                committer: Fixture.committer
            )
        }
        #expect(error?.isNotFound == true)
        #expect(Repository.isRepository(at: directory.url))
    }
}
