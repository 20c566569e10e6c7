import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reaps one child: a thread blocked in `waitpid` records the status and wakes whoever waits, so nothing polls
/// (Foundation's `Process.waitUntilExit()` polls in 50 ms steps on Linux).
final class ProcessReaper: Sendable {
    private let reaped = DispatchSemaphore(value: 0)
    private let status = Mutex<Int32?>(nil)

    /// Starts the reaping thread; it keeps the reaper alive until the process is reaped.
    init(pid: pid_t) {
        Thread.detachNewThread { [self] in
            var raw: Int32 = 0
            while waitpid(pid, &raw, 0) == -1 && errno == EINTR {}
            status.withLock { $0 = raw }
            reaped.signal()
        }
    }

    /// How the process ended; nil while it runs.
    var termination: ChildProcess.Termination? {
        guard let raw = status.withLock({ $0 }) else { return nil }
        if raw & 0x7f == 0 { return .exited((raw >> 8) & 0xff) }
        return .signalled(raw & 0x7f)
    }

    /// Waits until the process is reaped or `deadline` passes (for ever when nil); true when it was reaped.
    ///
    /// Once reaped, every later wait returns at once.
    func wait(until deadline: DispatchTime?) -> Bool {
        if let deadline {
            guard reaped.wait(timeout: deadline) == .success else { return false }
        } else {
            reaped.wait()
        }
        reaped.signal()
        return true
    }
}
