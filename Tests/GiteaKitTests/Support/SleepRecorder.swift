import Synchronization

/// Records the backoff delays a transport asks for, without sleeping.
final class SleepRecorder: Sendable {
    private let delays = Mutex<[Duration]>([])

    /// The delays requested so far.
    var recorded: [Duration] { self.delays.withLock { $0 } }

    /// A `sleep` closure for `CurlTransport` that records and returns at once.
    var sleep: @Sendable (Duration) async throws -> Void {
        { [self] duration in self.delays.withLock { $0.append(duration) } }
    }
}
