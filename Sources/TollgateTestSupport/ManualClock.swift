import Synchronization
import TollgateEngine

/// An ``EngineClock`` that only moves when told: a sleep moves it forward by the time slept and returns at once, so
/// a test of a wait (Gitea's mergeability check, a backoff) runs in no real time and sees every pause it asked for.
public final class ManualClock: EngineClock {
    private let state = Mutex<(now: Duration, sleeps: [Duration])>((.zero, []))

    public init() {}

    public var now: Duration { state.withLock { $0.now } }

    /// Every pause asked for, in order.
    public var sleeps: [Duration] { state.withLock { $0.sleeps } }

    public func sleep(for duration: Duration) async throws {
        try Task.checkCancellation()
        state.withLock {
            $0.sleeps.append(duration)
            $0.now += max(duration, .zero)
        }
    }

    /// Moves the clock forward, as time passing outside the engine would.
    public func advance(by duration: Duration) {
        state.withLock { $0.now += max(duration, .zero) }
    }
}
