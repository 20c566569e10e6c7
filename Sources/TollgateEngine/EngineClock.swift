import Foundation

/// The time the engine's waits are measured and paced by: the system's monotonic clock when it runs, a manual one
/// in tests (`ManualClock` in TollgateTestSupport), so no test waits for real time to pass.
public protocol EngineClock: Sendable {
    /// The time since an origin of the clock's choosing; only differences mean anything.
    var now: Duration { get }
    /// Returns once `duration` has passed on this clock.
    func sleep(for duration: Duration) async throws
}

/// `ContinuousClock`, as an ``EngineClock``.
public struct SystemClock: EngineClock {
    private let origin = ContinuousClock.now

    public init() {}

    public var now: Duration { ContinuousClock.now - origin }

    public func sleep(for duration: Duration) async throws {
        try await Task.sleep(for: duration)
    }
}
