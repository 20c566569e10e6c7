import Foundation

/// Runs a blocking call (a child process waited for) off the Swift concurrency pool.
///
/// The pool has one thread per core; a task that blocks one of them in `waitpid` or on a semaphore for an agent's
/// whole run would starve every other task (a second agent of a phase, the HTTP client). The call gets a thread of
/// its own instead, and the task is resumed when it returns.
enum Blocking {
    static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try work() }) }
            thread.name = "tollgate-blocking"
            thread.start()
        }
    }
}
