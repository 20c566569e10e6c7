import Foundation
import GitKit
import Testing
import TollgateTestSupport

/// Opening, committing, branches, checkout, trees and compare-and-swap, checked against the git command line.
@Suite(.runsProcesses)
struct RepositoryTests {
    // MARK: - Creating and opening

    @Test func createsOpensAndRecognisesRepositories() async throws {
        let directory = try TemporaryDirectory()
        let location = directory.path("nested/workspace")
        let created = try Repository.create(at: location)
        #expect(Repository.isRepository(at: location))
        #expect(!Repository.isRepository(at: directory.url))
        #expect(created.workingDirectory?.standardizedFileURL.path == location.standardizedFileURL.path)
        #expect(created.gitDirectory.lastPathComponent == ".git")
        #expect(try created.currentBranch() == "main")
        #expect(try created.resolve(reference: "HEAD") == nil)
        #expect(try created.branchNames().isEmpty)
        #expect(try await GitCLI.run(["symbolic-ref", "HEAD"], in: location) == "refs/heads/main")

        let opened = try Repository.open(at: location)
        #expect(try opened.currentBranch() == "main")
        let missing = #expect(throws: GitError.self) { try Repository.open(at: directory.path("absent")) }
        #expect(missing?.isNotFound == true)
        #expect(missing?.description.hasPrefix("git open ") == true)
    }

    @Test func createsWithAnotherInitialBranch() async throws {
        let directory = try TemporaryDirectory()
        let repository = try Repository.create(at: directory.url, initialBranch: "trunk")
        #expect(try repository.currentBranch() == "trunk")
        try directory.write("x", to: "x.txt")
        let commit = try Fixture.commitAll(repository, "first")
        #expect(try repository.branchTip("trunk") == commit)
        #expect(try await GitCLI.run(["rev-parse", "trunk"], in: directory.url) == commit.hex)
    }

    // MARK: - Committing the working tree

    @Test func commitsAdditionsModificationsAndDeletionsRespectingGitignore() async throws {
        let (directory, repository) = try Fixture.repository()
        try Fixture.write(
            [".gitignore": "*.log\n", "a.txt": "alpha\n", "b.txt": "beta\n", "debug.log": "noise\n"],
            in: directory
        )
        #expect(try repository.hasUncommittedChanges())
        let first = try Fixture.commitAll(repository, "first")
        #expect(
            try await GitCLI.run(["ls-tree", "-r", "--name-only", "HEAD"], in: directory.url)
                == ".gitignore\na.txt\nb.txt"
        )
        #expect(try !repository.hasUncommittedChanges())
        #expect(try repository.commitInfo(first).parents.isEmpty)

        try directory.write("alpha 2\n", to: "a.txt")
        try directory.remove("b.txt")
        try directory.write("gamma\n", to: "dir/c.txt")
        #expect(try repository.hasUncommittedChanges())
        let second = try Fixture.commitAll(repository, "second")

