import Foundation
import Testing
import TollgateCore
import TollgateEngine
import TollgateTestSupport

/// `agent.queue_time_ms` (DESIGN §11): how long each ready task of a dispatched plan waited for a free slot, from when
/// it became ready (the dispatch began, or its last dependency landed) to when its agent started, on the engine's
/// clock: here a manual one that only the task agents move, so the figures are exact.
@Suite(.runsProcesses)
struct QueueTimeTests {
    @Test func eachTaskRecordsHowLongItWaitedForASlotOnceReady() async throws {
        let clock = ManualClock()
        // One slot: x, y, z are ready at once; w once x landed. Each agent moves the clock by its own time.
        let plan = DispatchTests.plan(["x", "y", "z", "w"], dependencies: ["w": ["x"]])
        let work: [String: Duration] = ["x": .seconds(5), "y": .seconds(7), "z": .seconds(1), "w": .seconds(2)]
        let agent = PlanAgentRunner(
            plan: plan,
            tasks: work.mapValues { time in .init(act: { _ in clock.advance(by: time) }) }
        )
        let job = try await LocalJob(
            "queue-time",
            autonomy: .full,
            assignments: ["dispatch.maxParallel=1"],
            runner: agent,
            clock: clock
        )
        #expect(try await job.run() == .completed)
        #expect(agent.taskRuns.map(\.task) == ["x", "y", "z", "w"])
        let records = TelemetryLog(workspace: job.root).records().records.filter { $0.metric == "agent.queue_time_ms" }
        // x at once; y after x's 5 s; z after x and y (12 s); w became ready at 5 s and started at 13 s.
        #expect(records.map(\.value) == [0, 5000, 12000, 8000])
        #expect(records.allSatisfy { $0.phase == 2 && $0.unit == "ms" })
    }

    @Test func nothingIsRecordedWithTelemetryOff() async throws {
        let clock = ManualClock()
        let agent = PlanAgentRunner(plan: DispatchTests.diamond)
        let job = try await LocalJob(
            "queue-time-off",
            autonomy: .full,
            assignments: ["telemetry.enabled=false"],
            runner: agent,
            clock: clock
        )
        #expect(try await job.run() == .completed)
        #expect(agent.taskRuns.count == 4)
        #expect(TelemetryLog(workspace: job.root).records().records.isEmpty)
    }
}
