import Foundation
import Testing

/// The trait of suites whose tests run child processes (the binary, git, agents, the Gitea stand-in): at most a few
/// of those tests run at once, whatever the number of tests Swift Testing starts.
///
/// A test waits for its processes without holding a thread (``Subprocess/wait(timeout:)``), so without a bound Swift
/// Testing would start every test at once: hundreds of binaries, git commands and servers would share two cores and
/// each test would take minutes. Six tests per core keep both cores busy while most of them wait for a child (with
/// the test servers forked from one Python process, three left a third of the machine idle: 82 s against 73-78 s
/// for the suite here); `TOLLGATE_TEST_TURNS` sets another number, to compare.
/// A test waiting for its turn is suspended, not blocking a thread. Swift Testing's time limits count that wait,
/// so the suites that set one give ten minutes: a bound on a hang, not on speed.
public struct RunsProcesses: SuiteTrait, TestTrait, TestScoping {
    /// The turns every such test shares.
    static let turns = Turns(
        count: Int(ProcessInfo.processInfo.environment["TOLLGATE_TEST_TURNS"] ?? "")
            ?? 6 * max(1, ProcessInfo.processInfo.activeProcessorCount)
    )

    public var isRecursive: Bool { true }

    public func provideScope(
        for test: Test,
        testCase: Test.Case?,
        performing function: @Sendable () async throws -> Void
    ) async throws {
        // A suite's own scope and a parameterised test's function scope pass through; each case takes a turn.
        guard testCase != nil else { return try await function() }
        await Self.turns.take()
        do {
            try await function()
        } catch {
            await Self.turns.give()
            throw error
        }
        await Self.turns.give()
    }

    /// A counting semaphore whose waiters are suspended tasks.
    actor Turns {
        private var free: Int
        private var waiting: [CheckedContinuation<Void, Never>] = []

        init(count: Int) {
            self.free = count
        }

        func take() async {
            if free > 0 {
                free -= 1
                return
            }
            await withCheckedContinuation { waiting.append($0) }
        }

        func give() {
            if waiting.isEmpty {
                free += 1
            } else {
                waiting.removeFirst().resume()
            }
        }
    }
}

extension Trait where Self == RunsProcesses {
    /// The suite's tests run child processes: they take turns with every other such test (``RunsProcesses``).
    public static var runsProcesses: Self { RunsProcesses() }
}
