import Foundation
import Testing
import TollgateTestSupport

/// `init` takes none of the user's files by surprise, and a failed `init` leaves the folder as it found it.
@Suite(.runsProcesses)
struct InitSafetyTests {
    /// Every file of `directory` (`.git` included) with its contents: what must not change.
    static func snapshot(_ directory: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        let base = directory.standardizedFileURL.path + "/"
        guard let walker = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil) else {
            return files
        }
        for case let url as URL in walker {
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
            let relative = url.standardizedFileURL.path.replacingOccurrences(of: base, with: "")
            files[relative] = isDirectory.boolValue ? Data() : try Data(contentsOf: url)
        }
        return files
    }

    @Test func uncommittedChangesInTheRepositoryAreRefusedNotCommitted() async throws {
        let job = try CLIJob("init-dirty")
        try FileManager.default.createDirectory(at: job.root, withIntermediateDirectories: true)
        try await job.git("init", "-q", "-b", "main")
        try "one\n".write(to: job.root.appendingPathComponent("tracked.txt"), atomically: true, encoding: .utf8)
        try await job.git("add", "tracked.txt")
        try await job.git("-c", "user.name=u", "-c", "user.email=u@example.invalid", "commit", "-qm", "mine")
        try "changed\n".write(to: job.root.appendingPathComponent("tracked.txt"), atomically: true, encoding: .utf8)
        try "new\n".write(to: job.root.appendingPathComponent("untracked.txt"), atomically: true, encoding: .utf8)
        let before = try Self.snapshot(job.root)
        let result = try await job.tollgate("init", job.path, "--agent", "tollgate example-agent")
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("uncommitted changes (tracked.txt, untracked.txt)"), "\(result.stderr)")
        #expect(result.stderr.contains("git stash -u"))
        #expect(try Self.snapshot(job.root) == before)
        // Once they are committed, init goes ahead on top of the user's history.
        try await job.git("add", "-A")
        try await job.git("-c", "user.name=u", "-c", "user.email=u@example.invalid", "commit", "-qm", "more")
        #expect(try await job.tollgate("init", job.path, "--agent", "tollgate example-agent").status == 0)
        #expect(try await job.git("rev-list", "--count", "main") == "3")
    }

    @Test func aWorkspaceMdOfTheUsersIsNotOverwritten() async throws {
        let job = try CLIJob("init-workspace-md")
        try FileManager.default.createDirectory(at: job.root, withIntermediateDirectories: true)
        try "my own notes\n".write(
            to: job.root.appendingPathComponent("workspace.md"),
            atomically: true,
            encoding: .utf8
        )
        let result = try await job.tollgate("init", job.path)
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("already holds a workspace.md of its own"))
        #expect(
            try String(contentsOf: job.root.appendingPathComponent("workspace.md"), encoding: .utf8) == "my own notes\n"
        )
        #expect(!FileManager.default.fileExists(atPath: job.root.appendingPathComponent(".git").path))
    }

    @Test(arguments: ["vendor", "jobs/one"])
    func aFolderHoldingRepositoriesIsRefused(_ nested: String) async throws {
        let job = try CLIJob("init-nested")
        let inner = job.root.appendingPathComponent(nested)
        try FileManager.default.createDirectory(at: inner, withIntermediateDirectories: true)
        try await GitCLI.run(["init", "-q"], in: inner)
        let before = try Self.snapshot(job.root)
        let result = try await job.tollgate("init", job.path)
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("holds git repositories of its own (\(nested)/)"), "\(result.stderr)")
        #expect(!result.stderr.contains("invalid path"))
        #expect(try Self.snapshot(job.root) == before)
    }

    @Test func aFailedInitLeavesNothingBehindAndTheNextOneWorks() async throws {
        let job = try CLIJob("init-undo")
        let failed = try await job.tollgate("init", job.path, "--review", "gitea")
        #expect(failed.status != 0, "\(failed)")
        #expect(failed.stderr.contains("gitea.url"))
        #expect(!FileManager.default.fileExists(atPath: job.path))
        // In a folder of the user's (not a repository), the folder and its files are as they were.
        try FileManager.default.createDirectory(at: job.root, withIntermediateDirectories: true)
        try "data\n".write(to: job.root.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        let before = try Self.snapshot(job.root)
        #expect(try await job.tollgate("init", job.path, "--review", "gitea").status != 0)
        #expect(try Self.snapshot(job.root) == before)
        let created = try await job.tollgate("init", job.path, "--agent", "tollgate example-agent")
        #expect(created.status == 0, "\(created)")
        #expect(created.stderr.contains("took in the 1 file already in"))
        #expect(try await job.git("show", "main:notes.txt") == "data")
    }
}

/// Edits made in the working tree while a phase is frozen are nobody's work: they are named, not swept into the
/// next agent commit, and nothing of them is lost.
@Suite(.runsProcesses)
struct FrozenTreeTests {
    @Test func editsWhileFrozenStopResumeAndStayWhereTheyAre() async throws {
        let job = try CLIJob("frozen-edits")
        try await job.initialize(["--agent", "tollgate example-agent", "--autonomy", "guided"])
        #expect(try await job.tollgate("run", job.path).status == 3)
        try "edited by hand\n".write(to: job.root.appendingPathComponent("plan.md"), atomically: true, encoding: .utf8)
        try "mine\n".write(to: job.root.appendingPathComponent("scratch.txt"), atomically: true, encoding: .utf8)
        #expect(try await job.tollgate("review", job.path, "approve", "--as", "ann").status == 0)
        let refused = try await job.tollgate("resume", job.path)
        #expect(refused.status == 1, "\(refused)")
        #expect(refused.stderr.contains("plan.md, scratch.txt"), "\(refused.stderr)")
        #expect(refused.stderr.contains("stash -u"))
        #expect(try await job.status()["status"] as? String == "pending_review")
        #expect(try String(contentsOf: job.root.appendingPathComponent("scratch.txt"), encoding: .utf8) == "mine\n")
        // Set aside, the verdict is acted on, and the edits are in no commit.
        try await job.git("stash", "-u")
        let resumed = try await job.tollgate("resume", job.path)
        #expect(resumed.status == 3, "\(resumed)")
        #expect(try await job.git("log", "--branches", "--format=%H", "--", "scratch.txt").isEmpty)
        #expect(try await job.git("stash", "list").contains("stash@{0}"))
    }
}
