import Testing
import TollgateCore

/// A dispatched plan's progress as the pull request's checklist and the `status` table, as tables of states and
/// texts; a diamond plan (`a`; `b`, `c` after `a`; `d` after both).
struct PlanProgressTests {
    static let diamond = TodoPlan(todos: [
        PlanTodo(id: "a", title: "Name the tokens"),
        PlanTodo(id: "b", title: "Split the *lexer* <out>", dependsOn: ["a"]),
        PlanTodo(id: "c", title: "Write `parse`", dependsOn: ["a"]),
        PlanTodo(id: "d", title: "Join them", dependsOn: ["b", "c"]),
    ])

    static func progress(_ states: [String: DispatchMachine.TaskState]) -> PlanProgress {
        PlanProgress(
            plan: diamond,
            phaseBranch: "phase-2-tactical",
            states: states,
            commits: ["a": "0123456789abcdef0123456789abcdef01234567"],
            durationsMs: ["a": 1_250, "b": 60_000, "c": 900]
        )
    }

    struct Row: Sendable, CustomTestStringConvertible {
        var label: String
        var states: [String: DispatchMachine.TaskState]
        var checklist: String
        var table: String
        var testDescription: String { label }
    }

    @Test(arguments: [
        Row(
            label: "nothing started",
            states: [:],
            checklist: """
                ### Plan (0/4 landed)

                - [ ] `a` Name the tokens — queued
                - [ ] `b` Split the \\*lexer\\* &lt;out&gt; — queued
                - [ ] `c` Write \\`parse\\` — queued
                - [ ] `d` Join them — queued

                """,
            table: """
                TASK  STATE   TIME    BRANCH
                a     queued  1.2 s   phase-2-tactical-task-a
                b     queued  60.0 s  phase-2-tactical-task-b
                c     queued  0.9 s   phase-2-tactical-task-c
                d     queued  –       phase-2-tactical-task-d

                """
        ),
        Row(
            label: "b and c at once",
            states: ["a": .done, "b": .running, "c": .finished],
            checklist: """
                ### Plan (1/4 landed)

                - [x] `a` Name the tokens — landed in 0123456789, 1.2 s
                - [ ] `b` Split the \\*lexer\\* &lt;out&gt; — running
                - [ ] `c` Write \\`parse\\` — finished, landing, 0.9 s
                - [ ] `d` Join them — queued

                """,
            table: """
                TASK  STATE     TIME    BRANCH
                a     done      1.2 s   phase-2-tactical-task-a
                b     running   60.0 s  phase-2-tactical-task-b
                c     finished  0.9 s   phase-2-tactical-task-c
                d     queued    –       phase-2-tactical-task-d

                """
        ),
        Row(
            label: "c conflicts, d blocked",
            states: ["a": .done, "b": .error, "c": .conflict, "d": .blocked],
            checklist: """
                ### Plan (1/4 landed)

                - [x] `a` Name the tokens — landed in 0123456789, 1.2 s
                - [ ] `b` Split the \\*lexer\\* &lt;out&gt; — **failed**, 60.0 s
                - [ ] `c` Write \\`parse\\` — **conflict** with the phase branch, 0.9 s
                - [ ] `d` Join them — **blocked** by `b`, `c`

                """,
            table: """
                TASK  STATE     TIME    BRANCH
                a     done      1.2 s   phase-2-tactical-task-a
                b     error     60.0 s  phase-2-tactical-task-b
                c     conflict  0.9 s   phase-2-tactical-task-c
                d     blocked   –       phase-2-tactical-task-d

                """
        ),
    ])
    func checklistAndTableFollowTheStates(_ row: Row) async {
        let progress = Self.progress(row.states)
        #expect(progress.checklist() == row.checklist)
        #expect(progress.table() == row.table)
    }

    @Test func theTasksCarryWhatStatusJSONShows() async {
        let progress = Self.progress(["a": .done])
        #expect(progress.tasks.map(\.branch) == ["a", "b", "c", "d"].map { "phase-2-tactical-task-\($0)" })
        #expect(progress.tasks[3].dependsOn == ["b", "c"])
        #expect(progress.tasks[0].commit == "0123456789abcdef0123456789abcdef01234567")
        #expect(progress.summary == "1/4")
    }
}