        let cli = directory.url
        #expect(try await GitCLI.run(["rev-parse", "HEAD"], in: cli) == second.hex)
        #expect(try await GitCLI.run(["rev-parse", "HEAD^"], in: cli) == first.hex)
        #expect(
            try await GitCLI.run(["ls-tree", "-r", "--name-only", "HEAD"], in: cli) == ".gitignore\na.txt\ndir/c.txt"
        )
        #expect(try await GitCLI.run(["show", "HEAD:a.txt"], in: cli) == "alpha 2")
        #expect(try await GitCLI.run(["status", "--porcelain"], in: cli) == "")  // index and workdir in step
        #expect(try !repository.hasUncommittedChanges())
        #expect(try repository.changedPaths(from: first, to: second) == ["a.txt", "b.txt", "dir/c.txt"])
    }

    @Test func committingSomeFilesStagesThemAloneAndLeavesTheRestAsItIs() async throws {
        let (directory, repository) = try Fixture.repository()
        try Fixture.write(["a.txt": "alpha", "b.txt": "beta", "dir/c.txt": "gamma"], in: directory)
        let first = try Fixture.commitAll(repository, "first")
        try Fixture.write(["a.txt": "alpha 2", "b.txt": "beta 2", "dir/new.txt": "new"], in: directory)
        try FileManager.default.removeItem(at: directory.url.appendingPathComponent("dir/c.txt"))

        let second = try #require(
            try repository.commitFiles(
                ["a.txt", "dir/c.txt", "dir/new.txt", "never.txt"],
                message: "some",
                author: Fixture.author,
                committer: Fixture.committer
            )
        )
        #expect(try repository.commitInfo(second).parents == [first])
        #expect(try repository.branchTip("main") == second)
        #expect(try repository.filePaths(at: second) == ["a.txt", "b.txt", "dir/new.txt"])
        #expect(try repository.fileContents("a.txt", at: second) == Data("alpha 2".utf8))
        // b.txt was not named: its change is still only in the working tree.
        #expect(try repository.fileContents("b.txt", at: second) == Data("beta".utf8))
        #expect(try await GitCLI.run(["status", "--porcelain"], in: directory.url) == " M b.txt")
        // Nothing named changed: no commit.
        #expect(
            try repository.commitFiles(["a.txt"], message: "none", author: Fixture.author, committer: Fixture.author)
                == nil
        )
    }

    /// A lock left by a killed git process stops a reference's move; the error says what it is and what to do.
    @Test func aStaleLockStopsAReferenceMoveAndTheErrorSaysToRemoveIt() async throws {
        let (directory, repository) = try Fixture.repository()
        try Fixture.write(["a.txt": "a\n"], in: directory)
        let first = try Fixture.commitAll(repository, "first")
        try repository.createBranch("phase", at: first)
        try directory.write("0000\n", to: ".git/refs/heads/phase.lock")
        let error = #expect(throws: GitError.self) {
            try repository.updateReference("refs/heads/phase", to: first, expected: first, message: "again")
        }
        #expect(error?.isLocked == true)
        #expect(error?.description.contains("phase.lock") == true, "\(String(describing: error))")
        #expect(error?.description.contains("remove the .lock file and try again") == true)
    }

    @Test func reportsNothingToCommit() async throws {
        let (directory, repository) = try Fixture.repository()
        #expect(
            try repository.commitWorkingTree(message: "empty", author: Fixture.author, committer: Fixture.author) == nil
        )
        try directory.write("ignored\n", to: "x.log")
        try directory.write("*.log\n", to: ".git/info/exclude")
        #expect(
            try repository.commitWorkingTree(message: "empty", author: Fixture.author, committer: Fixture.author) == nil
        )
        #expect(try repository.resolve(reference: "HEAD") == nil)

        try directory.write("content\n", to: "file.txt")
        let first = try Fixture.commitAll(repository, "first")
        #expect(
            try repository.commitWorkingTree(message: "again", author: Fixture.author, committer: Fixture.author) == nil
        )
        #expect(try repository.branchTip("main") == first)

        let empty = try #require(
            try repository.commitWorkingTree(
                message: "allowed",
                author: Fixture.author,
                committer: Fixture.author,
                allowEmpty: true
            )
        )
        let info = try repository.commitInfo(empty)
        #expect(info.parents == [first])
        #expect(info.tree == (try repository.commitInfo(first)).tree)
    }

    @Test func recordsSignaturesDatesAndMessages() async throws {
        let (directory, repository) = try Fixture.repository()
        try directory.write("x\n", to: "x.txt")
        let oid = try Fixture.commitAll(repository, "Title line\n\nBody text.\n\nTollgate-Job: 42")
        let info = try repository.commitInfo(oid)
        #expect(info.oid == oid)
        #expect(info.author == Fixture.author)
        #expect(info.committer == Fixture.committer)
        #expect(info.summary == "Title line")
        #expect(info.message == "Title line\n\nBody text.\n\nTollgate-Job: 42\n")
        let format = "--format=%an|%ae|%at|%cn|%ce|%ct|%s|%(trailers:key=Tollgate-Job,valueonly,separator=)"
        let cli = try await GitCLI.run(["log", "-1", format], in: directory.url)
        #expect(
            cli.trimmingCharacters(in: .whitespacesAndNewlines)
                == "Ada Author|ada@example.com|1700000000|Cy Committer|cy@example.com|1700000100|Title line|42"
        )

        try directory.write("y\n", to: "y.txt")
        // Commit times have whole seconds: the stamp lies between the second before the commit and the one after.
        let before = Date().addingTimeInterval(-1)
        let now = try #require(
            try repository.commitWorkingTree(
                message: "now",
                author: Signature(name: "N", email: "n@example.com"),
                committer: Signature(name: "N", email: "n@example.com")
            )
        )
        let stamped = try #require(try repository.commitInfo(now).author.date)
        #expect(stamped >= before && stamped <= Date().addingTimeInterval(1))
    }

    // MARK: - Branches and checkout

    @Test func createsListsChecksOutAndDeletesBranches() async throws {
        let (directory, repository) = try Fixture.repository()
        try directory.write("one\n", to: "file.txt")
        let first = try Fixture.commitAll(repository, "first")
        try repository.createBranch("phase-1-strategic", at: first)
        try repository.createBranch("a-branch", at: first)
        #expect(try repository.branchNames() == ["a-branch", "main", "phase-1-strategic"])
        #expect(throws: GitError.self) { try repository.createBranch("a-branch", at: first) }

        try repository.checkout(branch: "phase-1-strategic")
        #expect(try repository.currentBranch() == "phase-1-strategic")
        #expect(try await GitCLI.run(["rev-parse", "--abbrev-ref", "HEAD"], in: directory.url) == "phase-1-strategic")
        try directory.write("two\n", to: "file.txt")
        try directory.write("new\n", to: "added.txt")
        let second = try Fixture.commitAll(repository, "second")
        #expect(try repository.branchTip("phase-1-strategic") == second)
        #expect(try repository.branchTip("main") == first)

        try repository.checkout(branch: "main")
        // The reflog says what git's own checkout says.
        let reflog = try await GitCLI.run(["reflog", "-1", "--format=%gs", "HEAD"], in: directory.url)
        #expect(reflog == "checkout: moving from phase-1-strategic to main")
        #expect(directory.read("file.txt") == "one\n")
        #expect(directory.read("added.txt") == nil)
        #expect(try await GitCLI.run(["status", "--porcelain"], in: directory.url) == "")

        let current = #expect(throws: GitError.self) { try repository.deleteBranch("main") }
        #expect(current?.isNotFound == false)
        #expect(try repository.deleteBranch("phase-1-strategic"))
        #expect(try !repository.deleteBranch("phase-1-strategic"))
        #expect(try repository.branchNames() == ["a-branch", "main"])
        let missing = #expect(throws: GitError.self) { try repository.checkout(branch: "absent") }
        #expect(missing?.isNotFound == true)
    }

    @Test func forcedFoldersAreCommittedWhateverGitignoreSays() async throws {
        let (directory, repository) = try Fixture.repository()
        try Fixture.write(
            [
                ".gitignore": "*\n!.gitignore\n", "archive/a.md": "one\n", "archive/deep/b.md": "deep\n",
                "other/c.txt": "noise\n",
            ],
            in: directory
        )
        func commit() throws -> OID? {
            try repository.commitWorkingTree(
                message: "work",
                author: Fixture.author,
                committer: Fixture.committer,
                forcing: ["archive"]
            )
        }
        func files() async throws -> String {
            try await GitCLI.run(["ls-tree", "-r", "--name-only", "HEAD"], in: directory.url)
        }
        #expect(try commit() != nil)
        #expect(try await files() == ".gitignore\narchive/a.md\narchive/deep/b.md")
        // A tracked file there is updated, a new one added; with nothing changed there is nothing to commit.
        try Fixture.write(["archive/a.md": "two\n", "archive/new.md": "new\n"], in: directory)
        #expect(try commit() != nil)
        #expect(try await files() == ".gitignore\narchive/a.md\narchive/deep/b.md\narchive/new.md")
        #expect(try await GitCLI.run(["show", "HEAD:archive/a.md"], in: directory.url) == "two")
        #expect(try commit() == nil)

        // A forced folder inside an ignored one that holds nothing tracked yet.
        try Fixture.write(["outer/inner/d.md": "inner\n", "outer/e.txt": "noise\n"], in: directory)
        #expect(
            try repository.commitWorkingTree(
                message: "nested",
                author: Fixture.author,
                committer: Fixture.committer,
                forcing: ["outer/inner"]
            ) != nil
        )
        #expect(try await files() == ".gitignore\narchive/a.md\narchive/deep/b.md\narchive/new.md\nouter/inner/d.md")
    }

    @Test func deletingABranchRemovesItsSettingsAndNoOthers() async throws {
        let (directory, repository) = try Fixture.repository()
        try directory.write("one\n", to: "file.txt")
        let first = try Fixture.commitAll(repository, "first")
        try repository.createBranch("phase-1", at: first)
        try repository.createBranch("phase-10", at: first)
        for arguments in [
            ["branch.phase-1.remote", "origin"], ["branch.phase-1.merge", "refs/heads/phase-1"],
            ["--add", "branch.phase-1.note", "a"], ["--add", "branch.phase-1.note", "b"],
            ["branch.phase-10.remote", "origin"],
        ] {
            try await GitCLI.run(["config"] + arguments, in: directory.url)
        }
        #expect(try repository.deleteBranch("phase-1"))
        #expect(try repository.branchNames() == ["main", "phase-10"])
        let settings = try await GitCLI.run(["config", "--local", "--get-regexp", "^branch\\."], in: directory.url)
        #expect(settings == "branch.phase-10.remote origin")
    }

    @Test func safeCheckoutRefusesToOverwriteLocalChanges() async throws {
        let (directory, repository) = try Fixture.repository()
        try directory.write("v1\n", to: "file.txt")
        let first = try Fixture.commitAll(repository, "first")
        try repository.createBranch("other", at: first)
        try repository.checkout(branch: "other")
        try directory.write("v2\n", to: "file.txt")
        try Fixture.commitAll(repository, "second")
        try repository.checkout(branch: "main")

        try directory.write("local edit\n", to: "file.txt")
        let error = #expect(throws: GitError.self) { try repository.checkout(branch: "other") }
        #expect(error?.isConflict == true)
        #expect(directory.read("file.txt") == "local edit\n")
        #expect(try repository.currentBranch() == "main")

        try repository.checkout(branch: "other", force: true)
        #expect(directory.read("file.txt") == "v2\n")
        #expect(try repository.currentBranch() == "other")
        #expect(try !repository.hasUncommittedChanges())
    }

    // MARK: - Trees and commits without a working tree

    @Test func writesNestedTreesAndReadsThemBack() async throws {
        let (directory, repository) = try Fixture.repository()
        let files: [String: Data] = [
            "README.md": Data("# Job\n".utf8),
            "docs/a/b.txt": Data("deep\n".utf8),
            "docs/c.txt": Data("shallow\n".utf8),
            "empty.txt": Data(),
        ]
        let tree = try repository.writeTree(files)
        let commit = try repository.commit(
            tree: tree,
            parents: [],
            message: "state",
            author: Fixture.author,
            committer: Fixture.committer
        )
        #expect(try repository.resolve(reference: "HEAD") == nil)  // no reference moved
        #expect(try repository.commitInfo(commit).tree == tree)
        #expect(try repository.filePaths(at: commit) == ["README.md", "docs/a/b.txt", "docs/c.txt", "empty.txt"])
        #expect(
            try await GitCLI.run(["ls-tree", "-r", "--name-only", commit.hex], in: directory.url)
                == "README.md\ndocs/a/b.txt\ndocs/c.txt\nempty.txt"
        )
        for (path, contents) in files {
            #expect(try repository.fileContents(path, at: commit) == contents)
        }
        #expect(try repository.fileContents("absent.txt", at: commit) == nil)
        #expect(try repository.fileContents("docs", at: commit) == nil)
        #expect(try repository.fileContents("docs/a/missing", at: commit) == nil)
        #expect(
            try repository.changedPaths(from: nil, to: commit) == [
                "README.md", "docs/a/b.txt", "docs/c.txt", "empty.txt",
            ]
        )

        let next = try repository.commit(
            tree: try repository.writeTree(["README.md": Data("# Job 2\n".utf8)]),
            parents: [commit],
            message: "state 2",
            author: Fixture.author,
            committer: Fixture.committer
        )
        #expect(try repository.commitInfo(next).parents == [commit])
        #expect(try await GitCLI.run(["rev-parse", "\(next.hex)^"], in: directory.url) == commit.hex)

        #expect(throws: GitError.self) { try repository.writeTree(["a/../b": Data()]) }
        #expect(throws: GitError.self) { try repository.writeTree(["a": Data(), "a/b": Data()]) }
    }

    // MARK: - Compare-and-swap

    @Test func updatesReferencesOnlyWhenTheExpectedValueHolds() async throws {
        let (directory, repository) = try Fixture.repository()
        let tree = try repository.writeTree(["job.json": Data("{}".utf8)])
        let cli = directory.url
        let one = try repository.commit(
            tree: tree,
            parents: [],
            message: "one",
            author: Fixture.author,
            committer: Fixture.committer
        )
        let two = try repository.commit(
            tree: tree,
            parents: [one],
            message: "two",
            author: Fixture.author,
            committer: Fixture.committer
        )
        let state = "refs/heads/tollgate/state"

        let absent = #expect(throws: GitError.self) {
            try repository.updateReference(state, to: one, expected: two, message: "should fail")
        }
        #expect(absent?.isModified == true)
        #expect(try repository.resolve(reference: state) == nil)

        try repository.updateReference(state, to: one, expected: nil, message: "create")
        #expect(try repository.resolve(reference: state) == one)
        let exists = #expect(throws: GitError.self) {
            try repository.updateReference(state, to: two, expected: nil, message: "create again")
        }
        #expect(exists?.isModified == true)
        let stale = #expect(throws: GitError.self) {
            try repository.updateReference(state, to: two, expected: two, message: "stale")
        }
        #expect(stale?.isModified == true)
        #expect(try repository.resolve(reference: state) == one)
        #expect(try await GitCLI.run(["rev-parse", state], in: cli) == one.hex)

        try repository.updateReference(state, to: two, expected: one, message: "advance")
        #expect(try repository.resolve(reference: state) == two)
        #expect(try repository.branchNames() == ["tollgate/state"])
        #expect(try repository.deleteReference(state))
        #expect(try !repository.deleteReference(state))
        #expect(try repository.resolve(reference: state) == nil)
    }

    // MARK: - History

    @Test func readsHistoryChangesAndAncestry() async throws {
        let (directory, repository) = try Fixture.repository()
        var commits: [OID] = []
        for index in 1...4 {
            try directory.write("\(index)\n", to: "file\(index % 2).txt")
            commits.append(try Fixture.commitAll(repository, "commit \(index)"))
        }
        let tip = try #require(commits.last)
        #expect(try repository.log(from: tip).map(\.oid) == commits.reversed())
        #expect(try repository.log(from: tip, limit: 2).map(\.oid) == Array(commits.reversed().prefix(2)))
        #expect(
            try repository.log(from: tip).map(\.oid.hex).joined(separator: "\n")
                == (await GitCLI.run(["rev-list", "HEAD"], in: directory.url))
        )
        #expect(try repository.changedPaths(from: commits[0], to: commits[1]) == ["file0.txt"])
        #expect(
            try await repository.changedPaths(from: commits[0], to: tip).joined(separator: "\n")
                == GitCLI.run(["diff", "--name-only", commits[0].hex, tip.hex], in: directory.url)
        )
        #expect(try repository.isAncestor(commits[0], of: tip))
        #expect(try repository.isAncestor(tip, of: tip))
        #expect(try !repository.isAncestor(tip, of: commits[0]))

        try repository.createBranch("side", at: commits[1])
        try repository.checkout(branch: "side")
        try directory.write("side\n", to: "side.txt")
        let side = try Fixture.commitAll(repository, "side")
        #expect(try repository.mergeBase(side, tip) == commits[1])
        #expect(try !repository.isAncestor(side, of: tip))

        let orphan = try repository.commit(
            tree: try repository.writeTree(["x": Data()]),
            parents: [],
            message: "orphan",
            author: Fixture.author,
            committer: Fixture.committer
        )
        #expect(try repository.mergeBase(orphan, tip) == nil)

        let merge = try repository.commit(
            tree: try repository.commitInfo(tip).tree,
            parents: [tip, side],
            message: "merge",
            author: Fixture.author,
            committer: Fixture.committer
        )
        #expect(try repository.log(from: merge).count == 5)
        #expect(try repository.log(from: merge, firstParentOnly: false).count == 6)
        let all = try repository.log(from: merge, firstParentOnly: false).map(\.oid.hex)
        await #expect(
            Set(all)
                == Set(
                    try GitCLI.run(["rev-list", merge.hex], in: directory.url).split(separator: "\n").map(String.init)
                )
        )
        #expect(all.first == merge.hex)
    }

    /// Ancestry and merge bases answered by the first-parent shortcut, beyond its reach and off the first-parent line,
    /// each compared with `git merge-base` over a history whose commits share one second, as a job's do.
    @Test func ancestryAgreesWithGitBeyondTheFirstParentShortcut() async throws {
        let (directory, repository) = try Fixture.repository()
        let tree = try repository.writeTree(["file.txt": Data("x\n".utf8)])
        func commit(_ message: String, _ parents: [OID]) throws -> OID {
            try repository.commit(
                tree: tree,
                parents: parents,
                message: message,
                author: Fixture.author,
                committer: Fixture.committer
            )
        }
        var line: [OID] = [try commit("root", [])]
        for index in 1...40 { line.append(try commit("line \(index)", [line[index - 1]])) }
        let side = try commit("side", [line[3]])
        let merge = try commit("merge", [line[40], side])
        let orphan = try commit("orphan", [])
        let cases: [(OID, OID)] = [
            (line[38], line[40]), (line[40], line[38]), (line[0], line[40]), (line[40], line[0]),
            (side, line[40]), (side, merge), (merge, side), (line[3], merge), (line[39], merge), (side, line[2]),
        ]
        for (one, other) in cases {
            let expected = try await GitCLI.run(["merge-base", one.hex, other.hex], in: directory.url)
            #expect(try repository.mergeBase(one, other)?.hex == expected, "merge base of \(one) and \(other)")
            let reachable = expected == one.hex
            #expect(try repository.isAncestor(one, of: other) == reachable, "is \(one) an ancestor of \(other)")
        }
        #expect(try repository.mergeBase(orphan, line[40]) == nil)
        #expect(try !repository.isAncestor(orphan, of: merge))
        #expect(try repository.isAncestor(side, of: merge))
        #expect(try repository.isAncestor(line[0], of: merge))
    }

    // MARK: - Values

    @Test func validatesAndEncodesObjectIDs() async throws {
        let hex = String(repeating: "ab", count: 20)
        let oid = try #require(OID(hex: hex.uppercased()))
        #expect(oid.hex == hex)
        #expect(oid.description == hex)
        #expect(OID(hex: "abc") == nil)
        #expect(OID(hex: String(repeating: "g", count: 40)) == nil)
        let encoded = try JSONEncoder().encode(["head": oid])
        #expect(String(decoding: encoded, as: UTF8.self) == "{\"head\":\"\(hex)\"}")
        #expect(try JSONDecoder().decode([String: OID].self, from: encoded) == ["head": oid])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([OID].self, from: Data("[\"xyz\"]".utf8)) }
    }

    @Test func keepsPasswordsOutOfDescriptions() async {
        let credentials = Credentials(username: "bot", password: "s3cret-token")
        #expect(!"\(credentials)".contains("s3cret"))
        #expect(!String(reflecting: credentials).contains("s3cret"))
        #expect(
            GitError(code: -1, message: "boom", operation: "push to origin").description
                == "git push to origin failed: boom"
        )
    }
}
