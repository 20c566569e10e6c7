import Foundation
import Testing
import TollgateCore
import TollgateEngine
import TollgateTestSupport

/// DESIGN §3 end to end: at which phases a real job freezes, for every autonomy level.
@Suite(.runsProcesses)
struct FreezeTableTests {
    /// The phases that freeze when the agent goes S, T, S, T and reports the job complete at phase 4.
    static let expected: [(AutonomyLevel, [Int])] = [
        (.full, []), (.review, [4]), (.partial, [1, 4]), (.guided, [1, 3, 4]), (.dependent, [1, 2, 3, 4]),
    ]

    @Test(arguments: expected)
    func freezesExactlyWhereTheAutonomyTableSays(_ level: AutonomyLevel, _ freezes: [Int]) async throws {
        let job = try await LocalJob("freeze-\(level.rawValue)", autonomy: level, completeAt: 4)
        var result = try await job.run()
        var frozenAt: [Int] = []
        while result.isFrozen, frozenAt.count < 10 {
            let state = try job.state
            #expect(state.status == .pendingReview)
            frozenAt.append(state.phase.number)
            try job.review(.approve)
            result = try await job.resume()
        }
        #expect(frozenAt == freezes)
        #expect(result == .completed)
        let state = try job.state
        #expect(state.status == .completed)
        #expect(state.merged.map(\.phase.label) == ["1-strategic", "2-tactical", "3-strategic", "4-tactical"])
        // Reviewed phases carry their approver, the others none.
        #expect(state.merged.filter { !$0.approvers.isEmpty }.map(\.phase.number) == freezes)
        // The level is what the agent was told.
        let environment = try job.capturedEnvironment(phase: 1, revision: 1, branch: "phase-1-strategic")
        #expect(environment["TOLLGATE_AUTONOMY"] == level.rawValue)
    }
}
