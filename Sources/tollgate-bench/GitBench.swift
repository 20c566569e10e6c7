import Foundation
import GitKit

/// Times a phase transition done in process with GitKit against the same steps run with the git command line.
///
/// The transition: create a branch from `main` and check it out, write an agent's changes (modify 5 files,
/// add 2), commit the working tree, squash-merge into `main`, check out `main`, delete the branch. The squash
/// step is also reported alone, to show that its cost does not grow with the workspace (fast path).
enum GitBench {
    /// Workspace sizes and how many timed iterations each gets (after one untimed warm-up).
    static let scenarios: [(files: Int, iterations: Int)] = [(100, 15), (10_000, 5)]

    static func run() throws {
        print("## git: phase transition, GitKit (in process) vs git command line (posix_spawn)")
        print("")
        print("transition = create branch + checkout, modify 5 files + add 2, commit, squash into main,")
        print("checkout main, delete branch. git steps = the transition minus the agent's file writes.")
        print("squash = GitKit squashMerge (HEAD on the branch) vs `git merge --squash` + `git commit`")
        print("(HEAD on main). Medians.")
        print("")
        print(row("files", "runs", "step", "GitKit", "git CLI", "CLI/GitKit"))
        for scenario in scenarios {
            let root = FileManager.default.temporaryDirectory
                .appendingPathComponent("tollgate-bench-\(UUID().uuidString.prefix(8))", isDirectory: true)
            defer { try? FileManager.default.removeItem(at: root) }
            let inProcess = try inProcessSide(at: root.appendingPathComponent("gitkit"), files: scenario.files)
            let commandLine = try commandLineSide(at: root.appendingPathComponent("cli"), files: scenario.files)
            var ours = Timings()
            var theirs = Timings()
            // The sides take turns, and swap who goes first, so both see the same machine load.
            for iteration in 0...scenario.iterations {
                let first = iteration.isMultiple(of: 2) ? inProcess : commandLine
                let second = iteration.isMultiple(of: 2) ? commandLine : inProcess
                let firstSample = try first(iteration)
                let secondSample = try second(iteration)
                guard iteration > 0 else { continue }  // iteration 0 warms caches
                let (oursSample, theirsSample) =
                    iteration.isMultiple(of: 2) ? (firstSample, secondSample) : (secondSample, firstSample)
                ours.record(oursSample)
                theirs.record(theirsSample)
            }
            for (step, gitKit, cli) in [
                ("transition", ours.transition, theirs.transition),
                ("git steps", ours.gitSteps, theirs.gitSteps),
                ("squash", ours.squash, theirs.squash),
            ] {
                let ratio = median(cli) / median(gitKit)
                print(
                    row(
                        "\(scenario.files)",
                        "\(scenario.iterations)",
                        step,
                        milliseconds(median(gitKit)),
                        milliseconds(median(cli)),
                        String(format: "%.1f×", ratio)
                    )
                )
            }
        }
        print("")
    }

    // MARK: - The two sides

    /// One timed transition.
    struct Sample {
        /// The whole transition.
        var transition: Duration
        /// The part spent writing the agent's files (the same work on both sides).
        var writes: Duration
        /// The squash step.
        var squash: Duration
    }

    /// Durations in seconds, one per timed iteration.
    struct Timings {
        /// The whole transition, the agent's file writes included.
        var transition: [Double] = []
        /// The transition without the agent's file writes: the git work alone.
        var gitSteps: [Double] = []
        /// The squash step alone.
        var squash: [Double] = []

        mutating func record(_ sample: Sample) {
            transition.append(GitBench.seconds(sample.transition))
            gitSteps.append(GitBench.seconds(sample.transition - sample.writes))
            squash.append(GitBench.seconds(sample.squash))
        }
    }

    static let author = Signature(name: "Bench Agent", email: "agent@example.com")

