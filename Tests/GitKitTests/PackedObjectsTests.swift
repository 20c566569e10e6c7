import Foundation
import GitKit
import Testing
import TollgateTestSupport

/// New objects batched in memory and written as packs (`Repository.packNewObjects`): nothing a reference names is
/// ever only in memory, small batches stay loose, and the pack count stays bounded however many commits are made.
@Suite(.runsProcesses)
struct PackedObjectsTests {
    /// The loose object files under `objects/`.
    static func looseObjects(_ directory: TemporaryDirectory) async throws -> [String] {
        try await GitCLI.run(["count-objects", "-v"], in: directory.url).split(separator: "\n")
            .filter { $0.hasPrefix("count: ") }.map { String($0.dropFirst(7)) }
    }

    @Test func aCommitsObjectsAreOnePackWrittenBeforeTheBranchMoves() async throws {
        let (directory, repository) = try Fixture.repository()
        try repository.packNewObjects()
        try Fixture.write(["a.txt": "one\n", "dir/b.txt": "two\n", "dir/deep/c.txt": "three\n"], in: directory)
        let commit = try Fixture.commitAll(repository, "first")
        #expect(repository.pendingObjectCount == 0)
        // Three blobs, three trees and the commit: one pack, no loose object.
        let packs = try repository.packs()
        #expect(packs.count == 1)
        #expect(packs.first?.objects == 7)
        #expect(try await Self.looseObjects(directory) == ["0"])
        // The git command line reads it all (and the index names only objects that exist).
        #expect(try await GitCLI.run(["fsck", "--strict", "--no-dangling"], in: directory.url).isEmpty)
        #expect(try await GitCLI.run(["rev-parse", "HEAD"], in: directory.url) == commit.hex)
        #expect(try await GitCLI.run(["show", "HEAD:dir/deep/c.txt"], in: directory.url) == "three")
        #expect(try await GitCLI.run(["status", "--porcelain"], in: directory.url).isEmpty)
    }

    @Test func objectsWaitInMemoryUntilAReferenceNamesThem() async throws {
        let (directory, repository) = try Fixture.repository()
        try repository.packNewObjects()
        let tree = try repository.writeTree(["job.json": Data("{}\n".utf8), "more/x.json": Data("[]\n".utf8)])
        let commit = try repository.commit(
            tree: tree,
            parents: [],
            message: "state",
            author: Fixture.author,
            committer: Fixture.committer
        )
        // Readable in this process, not on disk yet.
        #expect(repository.pendingObjectCount == 5)
        #expect(try repository.commitInfo(commit).tree == tree)
        #expect(try repository.fileContents("more/x.json", at: commit) == Data("[]\n".utf8))
        #expect(try await GitCLI.runAllowingFailure(["cat-file", "-e", commit.hex], in: directory.url).status != 0)

        try repository.updateReference("refs/heads/tollgate/state", to: commit, expected: nil, message: "state")
        #expect(repository.pendingObjectCount == 0)
        #expect(try await GitCLI.run(["show", "tollgate/state:more/x.json"], in: directory.url) == "[]")
        #expect(try repository.packs().count == 1)
    }

    @Test func bigFilesGoToDiskBeforeTheBatchGrowsPastItsBound() async throws {
        let (directory, repository) = try Fixture.repository()
        try repository.packNewObjects()
        // Five files of 8 MB: more than a batch holds (32 MB), so part of them is written during `add -A`.
        for file in 1...5 {
            let text = String(repeating: "file \(file), a line of an agent's big output\n", count: 8 << 20 / 40)
            try directory.write(text, to: "big/\(file).txt")
        }
        try Fixture.commitAll(repository, "big")
        #expect(repository.pendingObjectCount == 0)
        #expect(try repository.packs().count >= 2)
        #expect(try await GitCLI.run(["fsck", "--strict", "--no-dangling"], in: directory.url).isEmpty)
        #expect(try await GitCLI.run(["cat-file", "-s", "HEAD:big/5.txt"], in: directory.url) != "0")
    }

