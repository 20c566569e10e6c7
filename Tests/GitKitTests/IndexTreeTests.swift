import Foundation
import GitKit
import Testing
import TollgateTestSupport

/// GitKit writes the index's tree itself (Repository+IndexTree.swift), reusing each folder's last tree when its
/// entries are the same; `git write-tree` is the judge, after every change and after git itself changed the index.
struct IndexTreeTests {
    @Test func writesTheTreeGitWouldAfterEveryChange() async throws {
        let (directory, repository) = try Fixture.repository()
        let root = directory.url
        // Names whose order differs between a plain sort and git's (a folder sorts as "name/").
        try Fixture.write(
            [
                "a-b": "dash\n", "a.txt": "dot\n", "a/x": "in a\n", "a0": "zero\n", "a/b/c/deep.txt": "deep\n",
                "a/b-c": "sibling\n", "b/only.txt": "b\n", "z": "last\n",
            ],
            in: directory
        )
        #expect(chmod(root.appendingPathComponent("a0").path, 0o755) == 0)
        try FileManager.default.createSymbolicLink(
            atPath: root.appendingPathComponent("a/link").path,
            withDestinationPath: "x"
        )
        var tree = try await Fixture.commitTree(repository, "first", in: root)
        #expect(try await Fixture.gitsView(of: root) == (tree, ""))

        let steps: [(String, () throws -> Void)] = [
            ("a deep file changed", { try directory.write("deeper\n", to: "a/b/c/deep.txt") }),
            ("a folder emptied", { try directory.remove("b") }),
            ("a file where a folder was", { try directory.write("now a file\n", to: "b") }),
            ("a new folder first in order", { try directory.write("first\n", to: "0/first.txt") }),
            ("nothing", {}),
            (
                "everything removed",
                {
                    for name in try FileManager.default.contentsOfDirectory(atPath: root.path) where name != ".git" {
                        try FileManager.default.removeItem(at: root.appendingPathComponent(name))
                    }
                }
            ),
            ("something again", { try directory.write("back\n", to: "a/x") }),
        ]
        for (step, change) in steps {
            try change()
            tree = try await Fixture.commitTree(repository, step, in: root)
            let view = try await Fixture.gitsView(of: root)
            #expect(view.tree == tree, "\(step)")
            #expect(view.status == "", "\(step)")
        }
        #expect(tree != "4b825dc642cb6eb9a060e54bf8d69288fbee4904")
        #expect(try await GitCLI.run(["cat-file", "-t", tree], in: root) == "tree")
    }

    /// The folders' trees are reused by content, not by what this process staged: git changing the index in
    /// between is seen.
    @Test func gitChangingTheIndexInBetweenIsSeen() async throws {
        let (directory, repository) = try Fixture.repository()
        let root = directory.url
        try Fixture.write(["keep/a.txt": "a\n", "keep/b.txt": "b\n", "other.txt": "o\n"], in: directory)
        _ = try await Fixture.commitTree(repository, "first", in: root)
        // git drops a file from the index and adds another without touching the working tree's other files.
        _ = try await GitCLI.run(["rm", "--cached", "-q", "keep/b.txt"], in: root)
        try directory.write("new\n", to: "keep/c.txt")
        _ = try await GitCLI.run(["add", "keep/c.txt"], in: root)
        let tree = try await Fixture.commitTree(repository, "second", in: root)
        #expect(try await Fixture.gitsView(of: root) == (tree, ""))
        let files = try await GitCLI.run(["ls-tree", "-r", "--name-only", tree], in: root)
        #expect(files == "keep/a.txt\nkeep/b.txt\nkeep/c.txt\nother.txt")
    }

    /// `writeTree(_:)` (the state branch's trees) serializes its entries itself too: the same tree as git's for the
    /// same files, names that sort differently as folders included, and `git fsck` finds nothing wrong.
    @Test func writeTreeOfContentsIsGitsTree() async throws {
        let files = ["a-b": "dash\n", "a.txt": "dot\n", "a/x": "in a\n", "a0": "zero\n", "b/c/d.json": "{}\n"]
        let (directory, repository) = try Fixture.repository()
        let written = try repository.writeTree(files.mapValues { Data($0.utf8) })
        let (other, otherRepository) = try Fixture.repository("\(#function)-git")
        try Fixture.write(files, in: other)
        let committed = try await Fixture.commitTree(otherRepository, "same files", in: other.url)
        #expect(written.hex == committed)
        #expect(try await GitCLI.run(["fsck", "--strict", "--no-dangling"], in: directory.url) == "")
        #expect(throws: GitError.self) { try repository.writeTree(["x/.git/config": Data()]) }
    }
}
