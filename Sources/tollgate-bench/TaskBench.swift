import Foundation
import GitKit

/// Times the engine's cost per task of a dispatched plan (issue 11): a linked worktree on a new task branch, an
/// agent's one-file change committed there, the landing on the phase branch, and the worktree removed; GitKit in
/// process against the git command line doing the same (`git worktree add -b`, `add` + `commit` in the worktree,
/// `git merge --squash` + `commit` on the phase branch, `git worktree remove`, `git branch -D`).
///
/// The landing is also reported alone, to show that its cost does not grow with the workspace. As the engine's
/// dispatch does, GitKit's side keeps a removed worktree's files as a spare for the next one (``WorktreeSpares``), so
/// a task's worktree writes only the files that differ, and lands with the main working tree left behind (the branch
/// alone moves); the working tree catches up once after the dispatch's last landing, timed apart and counted in the
/// task's figure shared out over the tasks. The command line checks each worktree out whole and moves the main
/// working tree at every landing, as `git merge --squash` does.
enum TaskBench {
    static let scenarios: [(files: Int, iterations: Int)] = [(100, 15), (10_000, 5)]

    static func run() throws {
        print("## task: one dispatched task, GitKit (in process) vs git command line (posix_spawn)")
        print("")
        print("task = worktree add on a new branch, write 1 file, commit in the worktree, land on the phase")
        print("branch (HEAD there), remove the worktree and its branch; GitKit's figure includes its share of the")
        print("one catch-up of the main working tree after the last landing. landing = GitKit land (three-way,")
        print("the phase moved since the task began, the branch alone moving) vs `git merge --squash` + `git")
        print("commit`. Medians; catch-up once for all the run's landings.")
        print("")
        print(GitBench.row("files", "runs", "step", "GitKit", "git CLI", "CLI/GitKit"))
        for scenario in scenarios {
            let root = FileManager.default.temporaryDirectory
                .appendingPathComponent("tollgate-bench-\(UUID().uuidString.prefix(8))", isDirectory: true)
            defer { try? FileManager.default.removeItem(at: root) }
            let (inProcess, catchUp) = try inProcessSide(
                at: root.appendingPathComponent("gitkit"),
                files: scenario.files
            )
            let commandLine = try commandLineSide(at: root.appendingPathComponent("cli"), files: scenario.files)
            var ours: (task: [Double], landing: [Double]) = ([], [])
            var theirs: (task: [Double], landing: [Double]) = ([], [])
            // The sides take turns, and swap who goes first, so both see the same machine load.
            for iteration in 0...scenario.iterations {
                let gitKitFirst = iteration.isMultiple(of: 2)
                let first = try (gitKitFirst ? inProcess : commandLine)(iteration)
                let second = try (gitKitFirst ? commandLine : inProcess)(iteration)
                guard iteration > 0 else { continue }  // iteration 0 warms caches
                let (gitKit, cli) = gitKitFirst ? (first, second) : (second, first)
                ours.task.append(GitBench.seconds(gitKit.task))
                ours.landing.append(GitBench.seconds(gitKit.landing))
                theirs.task.append(GitBench.seconds(cli.task))
                theirs.landing.append(GitBench.seconds(cli.landing))
            }
            let caughtUp = GitBench.seconds(try catchUp())
            let share = caughtUp / Double(scenario.iterations)
            for (step, gitKit, cli) in [
                ("task", GitBench.median(ours.task) + share, GitBench.median(theirs.task)),
                ("landing", GitBench.median(ours.landing), GitBench.median(theirs.landing)),
            ] {
                print(
                    GitBench.row(
                        "\(scenario.files)",
                        "\(scenario.iterations)",
                        step,
                        GitBench.milliseconds(gitKit),
                        GitBench.milliseconds(cli),
                        String(format: "%.1f×", cli / gitKit)
                    )
                )
            }
            print(GitBench.row("\(scenario.files)", "1", "catch-up", GitBench.milliseconds(caughtUp), "-", "-"))
        }
        print("")
    }

    /// One timed task.
    struct Sample {
        var task: Duration
        var landing: Duration
    }

    static let author = GitBench.author

