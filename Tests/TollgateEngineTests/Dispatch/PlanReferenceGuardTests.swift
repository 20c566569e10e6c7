import Foundation
import Synchronization
import Testing
import TollgateCore
import TollgateEngine
import TollgateTestSupport

/// The references only the engine moves while a plan is dispatched (DESIGN §10): a task's agent that moves the phase
/// branch or another task's branch has it put back, what it left kept under the quarantine, and its task failed with
/// the reference and both commits named; the landings go on from where the engine left the phase branch.
@Suite(.runsProcesses)
struct PlanReferenceGuardTests {
    /// A latch a task's agent waits on until another task's agent opens it: the order of two agents without a sleep.
    final class Latch: Sendable {
        private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

        func open() {
            let waiters = state.withLock { state in
                state.open = true
                defer { state.waiters = [] }
                return state.waiters
            }
            for waiter in waiters { waiter.resume() }
        }

        func wait() async {
            await withCheckedContinuation { continuation in
                let open = state.withLock { state in
                    if !state.open { state.waiters.append(continuation) }
                    return state.open
                }
                if open { continuation.resume() }
            }
        }
    }

    /// The job's main worktree, from a task's worktree (`<root>/.git/tollgate/worktrees/<name>`).
    static func root(of worktree: URL) -> URL {
        worktree.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    /// Runs a diamond one task at a time, `b`'s agent doing `act`, to the freeze of the failed plan.
    static func diamond(
        _ label: String,
        b act: @escaping @Sendable (URL) async throws -> Void
    ) async throws -> (LocalJob, PlanAgentRunner) {
        var behaviours = DispatchTests.diamondBehaviours
        behaviours["b"] = .init(requires: ["tasks/a.txt"], act: act)
        let agent = PlanAgentRunner(plan: DispatchTests.diamond, tasks: behaviours)
        let job = try await LocalJob(
            label,
            autonomy: .full,
            assignments: ["dispatch.maxParallel=1"],
            runner: agent
        )
        #expect(try await job.run().isFrozen, "a failed plan freezes at full autonomy")
        return (job, agent)
    }

    @Test func anAgentThatMovesThePhaseBranchFailsItsTaskAndTheBranchIsPutBack() async throws {
        let (job, agent) = try await Self.diamond("guard-phase-moved") { worktree in
            // Back to main's tip: the landing of `a` would be dropped.
            try await GitCLI.run(["update-ref", "refs/heads/phase-2-tactical", "main"], in: worktree)
        }
        let plan = try #require(try job.state.plan)
        #expect(plan.states == ["a": .done, "b": .error, "c": .done, "d": .blocked])
        let failure = try #require(plan.task("b")?.failure)
        let landedA = try #require(plan.task("a")?.commit)
        let main = try await job.git(["rev-parse", "main"])
        #expect(failure.hasPrefix("the agent changed the plan's branches: "), "\(failure)")
        #expect(
            failure.contains(
                "moved phase-2-tactical from \(landedA.prefix(10)) (where tollgate left it) to "
                    + "\(main.prefix(10))"
            ),
            "\(failure)"
        )
        #expect(failure.contains("refs/tollgate/quarantine/task-b/"))
        #expect(job.progress.contains { $0.contains("while the agent of task b ran") && $0.contains("Fix the agent") })
        // The commit found is kept; the phase branch holds a and c on top of each other, nothing of main's reset.
        #expect(try await job.git(["rev-parse", "refs/tollgate/quarantine/task-b/heads/phase-2-tactical"]) == main)
        let subjects = try await job.git(["log", "--format=%s", "main..phase-2-tactical"]).split(separator: "\n")
        #expect(subjects.filter { $0.hasPrefix("Task ") }.sorted() == ["Task a: Do a", "Task c: Do c"])
        let tip = try #require(plan.phaseTip)
        #expect(
            try await GitCLI.runAllowingFailure(["merge-base", "--is-ancestor", tip, "phase-2-tactical"], in: job.root)
                .status
                == 0
        )
        #expect(try await job.git(["status", "--porcelain"]).isEmpty)
        #expect(agent.runCount(of: "d") == 0)
        #expect(
            try job.state.freezeReason?.description.contains("task `b` failed: the agent changed the plan's branches")
                == true
        )
    }

    @Test func anAgentThatCommitsInTheMainWorkingTreeHasItsCommitAndFilesTakenBack() async throws {
        let (job, _) = try await Self.diamond("guard-main-tree-commit") { worktree in
            let root = Self.root(of: worktree)
            try PlanAgentRunner.write("not reviewed\n", to: "hostile.txt", in: root)
            try await GitCLI.run(["add", "hostile.txt"], in: root)
            try await GitCLI.run(["commit", "-q", "-m", "hostile"], in: root)
        }
        let plan = try #require(try job.state.plan)
        #expect(plan.states["b"] == .error)
        #expect(plan.states["c"] == .done)
        #expect(!FileManager.default.fileExists(atPath: job.root.appendingPathComponent("hostile.txt").path))
        #expect(try await job.git(["status", "--porcelain"]).isEmpty)
        #expect(
            try await GitCLI.runAllowingFailure(["show", "phase-2-tactical:hostile.txt"], in: job.root).status != 0,
            "the hostile file reached the phase branch"
        )
        let kept = try await job.git(["show", "refs/tollgate/quarantine/task-b/heads/phase-2-tactical:hostile.txt"])
        #expect(kept == "not reviewed")
    }

    @Test func anAgentThatMovesAnotherTasksBranchOrMakesOneBeforeItsTaskStartsIsCaught() async throws {
        let (job, _) = try await Self.diamond("guard-task-branches") { worktree in
            // a has landed: its branch is the engine's. d has not started: it must have no branch yet.
            try await GitCLI.run(["update-ref", "refs/heads/phase-2-tactical-task-a", "main"], in: worktree)
            try await GitCLI.run(["branch", "phase-2-tactical-task-d", "main"], in: worktree)
            // A branch named like a task's that is no task's: the task's own guard.
            try await GitCLI.run(["branch", "phase-2-tactical-task-zz", "main"], in: worktree)
        }
        let plan = try #require(try job.state.plan)
        #expect(plan.states["b"] == .error)
        let failure = try #require(plan.task("b")?.failure)
        #expect(failure.contains("moved phase-2-tactical-task-a from"), "\(failure)")
        #expect(failure.contains("created phase-2-tactical-task-d at"), "\(failure)")
        #expect(failure.contains("created phase-2-tactical-task-zz at"), "\(failure)")
        #expect(try await job.git(["rev-parse", "phase-2-tactical-task-a"]) == plan.task("a")?.tip)
        #expect(try await job.git(["branch", "--list", "phase-2-tactical-task-d", "phase-2-tactical-task-zz"]).isEmpty)
    }

    @Test func anAgentThatSwitchesTheMainWorkingTreeToAnotherBranchFailsItsTask() async throws {
        let (job, _) = try await Self.diamond("guard-main-head") { worktree in
            try await GitCLI.run(["checkout", "-q", "main"], in: Self.root(of: worktree))
        }
        let plan = try #require(try job.state.plan)
        #expect(plan.states == ["a": .done, "b": .error, "c": .done, "d": .blocked])
        let failure = try #require(plan.task("b")?.failure)
        #expect(failure.contains("left the main working tree's HEAD on main instead of phase-2-tactical"), "\(failure)")
        #expect(try await job.git(["symbolic-ref", "HEAD"]) == "refs/heads/phase-2-tactical")
    }

    @Test func anAgentThatRewindsTheJobsStateHasItPutBackAndItsTaskFails() async throws {
        let (job, agent) = try await Self.diamond("guard-state-rewound") { worktree in
            try await GitCLI.run(
                ["update-ref", "refs/heads/tollgate/state", "refs/heads/tollgate/state~3"],
                in: worktree
            )
        }
        let plan = try #require(try job.state.plan)
        #expect(plan.states == ["a": .done, "b": .error, "c": .done, "d": .blocked])
        #expect(plan.task("b")?.failure?.contains("moved tollgate/state from") == true, "\(plan)")
        #expect(agent.runCount(of: "a") == 1 && agent.runCount(of: "c") == 1, "a task ran again on a rewound state")
        #expect(
            try await job.git(["rev-parse", "refs/tollgate/quarantine/task-b/heads/tollgate/state"])
                != job.git(["rev-parse", "tollgate/state"])
        )
    }

    @Test func whenSeveralAgentsRanEachOfTheirTasksFailsAndOneStartedLaterDoesNot() async throws {
        // b and c run at once; c's agent ends only after e started, which is after b's end was recorded.
        let latch = Latch()
        let erased = Mutex(false)
        let plan = DispatchTests.plan(["b", "c", "e"])
        let agent = PlanAgentRunner(
            plan: plan,
            tasks: [
                "b": .init(act: { worktree in
                    let stray = try await GitCLI.run(
                        ["commit-tree", "-p", "main", "-m", "stray", "main^{tree}"],
                        in: worktree
                    )
                    try await GitCLI.run(["update-ref", "refs/heads/phase-2-tactical", stray], in: worktree)
                }),
                "c": .init(act: { worktree in
                    await latch.wait()
                    // Blamed by now: its agent tries to escape by deleting what tollgate wrote.
                    let blame = Self.root(of: worktree).appendingPathComponent(
                        ".git/tollgate/tasks/phase-2-tactical/c/blame.txt"
                    )
                    if (try? FileManager.default.removeItem(at: blame)) != nil { erased.withLock { $0 = true } }
                }),
                "e": .init(act: { _ in latch.open() }),
            ]
        )
        let job = try await LocalJob(
            "guard-several-suspects",
            autonomy: .full,
            assignments: ["dispatch.maxParallel=2"],
            runner: agent
        )
        #expect(try await job.run().isFrozen)
        let record = try #require(try job.state.plan)
        #expect(record.states == ["b": .error, "c": .error, "e": .done])
        #expect(erased.withLock { $0 }, "c's agent found no blame to delete")
        for id in ["b", "c"] {
            let failure = try #require(record.task(id)?.failure)
            #expect(
                failure.contains("the agents of tasks b, c changed the plan's branches (tollgate cannot tell which)"),
                "\(failure)"
            )
        }
        let subjects = try await job.git(["log", "--format=%s", "main..phase-2-tactical"]).split(separator: "\n")
        #expect(subjects.filter { $0.hasPrefix("Task ") } == ["Task e: Do e"])
    }

    @Test func aFileInTheWayOfWhatLandedIsLeftNamedAndTheRestCatchesUp() async throws {
        var behaviours = DispatchTests.diamondBehaviours
        behaviours["b"] = .init(
            requires: ["tasks/a.txt"],
            act: { worktree in
                // d's file, in the main working tree, before d lands it.
                try PlanAgentRunner.write("not d's\n", to: "tasks/d.txt", in: Self.root(of: worktree))
            }
        )
        let agent = PlanAgentRunner(plan: DispatchTests.diamond, tasks: behaviours)
        let job = try await LocalJob("guard-in-the-way", autonomy: .full, runner: agent)
        let result = try await job.run()
        guard case .failed(let cause) = result else {
            Issue.record("expected the catch-up to stop, got \(result)")
            return
        }
        #expect(
            cause.contains("in the way of what the plan's tasks landed on phase-2-tactical: tasks/d.txt"),
            "\(cause)"
        )
        #expect(try job.state.plan?.states == ["a": .done, "b": .done, "c": .done, "d": .done])
        let file = job.root.appendingPathComponent("tasks/d.txt")
        #expect(try String(contentsOf: file, encoding: .utf8) == "not d's\n", "the file is left as it was")
        for id in ["a", "b", "c"] {
            #expect(FileManager.default.fileExists(atPath: job.root.appendingPathComponent("tasks/\(id).txt").path))
        }

        // Moved away, the run goes on with d's file in its place; nothing of the stranger's reached a branch.
        try FileManager.default.removeItem(at: file)
        #expect(try await job.run() == .completed)
        #expect(try await job.git(["show", "main:tasks/d.txt"]) == "task d done")
        #expect(try await job.git(["status", "--porcelain"]).isEmpty)
    }

    @Test func filesAnAgentLeavesInTheMainWorkingTreeStopTheVerificationAndAreNeverCommitted() async throws {
        var behaviours = DispatchTests.diamondBehaviours
        behaviours["b"] = .init(
            requires: ["tasks/a.txt"],
            act: { worktree in
                let root = Self.root(of: worktree)
                try PlanAgentRunner.write("junk\n", to: "junk.txt", in: root)
                try PlanAgentRunner.write("changed\n", to: "workspace.md", in: root)
            }
        )
        let agent = PlanAgentRunner(plan: DispatchTests.diamond, tasks: behaviours)
        let job = try await LocalJob("guard-stray-files", autonomy: .full, runner: agent)
        let result = try await job.run()
        guard case .failed(let cause) = result else {
            Issue.record("expected the verification to stop, got \(result)")
            return
        }
        #expect(cause.contains("has changes no task committed: junk.txt, workspace.md"), "\(cause)")
        #expect(cause.contains("stash -u"))
        #expect(try job.state.plan?.states == ["a": .done, "b": .done, "c": .done, "d": .done])
        #expect(try await job.git(["status", "--porcelain"]).contains("junk.txt"), "the files are left where they are")

        // Removed, the verification goes on; nothing of them reached a branch.
        try await job.git(["checkout", "--", "workspace.md"])
        try FileManager.default.removeItem(at: job.root.appendingPathComponent("junk.txt"))
        #expect(try await job.run() == .completed)
        #expect(try await GitCLI.runAllowingFailure(["show", "main:junk.txt"], in: job.root).status != 0)
        await #expect(!(try job.git(["show", "main:workspace.md"]).contains("changed")))
    }
}