    /// Sets up a workspace for GitKit; returns one transition, run on a single long-lived `Repository`.
    static func inProcessSide(at directory: URL, files: Int) throws -> (Int) throws -> Sample {
        let repository = try Repository.create(at: directory)
        try writeWorkspace(at: directory, files: files)
        _ = try repository.commitWorkingTree(message: "Initial workspace", author: author, committer: author)
        return { iteration in
            let branch = "phase-\(iteration + 1)-tactical"
            let start = ContinuousClock.now
            guard let main = try repository.branchTip("main") else { throw BenchError("main has no commit") }
            try repository.createBranch(branch, at: main)
            try repository.checkout(branch: branch)
            let writesStart = ContinuousClock.now
            try writeAgentChanges(at: directory, files: files, iteration: iteration)
            let writes = ContinuousClock.now - writesStart
            _ = try repository.commitWorkingTree(message: "Agent work", author: author, committer: author)
            let squashStart = ContinuousClock.now
            let result = try repository.squashMerge(
                branch: branch,
                into: "main",
                message: "Phase \(iteration + 1) (tactical): bench",
                author: author,
                committer: author
            )
            let squashEnd = ContinuousClock.now
            guard case .merged = result else { throw BenchError("squash merge gave \(result)") }
            try repository.checkout(branch: "main")
            try repository.deleteBranch(branch)
            return Sample(transition: ContinuousClock.now - start, writes: writes, squash: squashEnd - squashStart)
        }
    }

    /// Sets up a workspace for the git command line; returns one transition, one git process per step.
    static func commandLineSide(at directory: URL, files: Int) throws -> (Int) throws -> Sample {
        let git = CommandLineGit(directory: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try git.run("init", "-q", "-b", "main")
        try writeWorkspace(at: directory, files: files)
        try git.run("add", "-A")
        try git.run("commit", "-q", "-m", "Initial workspace")
        return { iteration in
            let branch = "phase-\(iteration + 1)-tactical"
            let start = ContinuousClock.now
            try git.run("checkout", "-q", "-b", branch, "main")
            let writesStart = ContinuousClock.now
            try writeAgentChanges(at: directory, files: files, iteration: iteration)
            let writes = ContinuousClock.now - writesStart
            try git.run("add", "-A")
            try git.run("commit", "-q", "-m", "Agent work")
            try git.run("checkout", "-q", "main")
            let squashStart = ContinuousClock.now
            try git.run("merge", "-q", "--squash", branch)
            try git.run("commit", "-q", "-m", "Phase \(iteration + 1) (tactical): bench")
            let squashEnd = ContinuousClock.now
            try git.run("branch", "-q", "-D", branch)
            return Sample(transition: ContinuousClock.now - start, writes: writes, squash: squashEnd - squashStart)
        }
    }

    // MARK: - Workspace contents (the same for both sides)

    /// The relative path of file number `index`: 100 files per directory.
    static func filePath(_ index: Int) -> String {
        String(format: "src/d%03d/file%05d.txt", index / 100, index)
    }

    /// Writes the initial workspace of `files` small text files.
    static func writeWorkspace(at directory: URL, files: Int) throws {
        for index in 0..<files {
            try writeFile(
                "file \(index)\n" + String(repeating: "line of text\n", count: 10),
                to: filePath(index),
                in: directory
            )
        }
    }

    /// An agent's work in one phase: modifies five existing files and adds two new ones.
    static func writeAgentChanges(at directory: URL, files: Int, iteration: Int) throws {
        for offset in 0..<5 {
            let index = (iteration * 5 + offset) * 7 % files
            try writeFile("file \(index), phase \(iteration)\n", to: filePath(index), in: directory)
        }
        try writeFile("plan for phase \(iteration)\n", to: "notes/phase-\(iteration)-plan.md", in: directory)
        try writeFile("output of phase \(iteration)\n", to: "out/phase-\(iteration).txt", in: directory)
    }

    /// Writes a file the way an agent's tools usually do (open, truncate, write, close; no fsync).
    ///
    /// Foundation's `Data.write(to:)` calls fsync on Linux, which would add disk latency unrelated to git.
    static func writeFile(_ text: String, to relative: String, in directory: URL) throws {
        let url = directory.appendingPathComponent(relative)
        var descriptor = open(url.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if descriptor < 0, errno == ENOENT {
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(),
                withIntermediateDirectories: true
            )
            descriptor = open(url.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        }
        guard descriptor >= 0 else { throw BenchError("cannot write \(relative): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        let bytes = Array(text.utf8)
        guard write(descriptor, bytes, bytes.count) == bytes.count else {
            throw BenchError("short write to \(relative)")
        }
    }

    // MARK: - Figures

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    static func seconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }

    static func milliseconds(_ seconds: Double) -> String {
        String(format: "%.2f ms", seconds * 1000)
    }

    static func row(_ cells: String...) -> String {
        let widths = [7, 6, 12, 12, 12, 10]
        return zip(cells, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: " ")
    }
}

/// A failed benchmark step.
struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
