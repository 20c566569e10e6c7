import Foundation
import Testing
import TollgateTestSupport

@testable import GitKit

/// Staging with the working tree watched (WorkingTreeWatch.swift).
///
/// After the first full scan, a commit examines only what inotify reported. git's `add -A` is the judge, as in
/// StagingTests, and each test also checks which way the commit staged, so a watch that is never used, or used when
/// it must not be, fails here.
struct WatchedStagingTests {
    /// A repository watched from its first commit on, with `files` in it.
    private func watched(_ files: [String: String], _ name: String = #function) async throws -> (
        TemporaryDirectory, Repository
    ) {
        let (directory, repository) = try Fixture.repository(name)
        repository.watchWorkingTree()
        try Fixture.write(files, in: directory)
        let first = try await Fixture.commitTree(repository, "first", in: directory.url, forcing: ["archive"])
        #expect(!repository.lastStagingWatched)
        try #require(repository.workingTreeWatch?.trusted != nil, "the watch is not available here")
        #expect(try await Fixture.gitsView(of: directory.url) == (first, ""))
        return (directory, repository)
    }

    @Test func stagesWhatGitAddAllWouldFromTheEventsAlone() async throws {
        let (directory, repository) = try await watched([
            ".gitignore": "*.log\nbuild/\narchive/\n",
            "same-size.txt": "aaaa\n",
            "gone.txt": "bye\n",
            "tool.sh": "echo\n",
            "was-file": "a file\n",
            "vendor/tracked.log": "tracked although ignored\n",
        ])
        let root = directory.url
        _ = try await GitCLI.run(["add", "-f", "vendor/tracked.log"], in: root)
        _ = try await Fixture.commitTree(repository, "tracked.log", in: root, forcing: ["archive"])

        try Fixture.changeEveryKind(in: directory, linkTarget: "brand")
        try directory.write("forced although ignored\n", to: "archive/phase-1.md")
        let second = try await Fixture.commitTree(repository, "second", in: root, forcing: ["archive"])
        #expect(repository.lastStagingWatched)
        let view = try await Fixture.gitsView(of: root)
        #expect(view.status == "")
        #expect(view.tree == second)
        try await Fixture.expectEveryKindCommitted(in: root)
        let files = try await GitCLI.run(["ls-tree", "-r", "--name-only", "HEAD"], in: root)
        #expect(files.contains("archive/phase-1.md"))

        // A new file in a folder the last commit created: watched from then on.
        try directory.write("later\n", to: "brand/new/later.txt")
        let third = try await Fixture.commitTree(repository, "third", in: root, forcing: ["archive"])
        #expect(repository.lastStagingWatched)
        #expect(try await Fixture.gitsView(of: root) == (third, ""))

        // Nothing changed: nothing to commit.
        let none = try repository.commitWorkingTree(
            message: "none",
            author: Fixture.author,
            committer: Fixture.committer,
            forcing: ["archive"]
        )
        #expect(none == nil && repository.lastStagingWatched)
        // Other forced folders: the watch read the tree for the old ones, so everything is scanned again.
        _ = try repository.commitWorkingTree(message: "none", author: Fixture.author, committer: Fixture.committer)
        #expect(!repository.lastStagingWatched)
    }

    /// A rewrite that leaves size, mtime and inode as they were (ctime not trusted) is invisible to a scan, as to
    /// git; the event still names the file, so the watched commit has it.
    @Test func aRewriteTheStatDataCannotSeeIsStillCommitted() async throws {
        let (directory, repository) = try Fixture.repository()
        let root = directory.url
        _ = try await GitCLI.run(["config", "core.trustctime", "false"], in: root)
        repository.watchWorkingTree()
        try directory.write("one\n", to: "f.txt")
        let file = root.appendingPathComponent("f.txt").path
        // An hour old, so the entry is not racily clean and the scan trusts the stat data.
        var times = [timespec(tv_sec: time(nil) - 3600, tv_nsec: 0), timespec(tv_sec: time(nil) - 3600, tv_nsec: 0)]
        #expect(utimensat(AT_FDCWD, file, &times, 0) == 0)
        _ = try await Fixture.commitTree(repository, "first", in: root, forcing: ["archive"])
        try #require(repository.workingTreeWatch?.trusted != nil, "the watch is not available here")

        try directory.write("two\n", to: "f.txt")
        #expect(utimensat(AT_FDCWD, file, &times, 0) == 0)
        _ = try await Fixture.commitTree(repository, "second", in: root, forcing: ["archive"])
        #expect(repository.lastStagingWatched)
        #expect(try await GitCLI.run(["show", "HEAD:f.txt"], in: root) == "two")
    }

