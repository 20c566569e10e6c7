import Foundation
import GitKit
import Testing
import TollgateTestSupport

/// `commitWorkingTree` stages by its own scan of the working tree (Repository+Staging.swift); git's `add -A` is the
/// judge: after each commit, `git add -A` must find nothing left to stage, and the commit must hold what git would.
struct StagingTests {
    private func commitTree(_ repository: Repository, _ message: String, in directory: URL) async throws -> String {
        let commit = try Fixture.commitAll(repository, message)
        return try await GitCLI.run(["rev-parse", "\(commit.hex)^{tree}"], in: directory)
    }

    @Test func stagesWhatGitAddAllWouldInEveryKindOfChange() async throws {
        let (directory, repository) = try Fixture.repository()
        let root = directory.url
        try Fixture.write(
            [
                ".gitignore": "*.log\nbuild/\n",
                "same-size.txt": "aaaa\n",
                "gone.txt": "bye\n",
                "tool.sh": "echo\n",
                "was-file": "a file\n",
                "was-folder/inner.txt": "inner\n",
                "kept/deep/file.txt": "deep\n",
                "vendor/tracked.log": "tracked although ignored\n",
            ],
            in: directory
        )
        _ = try await GitCLI.run(["add", "-f", "vendor/tracked.log"], in: root)
        let first = try await commitTree(repository, "first", in: root)
        #expect(try await Fixture.gitsView(of: root) == (first, ""))

        // Every change right after the commit: the same second, even the same size (git's racily clean entries).
        try Fixture.changeEveryKind(in: directory, linkTarget: "kept")
        try directory.remove("was-folder")
        try directory.write("now a file\n", to: "was-folder")
        let second = try await commitTree(repository, "second", in: root)
        let view = try await Fixture.gitsView(of: root)
        #expect(view.status == "")
        #expect(view.tree == second)
        try await Fixture.expectEveryKindCommitted(in: root)
        #expect(try await GitCLI.run(["show", "HEAD:was-folder"], in: root) == "now a file")

        // Nothing changed: nothing to commit, and nothing git would stage either.
        #expect(
            try repository.commitWorkingTree(message: "none", author: Fixture.author, committer: Fixture.committer)
                == nil
        )
        #expect(try await Fixture.gitsView(of: root) == (second, ""))
    }

    /// git's racy case: a file changed in the instant the index was written, its size and times unchanged.
    ///
    /// With `core.trustctime` off only the racy rule can see it.
    @Test func aFileChangedWithinTheIndexTimestampIsStillSeen() async throws {
        let (directory, repository) = try Fixture.repository()
        let root = directory.url
        _ = try await GitCLI.run(["config", "core.trustctime", "false"], in: root)
        try directory.write("one\n", to: "f.txt")
        _ = try await commitTree(repository, "first", in: root)
        let file = root.appendingPathComponent("f.txt").path
        var before = stat()
        #expect(lstat(file, &before) == 0)
        // The index written in the file's instant, then the file rewritten with the same size and times.
        var times = [before.st_atim, before.st_mtim]
        #expect(utimensat(AT_FDCWD, root.appendingPathComponent(".git/index").path, &times, 0) == 0)
        try directory.write("two\n", to: "f.txt")
        #expect(utimensat(AT_FDCWD, file, &times, 0) == 0)
        let second = try await commitTree(repository, "second", in: root)
        #expect(try await GitCLI.run(["show", "HEAD:f.txt"], in: root) == "two")
        #expect(try await Fixture.gitsView(of: root) == (second, ""))
    }

    /// A repository inside the working tree is refused naming the folder and what to do (git would add it as a
    /// link to a commit this repository does not have); once ignored, the rest is committed.
    @Test func aNestedRepositoryIsRefusedNamedUnlessIgnored() async throws {
        let (directory, repository) = try Fixture.repository()
        let root = directory.url
        try directory.write("top\n", to: "top.txt")
        _ = try Repository.create(at: root.appendingPathComponent("nested"))
        try directory.write("inside\n", to: "nested/file.txt")
        let error = #expect(throws: GitError.self) {
            try repository.commitWorkingTree(message: "first", author: Fixture.author, committer: Fixture.committer)
        }
        #expect(error?.description.contains("'nested/' is a git repository of its own") == true)
        #expect(error?.description.contains("list it in .gitignore") == true)
        try directory.write("nested/\n", to: ".gitignore")
        let files = try await GitCLI.run(
            ["ls-tree", "-r", "--name-only", Fixture.commitAll(repository, "first").hex],
            in: root
        )
        #expect(files == ".gitignore\ntop.txt")
    }
}
