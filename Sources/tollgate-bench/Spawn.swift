import Foundation
import Synchronization

/// Starts a process with `posix_spawn` and waits for it with `wait4`, for its exit status, time and peak RSS.
enum Spawn {
    struct Result {
        /// The exit status; 128 + the signal for a process a signal ended.
        var status: Int32
        var seconds: Double
        /// The process's peak resident set size.
        var maxResidentBytes: Int
        /// User and system CPU time of the process and the children it waited for.
        var cpuSeconds: Double
        /// The process's own peak resident set size (its `VmHWM`, its children not counted), when sampled.
        var ownPeakBytes: Int?
    }

    /// Runs `argv` (the first element a path, or a name looked up in `PATH`) to its end; standard output goes to
    /// `output`, or nowhere; standard error too with `discardingErrors` (git's chatter between the figures).
    ///
    /// With `samplingPeak`, the process's own peak RSS is read from `/proc/<pid>/status` (`VmHWM`, the kernel's
    /// high-water mark of that process alone) every 10 ms while it runs: `wait4`'s figure is the largest of the
    /// process and the children it waited for, which hides the parent's growth behind a child's size.
    static func run(
        _ argv: [String],
        environment: [String: String],
        output: URL? = nil,
        discardingErrors: Bool = false,
        samplingPeak: Bool = false
    ) throws -> Result {
        let cArguments = argv.map { strdup($0) } + [nil]
        let cEnvironment = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            cArguments.forEach { free($0) }
            cEnvironment.forEach { free($0) }
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, output?.path ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if discardingErrors { posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0) }
        let start = ContinuousClock.now
        var pid = pid_t()
        let code = posix_spawnp(&pid, argv[0], &actions, nil, cArguments, cEnvironment)
        guard code == 0 else { throw BenchError("cannot start \(argv[0]): \(String(cString: strerror(code)))") }
        let sampler = samplingPeak ? PeakSampler(pid: pid) : nil
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 {
            guard errno == EINTR else { throw BenchError("wait4 failed: \(String(cString: strerror(errno)))") }
        }
        let ownPeak = sampler?.stop()
        let seconds = GitBench.seconds(ContinuousClock.now - start)
        let signal = status & 0x7f
        return Result(
            status: signal == 0 ? (status >> 8) & 0xff : 128 + signal,
            seconds: seconds,
            maxResidentBytes: Int(usage.ru_maxrss) * 1024,
            cpuSeconds: [usage.ru_utime, usage.ru_stime].reduce(0) {
                $0 + Double($1.tv_sec) + Double($1.tv_usec) / 1e6
            },
            ownPeakBytes: ownPeak
        )
    }

    /// Reads a running process's `VmHWM` every 10 ms on a thread of its own, keeping the largest.
    final class PeakSampler: Sendable {
        private let state = Mutex((running: true, peakKB: 0))
        private let done = DispatchSemaphore(value: 0)

        init(pid: pid_t) {
            let path = "/proc/\(pid)/status"
            Thread.detachNewThread { [self] in
                while state.withLock({ $0.running }) {
                    if let kilobytes = Self.highWaterMark(path) {
                        state.withLock { $0.peakKB = max($0.peakKB, kilobytes) }
                    }
                    usleep(10_000)
                }
                done.signal()
            }
        }

        /// Stops sampling; returns the peak seen, in bytes.
        func stop() -> Int {
            state.withLock { $0.running = false }
            done.wait()
            return state.withLock { $0.peakKB } * 1024
        }

        /// The `VmHWM:` line of a status file, in kB; nil once the process is gone.
        static func highWaterMark(_ path: String) -> Int? {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8),
                let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
            else { return nil }
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        }
    }
}