    @Test func aBatchOfOneOrTwoObjectsIsWrittenLoose() async throws {
        let (directory, repository) = try Fixture.repository()
        try directory.write("one\n", to: "a.txt")
        let first = try Fixture.commitAll(repository, "first")
        try repository.packNewObjects()
        let info = try repository.commitInfo(first)
        // A commit on the same tree (the empty squash): one new object, one file.
        let again = try repository.commit(
            tree: info.tree,
            parents: [first],
            message: "again",
            author: Fixture.author,
            committer: Fixture.committer
        )
        try repository.updateReference("refs/heads/main", to: again, expected: first, message: "again")
        #expect(try repository.packs().isEmpty)
        #expect(try await GitCLI.run(["cat-file", "-t", again.hex], in: directory.url) == "commit")
    }

    @Test func packsAreRolledUpSoTheirCountStaysBounded() async throws {
        let (directory, repository) = try Fixture.repository()
        try repository.packNewObjects(maxPacks: 4)
        var counts: [Int] = []
        for round in 1...40 {
            try directory.write("round \(round)\n", to: "out/round-\(round).txt")
            try directory.write("notes of round \(round)\n", to: "notes.md")
            try Fixture.commitAll(repository, "round \(round)")
            counts.append(try repository.packs().count)
        }
        #expect(counts.allSatisfy { $0 <= 4 }, "\(counts)")
        // Every commit and file is still there, read by libgit2 and by git.
        #expect(try repository.log(from: try #require(try repository.branchTip("main"))).count == 40)
        #expect(try await GitCLI.run(["fsck", "--strict", "--no-dangling"], in: directory.url).isEmpty)
        #expect(try await GitCLI.run(["show", "main~39:out/round-1.txt"], in: directory.url) == "round 1")
        #expect(try await GitCLI.run(["show", "main:notes.md"], in: directory.url) == "notes of round 40")
        #expect(try await Self.looseObjects(directory) == ["0"])
        // Rolled up, not copied: each of the 200 objects (two blobs, two trees and a commit a round) in one pack.
        #expect(try repository.packs().reduce(0) { $0 + $1.objects } == 200)
    }

    @Test func aPackWithDeltasIsRolledUpByLibgit2() async throws {
        let (directory, repository) = try Fixture.repository()
        // A history git packs with deltas (each version of a long file against the one before).
        let long = (1...200).map { "line \($0) of a file long enough to be worth a delta" }
        for round in 1...6 {
            try directory.write((long + ["round \(round)"]).joined(separator: "\n") + "\n", to: "long.txt")
            try Fixture.commitAll(repository, "round \(round)")
        }
        _ = try await GitCLI.run(["gc", "-q", "--aggressive"], in: directory.url)
        let packedByGit = try #require(try repository.packs().first?.name)
        try repository.packNewObjects(maxPacks: 2)
        for round in 7...20 {
            try directory.write("round \(round)\n", to: "small-\(round).txt")
            try Fixture.commitAll(repository, "round \(round)")
        }
        #expect(try repository.packs().count <= 2)
        #expect(try !repository.packs().contains { $0.name == packedByGit }, "git's pack was rolled up")
        #expect(try await GitCLI.run(["fsck", "--strict", "--no-dangling"], in: directory.url).isEmpty)
        #expect(try await GitCLI.run(["show", "main~16:long.txt"], in: directory.url).hasSuffix("round 4"))
        #expect(try repository.fileContents("long.txt", at: try #require(try repository.branchTip("main"))) != nil)
    }

    @Test func aKeptPackIsNeverRolledUp() async throws {
        let (directory, repository) = try Fixture.repository()
        try repository.packNewObjects(maxPacks: 2)
        try Fixture.write(["a.txt": "one\n", "b/c.txt": "two\n"], in: directory)
        try Fixture.commitAll(repository, "first")
        let kept = try #require(try repository.packs().first)
        try directory.write("", to: ".git/objects/pack/\(kept.name).keep")
        for round in 1...10 {
            try Fixture.write(["a.txt": "\(round)\n", "b/c.txt": "\(round)\n"], in: directory)
            try Fixture.commitAll(repository, "round \(round)")
        }
        #expect(try repository.packs().contains { $0.name == kept.name && !$0.movable })
        #expect(try await GitCLI.run(["fsck", "--strict", "--no-dangling"], in: directory.url).isEmpty)
    }
}
