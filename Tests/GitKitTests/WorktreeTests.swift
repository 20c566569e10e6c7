import Foundation
import GitKit
import Testing
import TollgateTestSupport

/// Linked worktrees through libgit2: adding one on a new branch, working in it, and what a rerun does with each
/// thing a crash can leave behind (an intact worktree, a deleted working tree, a half-made administrative folder, a
/// stray folder), locking, pruning and removing.
@Suite(.runsProcesses)
struct WorktreeTests {
    let directory: TemporaryDirectory
    let repository: Repository
    let base: OID

    /// A repository with `main` at one commit (`a.txt`) and HEAD on `main`.
    init() throws {
        (directory, repository) = try Fixture.repository("WorktreeTests")
        try Fixture.write(["a.txt": "a\n"], in: directory)
        base = try Fixture.commitAll(repository, "base")
    }

    var taskPath: URL { directory.path(".git/tollgate/worktrees/phase-2-tactical-task-lexer") }

    @discardableResult
    func addTask() throws -> (worktree: Worktree, origin: WorktreeOrigin) {
        try repository.addWorktree(
            name: "phase-2-tactical-task-lexer",
            at: taskPath,
            branch: "phase-2-tactical-task-lexer",
            from: base
        )
    }

    func file(_ name: String) -> String? {
        (try? Data(contentsOf: taskPath.appendingPathComponent(name))).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func addsAWorktreeOnANewBranchAtTheCommit() async throws {
        let (worktree, origin) = try addTask()
        #expect(origin == .created)
        #expect(worktree.name == "phase-2-tactical-task-lexer")
        #expect(worktree.branch == "phase-2-tactical-task-lexer")
        #expect(worktree.isValid && !worktree.isLocked)
        #expect(worktree.path.resolvingSymlinksInPath().path == taskPath.resolvingSymlinksInPath().path)
        #expect(try repository.branchTip("phase-2-tactical-task-lexer") == base)
        #expect(file("a.txt") == "a\n")
        #expect(try repository.currentBranch() == "main")
        #expect(try repository.worktrees() == [worktree])
        // Inside the git directory, the worktree is no change of the main working tree.
        #expect(try repository.uncommittedPaths().isEmpty)
    }

    @Test func aCommitInTheWorktreeMovesOnlyItsBranch() async throws {
        try addTask()
        let task = try Repository.open(at: taskPath)
        try Data("lexer\n".utf8).write(to: taskPath.appendingPathComponent("lexer.txt"))
        let commit = try #require(
            try task.commitWorkingTree(message: "lexer", author: Fixture.author, committer: Fixture.committer)
        )
        #expect(try repository.branchTip("phase-2-tactical-task-lexer") == commit)
        #expect(try repository.branchTip("main") == base)
        #expect(directory.read("lexer.txt") == nil)
    }

    @Test func aRerunAdoptsAnIntactWorktreeWithItsWork() async throws {
        try addTask()
        try Data("half done\n".utf8).write(to: taskPath.appendingPathComponent("wip.txt"))
        let (worktree, origin) = try addTask()
        #expect(origin == .adopted)
        #expect(worktree.isValid)
        #expect(file("wip.txt") == "half done\n")
    }

    @Test func aDeletedWorkingTreeIsPrunedAndMadeAgainOnTheKeptBranch() async throws {
        try addTask()
        let task = try Repository.open(at: taskPath)
        try Data("lexer\n".utf8).write(to: taskPath.appendingPathComponent("lexer.txt"))
        let commit = try task.commitWorkingTree(message: "lexer", author: Fixture.author, committer: Fixture.committer)
        try FileManager.default.removeItem(at: taskPath)
        #expect(try repository.worktree(named: "phase-2-tactical-task-lexer")?.isValid == false)

        let (worktree, origin) = try addTask()
        #expect(origin == .createdOnExistingBranch)
        #expect(worktree.isValid)
        #expect(try repository.branchTip("phase-2-tactical-task-lexer") == commit)
        #expect(file("lexer.txt") == "lexer\n")
    }

    /// libgit2 writes the administrative files one after another; a crash between them leaves a folder that is no
    /// valid worktree (here: its `gitdir` file is missing).
    @Test func aHalfMadeAdministrativeFolderIsRemovedAndTheWorktreeMadeAgain() async throws {
        try addTask()
        let administrative = directory.path(".git/worktrees/phase-2-tactical-task-lexer")
        try FileManager.default.removeItem(at: administrative.appendingPathComponent("gitdir"))
        #expect(try repository.worktree(named: "phase-2-tactical-task-lexer")?.isValid == false)

        let (worktree, origin) = try addTask()
        #expect(origin == .createdOnExistingBranch)
        #expect(worktree.isValid)
        #expect(FileManager.default.fileExists(atPath: administrative.appendingPathComponent("gitdir").path))
        #expect(file("a.txt") == "a\n")
    }