    /// A workspace whose HEAD is on `phase`, for GitKit; returns one task, run on a single long-lived `Repository`,
    /// and the catch-up of the main working tree after the last.
    ///
    /// Before each task's landing the phase branch gets another commit, as when a sibling task landed meanwhile (it
    /// is one, untimed), so the landing is a real three-way merge.
    static func inProcessSide(
        at directory: URL,
        files: Int
    ) throws -> (task: (Int) throws -> Sample, catchUp: () throws -> Duration) {
        let repository = try Repository.create(at: directory)
        try GitBench.writeWorkspace(at: directory, files: files)
        _ = try repository.commitWorkingTree(message: "Initial workspace", author: author, committer: author)
        guard let main = try repository.branchTip("main") else { throw BenchError("main has no commit") }
        try repository.createBranch("phase", at: main)
        try repository.checkout(branch: "phase")
        // As the engine's workspace: new objects written a pack at each reference update, the packs consolidated.
        try repository.packNewObjects()
        // As the engine does: a finished task's worktree files wait for the next task's.
        let spares = WorktreeSpares(folder: directory.appendingPathComponent(".git/tollgate/worktree-spares"), limit: 4)
        /// Starts task `name` at the phase's tip: its worktree, its file, its commit. Returns where it started.
        func start(_ name: String, file: String) throws -> OID {
            let path = directory.appendingPathComponent(".git/tollgate/worktrees/\(name)")
            guard let tip = try repository.branchTip("phase") else { throw BenchError("phase has no commit") }
            try repository.addWorktree(name: name, at: path, branch: name, from: tip, reusing: spares)
            let task = try Repository.open(at: path)
            try GitBench.writeFile("\(name)\n", to: file, in: path)
            _ = try task.commitWorkingTree(message: "Task work", author: author, committer: author)
            return tip
        }
        func land(_ name: String, startedAt tip: OID) throws {
            let result = try repository.land(
                branch: name,
                startedAt: tip,
                onto: "phase",
                message: "Task \(name): bench",
                trailerKey: "Tollgate-Task",
                trailerValue: name,
                author: author,
                committer: author,
                leavingWorkingTree: true
            )
            guard case .landed = result else { throw BenchError("landing gave \(result)") }
        }
        func finish(_ name: String) throws {
            try repository.removeWorktree(name, keepingFilesIn: spares)
            try repository.deleteBranch(name)
        }
        let task = { (iteration: Int) throws -> Sample in
            let name = "phase-task-\(iteration)"
            let clock = ContinuousClock.now
            let tip = try start(name, file: "tasks/task-\(iteration).txt")
            let elapsed = ContinuousClock.now - clock
            let sibling = "phase-sibling-\(iteration)"
            try land(sibling, startedAt: try start(sibling, file: "siblings/sibling-\(iteration).txt"))
            try finish(sibling)
            let landingStart = ContinuousClock.now
            try land(name, startedAt: tip)
            let landing = ContinuousClock.now - landingStart
            try finish(name)
            return Sample(task: elapsed + (ContinuousClock.now - landingStart), landing: landing)
        }
        let catchUp = { () throws -> Duration in
            let clock = ContinuousClock.now
            guard try repository.catchUpWorkingTree() == .caughtUp else {
                throw BenchError("the working tree was not behind")
            }
            let elapsed = ContinuousClock.now - clock
            guard try !repository.hasUncommittedChanges() else { throw BenchError("the catch-up left changes") }
            return elapsed
        }
        return (task, catchUp)
    }

    /// The same workspace for the git command line; one git process per step.
    static func commandLineSide(at directory: URL, files: Int) throws -> (Int) throws -> Sample {
        let git = CommandLineGit(directory: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try git.run("init", "-q", "-b", "main")
        try GitBench.writeWorkspace(at: directory, files: files)
        try git.run("add", "-A")
        try git.run("commit", "-q", "-m", "Initial workspace")
        try git.run("checkout", "-q", "-b", "phase")
        return { iteration in
            let name = "phase-task-\(iteration)"
            let path = directory.appendingPathComponent(".git/tollgate/worktrees/\(name)")
            let start = ContinuousClock.now
            try git.run("worktree", "add", "-q", "-b", name, path.path, "phase")
            let task = CommandLineGit(directory: path)
            try GitBench.writeFile("task \(iteration)\n", to: "tasks/task-\(iteration).txt", in: path)
            try task.run("add", "-A")
            try task.run("commit", "-q", "-m", "Task work")
            let elapsed = ContinuousClock.now - start
            try sibling(iteration, in: directory) {
                try git.run("add", "-A")
                try git.run("commit", "-q", "-m", "Sibling")
            }
            let landingStart = ContinuousClock.now
            try git.run("merge", "-q", "--squash", name)
            try git.run("commit", "-q", "-m", "Task \(iteration): bench")
            let landing = ContinuousClock.now - landingStart
            try git.run("worktree", "remove", "--force", path.path)
            try git.run("branch", "-q", "-D", name)
            return Sample(task: elapsed + (ContinuousClock.now - landingStart), landing: landing)
        }
    }

    /// Untimed: a sibling task's change lands on the phase branch while this task runs.
    static func sibling(_ iteration: Int, in directory: URL, commit: () throws -> Void) throws {
        try GitBench.writeFile("sibling \(iteration)\n", to: "siblings/sibling-\(iteration).txt", in: directory)
        try commit()
    }
}
