import Foundation
import GitKit
import Testing
import TollgateTestSupport

/// Shared test values: fixed signatures (no user configuration involved) and small repository shortcuts.
enum Fixture {
    static let author = Signature(
        name: "Ada Author",
        email: "ada@example.com",
        date: Date(timeIntervalSince1970: 1_700_000_000)
    )
    static let committer = Signature(
        name: "Cy Committer",
        email: "cy@example.com",
        date: Date(timeIntervalSince1970: 1_700_000_100)
    )

    /// A new repository with HEAD on an unborn `main`, in a fresh temporary directory.
    static func repository(_ name: String = #function) throws -> (TemporaryDirectory, Repository) {
        let directory = try TemporaryDirectory(name)
        return (directory, try Repository.create(at: directory.url))
    }

    /// Commits the whole working tree and requires that a commit was made.
    @discardableResult
    static func commitAll(
        _ repository: Repository,
        _ message: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> OID {
        try #require(
            try repository.commitWorkingTree(message: message, author: author, committer: committer),
            sourceLocation: sourceLocation
        )
    }

    /// Commits the whole working tree (an empty commit too, `forcing` folders as the engine's) and returns the
    /// commit's tree as git names it, for comparing with what git itself would stage.
    static func commitTree(
        _ repository: Repository,
        _ message: String,
        in root: URL,
        forcing forced: [String] = [],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> String {
        let commit = try #require(
            try repository.commitWorkingTree(
                message: message,
                author: author,
                committer: committer,
                allowEmpty: true,
                forcing: forced
            ),
            sourceLocation: sourceLocation
        )
        return try await GitCLI.run(["rev-parse", "\(commit.hex)^{tree}"], in: root)
    }

    /// Writes files into the working tree.
    static func write(_ files: [String: String], in directory: TemporaryDirectory) throws {
        for (path, text) in files { try directory.write(text, to: path) }
    }

    /// `git add -A`'s tree and `git status` for a copy of the repository at `directory`: the judge of staging.
    ///
    /// A copy, because git refreshes the index it reads, and a rewritten index (rightly) makes a watched repository's
    /// next commit scan everything.
    static func gitsView(of directory: URL) async throws -> (tree: String, status: String) {
        let copy = try TemporaryDirectory("judge")
        let result = try await Subprocess.run(
            executable: URL(fileURLWithPath: "/bin/cp"),
            arguments: ["-a", directory.path + "/.", copy.url.path],
            environment: [:],
            directory: directory
        )
        try #require(result.status == 0, "cp -a failed: \(result.stderr)")
        _ = try await GitCLI.run(["add", "-A"], in: copy.url)
        let tree = try await GitCLI.run(["write-tree"], in: copy.url)
        let status = try await GitCLI.run(["status", "--porcelain", "--untracked-files=all"], in: copy.url)
        return (tree, status)
    }

    /// Makes every kind of change staging must see in a working tree holding `same-size.txt`, `gone.txt`,
    /// `tool.sh`, `was-file` and the tracked `vendor/tracked.log` (`*.log` and `build/` ignored), right after a
    /// commit: a same-size rewrite, a deletion, chmod +x, a file become a folder, new nested folders, a tracked but
    /// ignored file changed, ignored files and folders, a symbolic link to `linkTarget`.
    static func changeEveryKind(in directory: TemporaryDirectory, linkTarget: String) throws {
        let root = directory.url
        try directory.write("bbbb\n", to: "same-size.txt")
        try directory.remove("gone.txt")
        #expect(chmod(root.appendingPathComponent("tool.sh").path, 0o755) == 0)
        try directory.remove("was-file")
        try directory.write("now a folder\n", to: "was-file/inside.txt")
        try directory.write("new\n", to: "brand/new/folder/file.txt")
        try directory.write("changed although ignored\n", to: "vendor/tracked.log")
        try directory.write("untracked and ignored\n", to: "vendor/other.log")
        try directory.write("ignored folder\n", to: "build/output.txt")
        try FileManager.default.createSymbolicLink(
            atPath: root.appendingPathComponent("link").path,
            withDestinationPath: linkTarget
        )
    }

    /// Checks that HEAD holds what ``changeEveryKind(in:linkTarget:)`` made, as git would commit it.
    static func expectEveryKindCommitted(in root: URL) async throws {
        let files = try await GitCLI.run(["ls-tree", "-r", "HEAD"], in: root)
        #expect(files.contains("100755 blob") && files.contains("\ttool.sh"))
        #expect(files.contains("120000 blob") && files.contains("\tlink"))
        #expect(files.contains("\tbrand/new/folder/file.txt") && files.contains("\twas-file/inside.txt"))
        #expect(files.contains("\tvendor/tracked.log") && !files.contains("vendor/other.log"))
        #expect(!files.contains("build/") && !files.contains("gone.txt"))
        #expect(try await GitCLI.run(["show", "HEAD:same-size.txt"], in: root) == "bbbb")
    }
}
