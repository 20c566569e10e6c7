import Testing
import TollgateCore

/// The dispatch of a plan as tasks (DESIGN §10), driven on values: what starts when, at most `maxParallel` at once,
/// one landing at a time, failures blocking their dependents, and a killed dispatch resumed without rerunning.
struct DispatchMachineTests {
    static let yaml = """
        todos:
          - id: tokens
            title: Tokens
          - id: lexer
            title: Lexer
            dependsOn: [tokens]
          - id: docs
            title: Docs
            priority: 1
          - id: parser
            title: Parser
            dependsOn: [lexer]
          - id: cli
            title: CLI
            dependsOn: [parser, docs]
        """

    static func plan() throws -> TodoPlan {
        guard case .plan(let plan) = TodoPlan.read(yaml) else { throw PlanMissing() }
        return plan
    }

    struct PlanMissing: Error {}

    /// Runs the machine to its verify action, each started task finishing at once with `outcome[id]` (true when
    /// absent) and each landing conflicting when `conflicts` holds it; returns the log of actions taken.
    static func drive(
        _ machine: inout DispatchMachine,
        failing: Set<String> = [],
        conflicts: Set<String> = [],
        stopAfter limit: Int = 1_000
    ) -> [String] {
        var log: [String] = []
        var steps = 0
        while steps < limit {
            steps += 1
            let actions = machine.next()
            var startedNow: [String] = []
            for action in actions {
                switch action {
                case .block(let ids):
                    machine.blocked(ids)
                    log.append("block \(ids.joined(separator: ","))")
                case .start(let id):
                    machine.started(id)
                    startedNow.append(id)
                    log.append("start \(id)")
                case .land(let id):
                    machine.landingStarted(id)
                    if conflicts.contains(id) {
                        machine.conflicted(id)
                        log.append("conflict \(id)")
                    } else {
                        machine.landed(id)
                        log.append("land \(id)")
                    }
                case .verify(let failed):
                    log.append("verify failed=[\(failed.joined(separator: ","))]")
                    return log
                }
            }
            // The tasks started together finish after them, in order.
            for id in startedNow { machine.finished(id, succeeded: !failing.contains(id)) }
        }
        return log
    }

    @Test func readyTasksStartByPriorityThenOrderAtMostMaxParallelAtOnce() async throws {
        var machine = DispatchMachine(plan: try Self.plan(), maxParallel: 2)
        #expect(machine.next() == [.start("docs"), .start("tokens")])
        let log = Self.drive(&machine)
        #expect(
            log == [
                "start docs", "start tokens", "land docs", "land tokens", "start lexer", "land lexer", "start parser",
                "land parser", "start cli", "land cli", "verify failed=[]",
            ]
        )
        #expect(machine.states.values.allSatisfy { $0 == .done })
    }

    @Test func nothingStartsBeyondMaxParallel() async throws {
        var machine = DispatchMachine(plan: try Self.plan(), maxParallel: 1)
        #expect(machine.next() == [.start("docs")])
        machine.started("docs")
        #expect(machine.next().isEmpty)
    }

    @Test func aFailedTaskBlocksItsDependentsAndTheOthersGoOn() async throws {
        var machine = DispatchMachine(plan: try Self.plan(), maxParallel: 2)
        let log = Self.drive(&machine, failing: ["lexer"])
        #expect(log.contains("block parser,cli"))
        #expect(log.last == "verify failed=[lexer,parser,cli]")
        #expect(machine.states["docs"] == .done)
        #expect(machine.states["lexer"] == .error)
        #expect(machine.states["cli"] == .blocked)
    }

    @Test func aConflictKeepsTheTaskOffThePhaseBranchAndBlocksItsDependents() async throws {
        var machine = DispatchMachine(plan: try Self.plan(), maxParallel: 3)
        let log = Self.drive(&machine, conflicts: ["tokens"])
        #expect(log.contains("conflict tokens"))
        #expect(machine.states["tokens"] == .conflict)
        #expect(machine.states["lexer"] == .blocked)
        #expect(log.last == "verify failed=[tokens,lexer,parser,cli]")
    }

    @Test func oneLandingAtATime() async throws {
        var machine = DispatchMachine(plan: try Self.plan(), maxParallel: 2)
        machine.started("docs")
        machine.started("tokens")
        machine.finished("docs", succeeded: true)
        machine.finished("tokens", succeeded: true)
        #expect(machine.next().first == .land("docs"))
        machine.landingStarted("docs")
        #expect(!machine.next().contains(.land("tokens")))
        machine.landed("docs")
        #expect(machine.next().first == .land("tokens"))
    }

    @Test func aKilledDispatchResumesWithoutRunningAFinishedTaskAgain() async throws {
        let recorded: [String: DispatchMachine.TaskState] = [
            "docs": .done, "tokens": .finished, "lexer": .queued, "parser": .queued, "cli": .queued,
        ]
        var machine = DispatchMachine(plan: try Self.plan(), maxParallel: 2, recorded: recorded)
        let log = Self.drive(&machine)
        #expect(!log.contains("start docs"))
        #expect(!log.contains("start tokens"))
        #expect(log.first == "land tokens")
        #expect(log.last == "verify failed=[]")
        // A task recorded running lost its agent with the process: it runs again.
        var restarted = DispatchMachine(plan: try Self.plan(), maxParallel: 2, recorded: ["docs": .running])
        #expect(restarted.next().contains(.start("docs")))
        _ = Self.drive(&restarted)
        #expect(restarted.states["docs"] == .done)
    }
}
