import Foundation
import GitKit
import Synchronization
import Testing
import TollgateCore
import TollgateEngine
import TollgateTestSupport

/// DESIGN §10 in process: the tactical phase after a plan dispatches one agent a todo, each in its own worktree,
/// lands each as one commit, and records every step; failures, conflicts and blocked tasks freeze the boundary.
@Suite(.runsProcesses)
struct DispatchTests {
    /// `a`; `b` and `c` after `a`; `d` after `b` and `c`.
    static let diamond = """
        todos:
          - id: a
            title: Lay the ground
          - id: b
            title: Build the left side
            dependsOn: [a]
          - id: c
            title: Build the right side
            dependsOn: [a]
            details: |
              Mirror the left side.
          - id: d
            title: Join both sides
            dependsOn: [b, c]

        """

    /// A plan of `ids` in that order, each titled by its id upper-cased, with `dependencies` by id.
    static func plan(_ ids: [String], dependencies: [String: [String]] = [:]) -> String {
        "todos:\n"
            + ids.map { id in
                "  - id: \(id)\n    title: \(id.uppercased())\n"
                    + (dependencies[id].map { "    dependsOn: [\($0.joined(separator: ", "))]\n" } ?? "")
            }.joined()
    }

    static let diamondBehaviours: [String: PlanAgentRunner.Behaviour] = [
        "a": .init(),
        "b": .init(duration: .milliseconds(400), requires: ["tasks/a.txt"]),
        "c": .init(duration: .milliseconds(400), requires: ["tasks/a.txt"]),
        "d": .init(requires: ["tasks/a.txt", "tasks/b.txt", "tasks/c.txt"]),
    ]

    /// Runs the job to the freeze after its tactical phase 2 (autonomy dependent: phase 1 is approved first).
    static func toTacticalFreeze(_ job: LocalJob) async throws -> JobSession.Result {
        #expect(try await job.run().isFrozen)
        try job.review(.approve)
        return try await job.resume()
    }

