import Foundation
import GitKit
import Testing
import TollgateTestSupport

/// Worktrees made from the files of removed ones (``WorktreeSpares``): whatever the spare held (committed work,
/// untracked and ignored files, uncommitted edits, a different commit), the new worktree holds exactly its commit's
/// tree, as a fresh checkout does; a spare half taken is not adopted; the limit and the clearing.
@Suite(.runsProcesses)
struct WorktreeSpareTests {
    let directory: TemporaryDirectory
    let repository: Repository
    let base: OID
    let spares: WorktreeSpares

    /// `main` at one commit: a few files in folders and a `.gitignore` that ignores `build/`.
    init() throws {
        (directory, repository) = try Fixture.repository("WorktreeSpareTests")
        try Fixture.write(
            [
                "a.txt": "a\n", "src/b.txt": "b\n", "src/deep/c.txt": "c\n", "docs/d.txt": "d\n",
                ".gitignore": "build/\n",
            ],
            in: directory
        )
        base = try Fixture.commitAll(repository, "base")
        spares = WorktreeSpares(folder: directory.path(".git/spares"), limit: 2)
    }

    func path(_ name: String) -> URL { directory.path(".git/worktrees-here/\(name)") }

    /// Every file under `root` but its `.git`, with its contents.
    func files(_ root: URL) throws -> [String: String] {
        var found: [String: String] = [:]
        let walker = try #require(FileManager.default.enumerator(atPath: root.path))
        while let relative = walker.nextObject() as? String {
            guard relative != ".git" else { continue }
            var isFolder: ObjCBool = false
            let url = root.appendingPathComponent(relative)
            _ = FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder)
            if !isFolder.boolValue { found[relative] = String(decoding: try Data(contentsOf: url), as: UTF8.self) }
        }
        return found
    }

    func write(_ text: String, _ relative: String, in root: URL) throws {
        let url = root.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    /// A worktree on `name` from `commit`, worked in the way an agent does, then removed into the spares.
    func usedAndRemoved(_ name: String, from commit: OID) throws -> OID {
        try repository.addWorktree(name: name, at: path(name), branch: name, from: commit, reusing: spares)
        let root = path(name)
        let worktree = try Repository.open(at: root)
        try write("new\n", "src/new.txt", in: root)
        try write("b changed\n", "src/b.txt", in: root)
        try FileManager.default.removeItem(at: root.appendingPathComponent("docs/d.txt"))
        let tip = try #require(
            try worktree.commitWorkingTree(message: name, author: Fixture.author, committer: Fixture.committer)
        )
        // Left after the commit: an untracked file, an ignored build folder, an uncommitted edit.
        try write("stray\n", "stray.txt", in: root)
        try write("object\n", "build/out.o", in: root)
        try write("a edited\n", "a.txt", in: root)
        #expect(try repository.removeWorktree(name, keepingFilesIn: spares))
        #expect(!FileManager.default.fileExists(atPath: root.path))
        return tip
    }

    func inode(_ url: URL) -> UInt64? {
        var info = stat()
        return stat(url.path, &info) == 0 ? UInt64(info.st_ino) : nil
    }

    @Test func aWorktreeFromASpareHoldsExactlyItsCommitsTree() async throws {
        _ = try usedAndRemoved("task-1", from: base)
        let spare = try #require(try FileManager.default.contentsOfDirectory(atPath: spares.folder.path).first)
        let kept = inode(spares.folder.appendingPathComponent("\(spare)/tree/src/deep/c.txt"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: spares.folder.path).count == 1)

        let (made, origin) = try repository.addWorktree(
            name: "task-2",
            at: path("task-2"),
            branch: "task-2",
            from: base,
            reusing: spares
        )
        #expect(origin == .created)
        #expect(made.isValid && made.branch == "task-2")
        #expect(
            try files(path("task-2")) == [
                "a.txt": "a\n", "src/b.txt": "b\n", "src/deep/c.txt": "c\n", "docs/d.txt": "d\n",
                ".gitignore": "build/\n",
            ]
        )
        // A file the spare had right was not written again.
        #expect(kept != nil && inode(path("task-2").appendingPathComponent("src/deep/c.txt")) == kept)
        let worktree = try Repository.open(at: path("task-2"))
        #expect(try worktree.uncommittedPaths().isEmpty)
        #expect(try worktree.currentBranch() == "task-2")
        // The spare was taken: none is left.
        #expect(try FileManager.default.contentsOfDirectory(atPath: spares.folder.path).isEmpty)
    }

    @Test func aSpareGivesTheTipOfAnExistingBranchAndOfALaterCommit() async throws {
        let tip = try usedAndRemoved("task-1", from: base)
        // The branch task-1 exists with its work: a worktree on it from a spare has that work.
        try repository.addWorktree(name: "task-1", at: path("task-1"), branch: "task-1", from: base, reusing: spares)
        #expect(try repository.branchTip("task-1") == tip)
        #expect(
            try files(path("task-1")) == [
                "a.txt": "a\n", "src/b.txt": "b changed\n", "src/new.txt": "new\n", "src/deep/c.txt": "c\n",
                ".gitignore": "build/\n",
            ]
        )
        #expect(try Repository.open(at: path("task-1")).uncommittedPaths().isEmpty)
    }

    @Test func aSpareHalfTakenIsNotAdoptedByARerun() async throws {
        _ = try usedAndRemoved("task-1", from: base)
        try repository.addWorktree(name: "task-2", at: path("task-2"), branch: "task-2", from: base, reusing: spares)
        // As if a crash came while the spare's files were moved in: the marker is there, a file is wrong.
        let marker = directory.path(".git/worktrees/task-2/gitkit-preparing")
        try Data().write(to: marker)
        try write("half\n", "a.txt", in: path("task-2"))
        #expect(try repository.worktree(named: "task-2")?.isValid == false)

        let (again, origin) = try repository.addWorktree(
            name: "task-2",
            at: path("task-2"),
            branch: "task-2",
            from: base,
            reusing: spares
        )
        #expect(origin == .createdOnExistingBranch)
        #expect(again.isValid)
        #expect(try files(path("task-2"))["a.txt"] == "a\n")
        #expect(!FileManager.default.fileExists(atPath: marker.path))
    }

    @Test func atMostTheLimitIsKeptAndClearingDeletesThem() async throws {
        for name in ["task-1", "task-2", "task-3"] {
            try repository.addWorktree(name: name, at: path(name), branch: name, from: base)
        }
        for name in ["task-1", "task-2", "task-3"] {
            #expect(try repository.removeWorktree(name, keepingFilesIn: spares))
            #expect(!FileManager.default.fileExists(atPath: path(name).path))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: spares.folder.path).count == spares.limit)
        #expect(try repository.worktrees().isEmpty)
        try repository.clearWorktreeSpares(spares)
        #expect(!FileManager.default.fileExists(atPath: spares.folder.path))
        // With no spare left, a worktree is checked out fresh.
        try repository.addWorktree(name: "task-4", at: path("task-4"), branch: "task-4", from: base, reusing: spares)
        #expect(try files(path("task-4")).count == 5)
    }
}