    @Test func aStrayFolderAtThePathIsReplaced() async throws {
        try FileManager.default.createDirectory(at: taskPath, withIntermediateDirectories: true)
        try Data("left over\n".utf8).write(to: taskPath.appendingPathComponent("stray.txt"))
        let (worktree, origin) = try addTask()
        #expect(origin == .created)
        #expect(worktree.isValid)
        #expect(file("stray.txt") == nil)
        #expect(file("a.txt") == "a\n")
    }

    @Test func aWorktreeOnAnotherBranchIsMadeAgainOnTheAskedOne() async throws {
        try repository.addWorktree(name: "phase-2-tactical-task-lexer", at: taskPath, branch: "other", from: base)
        let (worktree, origin) = try addTask()
        #expect(origin == .created)
        #expect(worktree.branch == "phase-2-tactical-task-lexer")
        #expect(try repository.branchTip("other") == base)
    }

    @Test func aBranchCheckedOutElsewhereIsRefused() async throws {
        #expect(throws: GitError.self) {
            try repository.addWorktree(
                name: "again",
                at: directory.path(".git/tollgate/again"),
                branch: "main",
                from: base
            )
        }
        #expect(try repository.worktree(named: "again") == nil)
    }

    @Test func aLockedWorktreeSurvivesPruningButNotRemoval() async throws {
        try addTask()
        try repository.lockWorktree("phase-2-tactical-task-lexer", reason: "task running")
        try repository.lockWorktree("phase-2-tactical-task-lexer", reason: "task running")
        #expect(try repository.worktree(named: "phase-2-tactical-task-lexer")?.isLocked == true)
        try FileManager.default.removeItem(at: taskPath)
        #expect(try repository.pruneWorktrees().isEmpty)
        #expect(try repository.worktree(named: "phase-2-tactical-task-lexer") != nil)

        try repository.unlockWorktree("phase-2-tactical-task-lexer")
        #expect(try repository.pruneWorktrees() == ["phase-2-tactical-task-lexer"])
        #expect(try repository.worktrees().isEmpty)
    }

    @Test func removingDeletesTheWorkingTreeAndKeepsTheBranch() async throws {
        try addTask()
        try repository.lockWorktree("phase-2-tactical-task-lexer", reason: "task running")
        #expect(try repository.removeWorktree("phase-2-tactical-task-lexer"))
        #expect(!FileManager.default.fileExists(atPath: taskPath.path))
        #expect(
            !FileManager.default.fileExists(atPath: directory.path(".git/worktrees/phase-2-tactical-task-lexer").path)
        )
        #expect(try repository.worktrees().isEmpty)
        #expect(try repository.branchTip("phase-2-tactical-task-lexer") == base)
        #expect(try repository.deleteBranch("phase-2-tactical-task-lexer"))
        #expect(try !repository.removeWorktree("phase-2-tactical-task-lexer"))
    }

    // MARK: - A branch checked out in another working tree

    /// HEAD is written directly only while no linked worktree exists; with one, the branch it has checked out can be
    /// neither checked out in the main tree nor deleted (git: "is already used by worktree", libgit2: "current HEAD of
    /// a linked repository").
    @Test func aBranchCheckedOutInALinkedWorktreeIsNeitherCheckedOutNorDeleted() async throws {
        try addTask()
        #expect(throws: GitError.self) { try repository.checkout(branch: "phase-2-tactical-task-lexer") }
        #expect(throws: GitError.self) { try repository.deleteBranch("phase-2-tactical-task-lexer") }
        #expect(try repository.currentBranch() == "main")
        #expect(try repository.branchTip("phase-2-tactical-task-lexer") == base)
    }

    /// From inside a linked worktree, the main tree's branch is taken too.
    @Test func theMainTreesBranchCannotBeCheckedOutFromALinkedWorktree() async throws {
        try addTask()
        let task = try Repository.open(at: taskPath)
        #expect(throws: GitError.self) { try task.checkout(branch: "main") }
        #expect(try task.currentBranch() == "phase-2-tactical-task-lexer")
    }
}
