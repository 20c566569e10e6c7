import Foundation

/// Runs an async call to completion from the engine's synchronous code.
///
/// The engine runs on the process's main thread (or a test's thread), never on the Swift concurrency cooperative
/// pool, so blocking that thread on a semaphore while a detached task does the work cannot starve the pool: the
/// task runs on a pool thread and the waiting thread is not one of them.
enum AsyncBridge {
    /// Starts `operation` in a detached task and waits for its result.
    static func run<T: Sendable, E: Error>(_ operation: @escaping @Sendable () async throws(E) -> T) throws(E) -> T {
        let box = ResultBox<T, E>()
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            do throws(E) {
                box.result = .success(try await operation())
            } catch {
                box.result = .failure(error)
            }
            done.signal()
        }
        done.wait()
        guard let result = box.result else { preconditionFailure("the task signalled without a result") }
        return try result.get()
    }
}

/// The slot a detached task writes its result into.
// SAFETY: written once by the task before it signals the semaphore and read only after the wait returns, so the
// semaphore orders the write before the read; no two threads touch `result` at the same time.
private final class ResultBox<T: Sendable, E: Error>: @unchecked Sendable {
    var result: Result<T, E>?
}
