import Foundation
import Testing
import TollgateCore
import TollgateEngine
import TollgateTestSupport

/// The state branch's compare-and-swap: two writers that read the same state cannot both advance it.
struct StateStoreTests {
    @Test func theSecondOfTwoRacingWritersGetsStateMovedAndChangesNothing() throws {
        let job = try LocalJob("state-race", autonomy: .guided)
        #expect(try job.run().isFrozen)
        // Two sessions that do not take the lock, as on two machines: both read the same state.
        let first = try JobSession.open(at: job.root, resources: job.resources, exclusive: false)
        let second = try JobSession.open(at: job.root, resources: job.resources, exclusive: false)
        let tipBefore = try job.git(["rev-parse", "tollgate/state"])

        _ = try first.review(.approve, reviewer: "ann", message: nil, comments: [])
        let tipAfterFirst = try job.git(["rev-parse", "tollgate/state"])
        #expect(tipAfterFirst != tipBefore)
        #expect(throws: EngineError.stateMoved) {
            _ = try second.review(.close, reviewer: "bob", message: "no", comments: [])
        }
        #expect(try job.git(["rev-parse", "tollgate/state"]) == tipAfterFirst)
        #expect(try job.git(["rev-parse", "tollgate/state^"]) == tipBefore)

        // The winner's verdict stands.
        try job.resume()
        #expect(try job.state.merged.first?.approvers == ["ann"])
    }

    @Test func aSecondCommandIsKeptOutByTheLock() throws {
        let job = try LocalJob("state-lock", autonomy: .guided)
        let holder = try JobSession.open(at: job.root, resources: job.resources, exclusive: true)
        do {
            _ = try JobSession.open(at: job.root, resources: job.resources, exclusive: true)
            Issue.record("a second exclusive session opened while the first held the lock")
        } catch let error as EngineError {
            guard case .locked(_, let holderText) = error else {
                Issue.record("expected .locked, got \(error)")
                return
            }
            #expect(holderText.contains("\(getpid())"))
            #expect(error.description.contains("another tollgate process"))
        }
        withExtendedLifetime(holder) {}
    }
}