    @Test func aDiamondRunsTheMiddleTasksAtOnceAndTheLastOneAfterBothLanded() async throws {
        // While d runs, a, b and c have landed on the phase branch; the main working tree has not followed.
        let seenByD = Mutex<(files: [String], behindRecord: Bool)?>(nil)
        var behaviours = Self.diamondBehaviours
        behaviours["d"]?.act = { worktree in
            let root = PlanReferenceGuardTests.root(of: worktree)
            let files = ["a", "b", "c"].filter {
                FileManager.default.fileExists(atPath: root.appendingPathComponent("tasks/\($0).txt").path)
            }
            let record = root.appendingPathComponent(".git/tollgate/working-tree-behind").path
            seenByD.withLock { $0 = (files, FileManager.default.fileExists(atPath: record)) }
        }
        let agent = PlanAgentRunner(plan: Self.diamond, tasks: behaviours)
        let job = try await LocalJob(
            "dispatch-diamond",
            autonomy: .dependent,
            assignments: ["dispatch.maxParallel=3"],
            runner: agent
        )
        let result = try await Self.toTacticalFreeze(job)
        #expect(result.isFrozen)
        let state = try job.state
        #expect(state.phase == PhaseRef(number: 2, type: .tactical))
        let plan = try #require(state.plan)
        #expect(plan.status == .verified)
        #expect(plan.tasks.map(\.state) == [.done, .done, .done, .done])
        #expect(plan.tasks.allSatisfy { $0.failure == nil })

        // b and c overlap; d starts after both ended and landed.
        let runs = Dictionary(agent.taskRuns.map { ($0.task ?? "", $0) }, uniquingKeysWith: { first, _ in first })
        let b = try #require(runs["b"])
        let c = try #require(runs["c"])
        let d = try #require(runs["d"])
        #expect(b.started < c.ended && c.started < b.ended, "b and c did not run at the same time")
        #expect(d.started > b.ended && d.started > c.ended)
        let dStart = try #require(plan.task("d")?.startPoint)
        for id in ["a", "b", "c"] {
            let landed = try #require(plan.task(id)?.commit)
            #expect(
                try await GitCLI.runAllowingFailure(["merge-base", "--is-ancestor", landed, dStart], in: job.root)
                    .status == 0
            )
        }
        for id in ["a", "b", "c", "d"] { #expect(agent.runCount(of: id) == 1) }

        // One commit a task on the phase branch, `Task <id>: <summary>` with its trailer.
        let subjects = try await job.git(["log", "--format=%s", "main..phase-2-tactical"]).split(separator: "\n")
        #expect(
            subjects.filter { $0.hasPrefix("Task ") }.sorted() == [
                "Task a: Do a", "Task b: Do b", "Task c: Do c", "Task d: Do d",
            ]
        )
        let trailers = try await job.git([
            "log", "--format=%(trailers:key=Tollgate-Task,valueonly)", "main..phase-2-tactical",
        ])
        #expect(trailers.split(separator: "\n").sorted() == ["a", "b", "c", "d"])
        // Each landing moved the phase branch alone (its cost does not grow with the workspace); the main working
        // tree caught up once, after the last one. The worktrees are gone.
        let seen = try #require(seenByD.withLock { $0 })
        #expect(seen.files.isEmpty && seen.behindRecord, "\(seen)")
        #expect(
            !FileManager.default.fileExists(
                atPath: job.root.appendingPathComponent(".git/tollgate/working-tree-behind").path
            )
        )
        for id in ["a", "b", "c", "d"] {
            #expect(FileManager.default.fileExists(atPath: job.root.appendingPathComponent("tasks/\(id).txt").path))
        }
        #expect(try await job.git(["worktree", "list"]).split(separator: "\n").count == 1)
        #expect(try await job.git(["status", "--porcelain"]).isEmpty)

        // The task agents' environment and brief.
        let cEnvironment = c.environment
        #expect(cEnvironment["TOLLGATE_MODE"] == "task")
        #expect(cEnvironment["TOLLGATE_TASK"] == "c")
        #expect(cEnvironment["TOLLGATE_TASK_TITLE"] == "Build the right side")
        #expect(cEnvironment["TOLLGATE_BRANCH"] == "phase-2-tactical-task-c")
        #expect(cEnvironment["TOLLGATE_PHASE_BRANCH"] == "phase-2-tactical")
        #expect(c.directory.path.hasSuffix(".git/tollgate/worktrees/phase-2-tactical-task-c"))
        let brief = try String(contentsOfFile: try #require(cEnvironment["TOLLGATE_BRIEF"]), encoding: .utf8)
        #expect(brief.contains("Build the right side") && brief.contains("Mirror the left side."))
        #expect(brief.contains("- `a` Lay the ground (landed as"))

        // The evidence.
        let types = try job.events.map(\.type.rawValue)
        for (type, count) in [
            ("plan.created", 1), ("plan.dispatched", 1), ("task.started", 4), ("task.finished", 4),
            ("task.merged", 4), ("plan.completed", 1), ("plan.verified", 1),
        ] {
            #expect(types.filter { $0 == type }.count == count, "\(type)")
        }

        // Approved: the phase lands with its retrospective, the task branches go, the job goes on.
        try job.review(.approve)
        #expect(try await job.resume().isFrozen)
        #expect(try await job.git(["branch", "--list", "phase-2-tactical*"]).isEmpty)
        let retrospective = try await job.git(["show", "main:archive/phase-2-tactical.md"])
        #expect(retrospective.contains("`d` Join both sides — done: Do d"))
        #expect(
            try await job.git(["log", "-1", "--format=%s", "main"])
                == "Phase 2 (tactical): Carry out the plan: 4 of 4 tasks landed"
        )
    }

    @Test func readyTasksStartByPriorityThenFileOrder() async throws {
        let plan = """
            todos:
              - id: x
                title: X
                priority: 2
              - id: y
                title: Y
              - id: z
                title: Z
                priority: 1
              - id: w
                title: W
                priority: 1

            """
        let agent = PlanAgentRunner(plan: plan)
        let job = try await LocalJob(
            "dispatch-order",
            autonomy: .full,
            assignments: ["dispatch.maxParallel=1"],
            runner: agent
        )
        #expect(try await job.run() == .completed)
        #expect(agent.taskRuns.map(\.task) == ["z", "w", "x", "y"])
        #expect(try job.state.plan?.status == .verified)
    }

    @Test func aConflictKeepsTheTaskBranchBlocksItsDependentsAndFreezesAtFullAutonomy() async throws {
        let plan = """
            todos:
              - id: p
                title: P
              - id: q
                title: Q
              - id: r
                title: R
                dependsOn: [q]
              - id: s
                title: S

            """
        let agent = PlanAgentRunner(
            plan: plan,
            tasks: [
                "p": .init(files: ["shared.txt": "from p\n"]),
                // q ends only once p has landed, so q is the one that conflicts whatever the load.
                "q": .init(
                    files: ["shared.txt": "from q\n"],
                    act: { worktree in try await Self.waitForLanding(of: "shared.txt", from: worktree) }
                ),
            ]
        )
        let host = InMemoryReviewHost()
        let job = try await LocalJob(
            "dispatch-conflict",
            autonomy: .full,
            assignments: ["dispatch.maxParallel=2"],
            host: host,
            runner: agent
        )
        let result = try await job.run()
        #expect(result.isFrozen, "a failed plan freezes even at full autonomy")
        let state = try job.state
        let record = try #require(state.plan)
        #expect(record.status == .failed)
        #expect(record.states == ["p": .done, "q": .conflict, "r": .blocked, "s": .done])
        #expect(record.task("q")?.conflicts == ["shared.txt"])
        #expect(agent.runCount(of: "r") == 0)
        #expect(try await job.git(["show", "phase-2-tactical-task-q:shared.txt"]) == "from q")
        #expect(try await job.git(["show", "phase-2-tactical:shared.txt"]) == "from p")
        #expect(state.freezeReason?.description.contains("task `q` conflicts with the phase branch") == true)
        let types = try job.events.map(\.type.rawValue)
        #expect(types.contains("task.conflict") && types.contains("task.blocked") && types.contains("plan.failed"))

        // The pull request shows the plan and what failed.
        let body = try #require(host.pull(for: "phase-2-tactical")).body
        #expect(body.contains("### Plan (2/4 landed)"))
        #expect(body.contains("- [ ] `r` R — **blocked** by `q`"))
        #expect(body.contains("### What failed"))

        // Approved anyway: the squash says so.
        let number = try #require(host.pull(for: "phase-2-tactical")).number
        try host.submit(.approved, by: "ann", on: number)
        _ = try await job.resume()
        let message = try await job.git(["log", "--format=%B", "-1", "main~1"])
        #expect(message.contains("Tollgate-Verify: failed, approved by ann"), "\(message)")
        // The conflicted branch is kept after the phase landed; the landed ones are gone.
        #expect(
            try await job.git(["branch", "--format=%(refname:short)", "--list", "phase-2-tactical-task-*"])
                == "phase-2-tactical-task-q"
        )
    }

    @Test func aFailedTaskBlocksItsDependentsOthersGoOnAndChangesRequestedHandTheFailuresToTheAgent() async throws {
        let plan = """
            todos:
              - id: f
                title: F
              - id: g
                title: G
                dependsOn: [f]
              - id: h
                title: H
              - id: i
                title: I
                dependsOn: [g]

            """
        let agent = PlanAgentRunner(plan: plan, tasks: ["f": .init(failure: "the agent exited with status 2")])
        let job = try await LocalJob("dispatch-failure", autonomy: .full, runner: agent)
        #expect(try await job.run().isFrozen)
        let record = try #require(try job.state.plan)
        #expect(record.states == ["f": .error, "g": .blocked, "h": .done, "i": .blocked])
        #expect(agent.runCount(of: "g") == 0 && agent.runCount(of: "i") == 0)
        // f's work stays on its branch, not on the phase branch.
        #expect(try await job.git(["show", "phase-2-tactical-task-f:tasks/f.txt"]) == "task f done")
        #expect(
            try await GitCLI.runAllowingFailure(["show", "phase-2-tactical:tasks/f.txt"], in: job.root).status != 0
        )
        let blocked = try job.events.filter { $0.type == .taskBlocked }
        #expect(blocked.map { $0.data["task"] } == ["g", "i"])
        #expect(blocked.first?.data["by"] == "f")

        // Changes requested: one feedback run on the phase branch with the failures as items, no new dispatch.
        try job.review(.requestChanges, message: "Fix f by hand")
        let again = try await job.resume()
        let feedback = try #require(agent.runs.last { $0.mode == "feedback" })
        #expect(feedback.environment["TOLLGATE_BRANCH"] == "phase-2-tactical")
        let items = try JSONDecoder().decode(
            [FeedbackItem].self,
            from: Data(contentsOf: URL(fileURLWithPath: try #require(feedback.environment["TOLLGATE_FEEDBACK"])))
        )
        #expect(items.contains { $0.body.hasPrefix("Task `f` failed: the agent exited with status 2") })
        #expect(items.contains { $0.body == "Fix f by hand" })
        #expect(agent.taskRuns.count == 2)
        // Revision 2 is judged by its gates alone (there are none): the phase merges at full autonomy.
        #expect(again == .completed)
        #expect(try job.events.filter { $0.type == .planVerified }.count == 1)
    }

    @Test(arguments: [
        ("single", 3, false), ("auto", 1, false), ("auto", 2, true), ("tasks", 1, true),
    ])
    func theModeDecidesWhetherAPlanIsDispatched(mode: String, todos: Int, dispatched: Bool) async throws {
        let plan =
            "todos:\n" + (1...todos).map { "  - id: t\($0)\n    title: Todo \($0)\n" }.joined()
        let agent = PlanAgentRunner(plan: plan)
        let job = try await LocalJob(
            "dispatch-mode-\(mode)-\(todos)",
            autonomy: .full,
            assignments: ["dispatch.mode=\(mode)"],
            runner: agent
        )
        #expect(try await job.run() == .completed)
        #expect(agent.taskRuns.count == (dispatched ? todos : 0))
        let types = try job.events.map(\.type.rawValue)
        #expect(types.contains("plan.dispatched") == dispatched)
        #expect(types.contains("plan.skipped") == false)
    }

    @Test func anUnreadablePlanIsSkippedUnderAutoAndFreezesUnderTasks() async throws {
        let broken = "todos:\n  - id: a\n    title: A\n    dependsOn: [zz]\n\t- bad\n"
        let auto = PlanAgentRunner(plan: broken)
        let skipping = try await LocalJob("dispatch-skipped", autonomy: .full, runner: auto)
        #expect(try await skipping.run() == .completed)
        #expect(auto.taskRuns.isEmpty)
        let skipped = try #require(try skipping.events.first { $0.type == .planSkipped })
        #expect(skipped.data["errors"]?.contains("todos.yaml:5:") == true)

        let strict = PlanAgentRunner(plan: broken)
        let freezing = try await LocalJob(
            "dispatch-invalid",
            autonomy: .full,
            assignments: ["dispatch.mode=tasks"],
            runner: strict
        )
        #expect(try await freezing.run().isFrozen)
        #expect(strict.runs.filter { $0.environment["TOLLGATE_PHASE"] == "2" }.isEmpty, "nothing ran in phase 2")
        let state = try freezing.state
        #expect(state.phase.number == 2)
        #expect(state.freezeReason?.description.contains("todos.yaml is not a valid plan") == true)
        #expect(try freezing.events.contains { $0.type == .planInvalid })
    }

    @Test func gatesRunAfterTheTasksTheirResultsAreCommittedAndPostedAndAFailureFreezes() async throws {
        let host = InMemoryReviewHost()
        let agent = PlanAgentRunner(plan: Self.diamond)
        let gates =
            #"verify.gates=[{"name":"files","command":"test -f tasks/d.txt"},{"name":"lint","command":"echo bad >&2; exit 3"}]"#
        let job = try await LocalJob("dispatch-gates", autonomy: .full, assignments: [gates], host: host, runner: agent)
        #expect(try await job.run().isFrozen)
        let state = try job.state
        #expect(state.plan?.status == .failed)
        #expect(state.verification?.results.map(\.passed) == [true, false])
        #expect(state.freezeReason?.description.contains("gate `lint` failed (exit 3)") == true)
        let json = try await job.git(["show", "phase-2-tactical:verify/phase-2/rev-1/gates.json"])
        let report = try JSONDecoder().decode(GateReport.self, from: Data(json.utf8))
        #expect(report.results.map(\.name) == ["files", "lint"])
        #expect(report.results.last?.outputTail == "bad")
        #expect(
            try await job.git(["show", "phase-2-tactical:verify/phase-2/rev-1/report.md"]).contains("1 of 2 failed")
        )
        let gateEvents = try job.events.filter { $0.type == .gateFinished }
        #expect(gateEvents.map { $0.data["gate"] } == ["files", "lint"])
        #expect(gateEvents.last?.data["exitCode"] == "3")

        // Statuses: pending then the result, per gate and for the whole, on the commit the gates ran on and on the
        // head that carries the report.
        let checked = try #require(state.verification?.commit)
        let head = try await job.git(["rev-parse", "phase-2-tactical"])
        let onChecked = host.statuses.filter { $0.commit == checked }.map { "\($0.status.context) \($0.status.state)" }
        #expect(
            onChecked == [
                "tollgate/verify pending", "tollgate/gate/files pending", "tollgate/gate/files success",
                "tollgate/gate/lint pending", "tollgate/gate/lint failure", "tollgate/verify failure",
            ]
        )
        let onHead = host.statuses.filter { $0.commit == head }.map { "\($0.status.context) \($0.status.state)" }
        #expect(onHead == ["tollgate/gate/files success", "tollgate/gate/lint failure", "tollgate/verify failure"])
        let body = try #require(host.pull(for: "phase-2-tactical")).body
        #expect(body.contains("### Gates (1/2 passed)"))
    }

    @Test func gatesRunAfterASingleRunTooAndAgainAfterRequestedChanges() async throws {
        let agent = PlanAgentRunner(plan: Self.diamond)
        let gate = #"verify.gates=[{"name":"answered","command":"grep -q feedback work/phase-2.txt"}]"#
        let job = try await LocalJob(
            "dispatch-single-gates",
            autonomy: .full,
            assignments: ["dispatch.mode=single", gate],
            runner: agent
        )
        #expect(try await job.run().isFrozen, "the failed gate freezes at full autonomy")
        #expect(agent.taskRuns.isEmpty)
        #expect(try job.state.plan == nil)
        #expect(try job.state.freezeReason?.description.contains("gate `answered` failed (exit 1)") == true)
        try job.review(.requestChanges, message: "Make the gate pass")
        #expect(try await job.resume() == .completed)
        let first = try await job.git(["show", "main:verify/phase-2/rev-1/gates.json"])
        let second = try await job.git(["show", "main:verify/phase-2/rev-2/gates.json"])
        #expect(try JSONDecoder().decode(GateReport.self, from: Data(first.utf8)).passed == false)
        #expect(try JSONDecoder().decode(GateReport.self, from: Data(second.utf8)).passed == true)
        let types = try job.events.map(\.type)
        #expect(types.filter { $0 == .planFailed }.count == 1 && types.filter { $0 == .planVerified }.count == 1)
        // The squash of a phase whose last verification passed carries no Tollgate-Verify trailer.
        await #expect(!(try job.git(["log", "--format=%B", "-1", "main~1"]).contains("Tollgate-Verify")))
    }

    /// Waits until `path` is on the phase branch (the tactical phase of a two-phase plan), seen from a task's
    /// worktree: the order of two task agents without a guessed pause.
    static func waitForLanding(of path: String, from worktree: URL) async throws {
        let repository = try Repository.open(at: worktree)
        for _ in 0..<6000 {
            if let tip = try repository.branchTip("phase-2-tactical"), try repository.fileContents(path, at: tip) != nil
            {
                return
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw GitCLI.Failure(description: "\(path) never landed on phase-2-tactical")
    }
}