    /// A racily clean entry (its file written no earlier than the index) is hashed again by a watched commit, as
    /// `git add -A` would: here the file is rewritten through a hard link outside the working tree, which raises no
    /// event in it, so only that rule can see the change.
    @Test func aRacilyCleanEntryIsHashedAgainUnderTheWatch() async throws {
        let (directory, repository) = try Fixture.repository()
        let root = directory.url
        let outside = try TemporaryDirectory("outside-link")
        repository.watchWorkingTree()
        try directory.write("one\n", to: "f.txt")
        try directory.write("other\n", to: "g.txt")
        let file = root.appendingPathComponent("f.txt").path
        let link = outside.path("f-link").path
        #expect(Glibc.link(file, link) == 0)
        // An hour ahead: the entry stays newer than every index written meanwhile, racily clean.
        var times = [timespec(tv_sec: time(nil) + 3600, tv_nsec: 0), timespec(tv_sec: time(nil) + 3600, tv_nsec: 0)]
        #expect(utimensat(AT_FDCWD, file, &times, 0) == 0)
        _ = try await Fixture.commitTree(repository, "first", in: root)
        try #require(repository.workingTreeWatch?.trusted != nil, "the watch is not available here")

        // The same size, written where the working tree's watch cannot see it, with the hour-ahead time put back.
        let descriptor = Glibc.open(link, O_WRONLY | O_TRUNC)
        #expect(descriptor >= 0)
        #expect(Glibc.write(descriptor, "two\n", 4) == 4)
        close(descriptor)
        #expect(utimensat(AT_FDCWD, link, &times, 0) == 0)
        try directory.write("changed\n", to: "g.txt")
        let second = try await Fixture.commitTree(repository, "second", in: root)
        #expect(repository.lastStagingWatched)
        #expect(try await GitCLI.run(["show", "HEAD:f.txt"], in: root) == "two")
        #expect(try await Fixture.gitsView(of: root) == (second, ""))
    }

    /// Whatever raises no event in the working tree, or an event that cannot say what changed, makes the next
    /// commit scan everything again, and the result is what git would stage.
    @Test(arguments: WatchBreaker.allCases)
    func whatTheEventsCannotDescribeScansAgain(_ breaker: WatchBreaker) async throws {
        let (directory, repository) = try await watched([
            ".gitignore": "*.log\n",
            ".git/info/exclude": "*.tmp\n",
            "kept.txt": "kept\n",
            "hidden.tmp": "ignored by info/exclude\n",
            "old.log": "ignored by .gitignore\n",
            "folder/inner.txt": "inner\n",
        ])
        let root = directory.url
        switch breaker {
        case .indexChangedByGit:
            _ = try await GitCLI.run(["rm", "--cached", "-q", "kept.txt"], in: root)
        case .gitignoreEdited:
            try directory.write("\n", to: ".gitignore")
        case .excludeFileEdited:
            try directory.write("\n", to: ".git/info/exclude")
        case .folderRemoved:
            try directory.remove("folder")
        case .folderMovedIn:
            let outside = try TemporaryDirectory("moved-in")
            try outside.write("moved\n", to: "moved/file.txt")
            #expect(rename(outside.path("moved").path, root.appendingPathComponent("moved").path) == 0)
        case .settingChanged:
            _ = try await GitCLI.run(["config", "core.filemode", "false"], in: root)
            #expect(chmod(root.appendingPathComponent("kept.txt").path, 0o755) == 0)
        }
        let tree = try await Fixture.commitTree(repository, "after \(breaker)", in: root, forcing: ["archive"])
        #expect(!repository.lastStagingWatched)
        #expect(try await Fixture.gitsView(of: root) == (tree, ""))
        // The scan armed the watch again.
        try directory.write("again\n", to: "kept.txt")
        let next = try await Fixture.commitTree(repository, "again", in: root, forcing: ["archive"])
        #expect(repository.lastStagingWatched)
        #expect(try await Fixture.gitsView(of: root) == (next, ""))
    }

    enum WatchBreaker: String, CaseIterable, CustomStringConvertible {
        case indexChangedByGit, gitignoreEdited, excludeFileEdited, folderRemoved, folderMovedIn, settingChanged
        var description: String { rawValue }
    }

    /// Without `watchWorkingTree()` every commit scans.
    @Test func anUnwatchedRepositoryAlwaysScans() async throws {
        let (directory, repository) = try Fixture.repository()
        try directory.write("one\n", to: "f.txt")
        _ = try await Fixture.commitTree(repository, "first", in: directory.url, forcing: ["archive"])
        try directory.write("two\n", to: "f.txt")
        _ = try await Fixture.commitTree(repository, "second", in: directory.url, forcing: ["archive"])
        #expect(!repository.lastStagingWatched && repository.workingTreeWatch == nil)
    }
}
