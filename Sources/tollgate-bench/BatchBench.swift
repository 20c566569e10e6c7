import Foundation
import TollgateCLI
import TollgateCore

/// Times `tollgate batch` (DESIGN §11, issue 13's targets) in one run: 20 units with a critic that takes 1 s, at
/// `--jobs 4` against `--jobs 1` (target: at most 1.25 × 5 s against at least 20 s); the CPU the `tollgate` process
/// itself used during the `--jobs 4` run, on a pipe and on a terminal, as an estimate of what the progress display
/// costs (target: at most 2 % of the wall time: what the terminal run costs over the pipe run, tollgate's whole CPU
/// shown beside it); and tollgate's own peak RSS at 100 and 1,000 units of the example critic, side by side.
///
/// A process's CPU comes from `wait4`, which counts the children it waited for (the critics) too: the critics' own
/// CPU, measured by running the same critic as often without its sleep, is taken off. On a terminal the run goes
/// through `script(1)`, whose own copying is counted too (an overestimate). Peak RSS is the `tollgate batch`
/// process's own high-water mark (`VmHWM`, sampled while it runs); `wait4`'s, the largest of it and the example
/// critics it ran (`tollgate example-critic`, the same binary), is shown beside it.
enum BatchBench {
    /// Units of the timed batches, and the seconds each critic sleeps.
    static let units = 20
    static let criticSeconds = 1
    /// Units of the memory runs.
    static let memoryUnits = [100, 1000]

    static func run() throws {
        let binary = try JobBench.tollgateBinary()
        print("## batch: tollgate batch, \(units) units × a \(criticSeconds) s critic, --jobs 4 vs --jobs 1")
        print("")
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("tollgate-bench-batch-\(UUID().uuidString.prefix(8))", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let critic = root.appendingPathComponent("critic.sh")
        try Data(criticScript.utf8).write(to: critic)
        let environment = JobBench.hermeticEnvironment()

        let timed = try repository(at: root.appendingPathComponent("timed"), units: units)
        let command = ["batch", timed.path, "--files", "units/*.md", "--critic", "/bin/sh \(critic.path)"]
        let parallel = try batch(binary, command + ["--jobs", "4"], environment)
        let serial = try batch(binary, command + ["--jobs", "1"], environment)
        let terminal = try batch(binary, command + ["--jobs", "4"], environment, onTerminal: true)
        let criticCPU = try calibration(critic, runs: units, environment: environment)

        let ideal = Double(units * criticSeconds) / 4
        print(row("run", "wall", "target", "tollgate CPU", "CPU / wall"))
        for (name, result, target) in [
            ("--jobs 4 (pipe)", parallel, String(format: "≤ %.2f s", ideal * 1.25)),
            ("--jobs 1 (pipe)", serial, String(format: "≥ %d s", units * criticSeconds)),
            ("--jobs 4 (terminal)", terminal, String(format: "≤ %.2f s", ideal * 1.25)),
        ] {
            let own = max(result.cpuSeconds - criticCPU, 0)
            print(
                row(
                    name,
                    String(format: "%.2f s", result.seconds),
                    target,
                    String(format: "%.3f s", own),
                    String(format: "%.2f %%", own / result.seconds * 100)
                )
            )
        }
        print("")
        let ratio = serial.seconds / parallel.seconds
        let met = parallel.seconds <= ideal * 1.25 && serial.seconds >= Double(units * criticSeconds)
        print(
            String(
                format: "--jobs 1 / --jobs 4 = %.2f× (ideal 4×); target ≤ 1.25 × %.0f s vs ≥ %d s: %@",
                ratio,
                ideal,
                units * criticSeconds,
                met ? "met" : "missed"
            )
        )
        let worst = [parallel, terminal].map { max($0.cpuSeconds - criticCPU, 0) / $0.seconds * 100 }.max() ?? 0
        print(
            String(
                format: "tollgate's own CPU, all of its work (worktree, commits, spawns, display): at most %.2f %% of "
                    + "the wall time",
                worst
            )
        )
        // What drawing on a terminal adds, two ways. The difference of two runs is within their noise (either sign);
        // the display's own CPU, drawing the same changes in process, is the figure.
        let difference = (terminal.cpuSeconds - parallel.cpuSeconds) / terminal.seconds * 100
        print(
            String(
                format:
                    "terminal run − pipe run: %+.3f s of CPU, %+.2f %% of the wall time (two runs' difference: noise)",
                terminal.cpuSeconds - parallel.cpuSeconds,
                difference
            )
        )
        let drawing = displayCPU(units: units, jobs: 4)
        let share = drawing.seconds / terminal.seconds * 100
        print(
            String(
                format: "progress display's own CPU: %d redraws, %.2f ms, %.3f %% of the terminal run's %.2f s "
                    + "(target ≤ 2 %%): %@",
                drawing.redraws,
                drawing.seconds * 1000,
                share,
                terminal.seconds,
                share <= 2 ? "met" : "missed"
            )
        )
        print(String(format: "(the critics' own CPU, %.3f s for %d runs, is taken off)", criticCPU, units))
        print("")

        // Memory: tollgate's own peak (sampled VmHWM) is the figure; wait4's also counts the critics it ran.
        print(row("units", "wall", "tollgate RSS", "with critics", "per unit"))
        var peaks: [Int] = []
        var drawings: [(units: Int, cost: (redraws: Int, seconds: Double), wall: Double)] = []
        for count in memoryUnits {
            let repository = try repository(at: root.appendingPathComponent("memory-\(count)"), units: count)
            let result = try batch(
                binary,
                [
                    "batch", repository.path, "--files", "units/*.md", "--critic", "tollgate example-critic", "--jobs",
                    "4",
                ],
                environment,
                samplingPeak: true
            )
            let own = result.ownPeakBytes ?? 0
            peaks.append(own)
            drawings.append((count, displayCPU(units: count, jobs: 4), result.seconds))
            print(
                row(
                    "\(count)",
                    String(format: "%.1f s", result.seconds),
                    String(format: "%.1f MB", Double(own) / 1_048_576),
                    String(format: "%.1f MB", Double(result.maxResidentBytes) / 1_048_576),
                    String(format: "%.0f ms", result.seconds / Double(count) * 1000)
                )
            )
        }
        if let small = peaks.first, let large = peaks.last, small > 0, let few = memoryUnits.first,
            let many = memoryUnits.last
        {
            let perUnit = Double(large - small) / Double(many - few) / 1024
            print("")
            print(
                String(
                    format:
                        "tollgate's peak RSS at %d units / at %d units = %.2f× (%+.1f kB a unit more); flat (≤ 1.10×): %@",
                    many,
                    few,
                    Double(large) / Double(small),
                    perUnit,
                    Double(large) <= Double(small) * 1.10 ? "met" : "missed"
                )
            )
        }
        for drawing in drawings {
            print(
                String(
                    format: "progress display at %d units: %d redraws, %.1f ms of CPU, %.3f %% of that run's %.1f s",
                    drawing.units,
                    drawing.cost.redraws,
                    drawing.cost.seconds * 1000,
                    drawing.cost.seconds / drawing.wall * 100,
                    drawing.wall
                )
            )
        }
        print("")
    }

    /// The CPU the terminal display (`BatchDisplay`, the one `tollgate batch` draws with) takes to draw a batch of
    /// `units` at `jobs` at once, in this process, writing to `/dev/null` on a 120 × 40 terminal: every change a
    /// batch shows (each unit queued, running, finished, in the order a batch of equal units makes them).
    static func displayCPU(units count: Int, jobs: Int) -> (redraws: Int, seconds: Double) {
        let sink = open("/dev/null", O_WRONLY)
        defer { close(sink) }
        let display = BatchDisplay(
            output: Output(out: { _ in }, err: { _ in }),
            style: .terminal,
            write: { text in _ = text.utf8CString.withUnsafeBufferPointer { write(sink, $0.baseAddress, $0.count - 1) }
            },
            size: { (120, 40) }
        )
        let names = (0..<count).map { String(format: "units/%04d.md", $0) }
        var progress = BatchProgress()
        var changes = names.map { progress.unitChanged($0, to: .queued) }
        var running: [String] = []
        var next = names.makeIterator()
        for _ in 0..<jobs {
            if let unit = next.next() {
                running.append(unit)
                changes.append(progress.unitChanged(unit, to: .running))
            }
        }
        while !running.isEmpty {
            let unit = running.removeFirst()
            changes.append(progress.unitChanged(unit, to: .shipped, composite: 9))
            if let started = next.next() {
                running.append(started)
                changes.append(progress.unitChanged(started, to: .running))
            }
        }
        let start = threadCPU()
        for change in changes { display.show(change) }
        display.finish()
        return (changes.count, threadCPU() - start)
    }

    /// This thread's CPU time so far, in seconds.
    static func threadCPU() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    /// A critic that reads its unit, sleeps `BENCH_SLEEP` seconds (1 by default) and ships it in one round.
    static let criticScript = """
        #!/bin/sh
        cat > /dev/null
        sleep "${BENCH_SLEEP:-1}"
        printf '<CRITIQUE_RUN version="1"><ROUND n="1">'
        printf '<PANELIST role="designer"><ARTIFACT><![CDATA[unit]]></ARTIFACT></PANELIST>'
        for role in critic brand a11y copy; do printf '<PANELIST role="%s" score="9"></PANELIST>' "$role"; done
        printf '<ROUND_END n="1"></ROUND_END></ROUND><SHIP round="1"></SHIP></CRITIQUE_RUN>\\n'

        """

    /// A repository at `root` with `units` committed files `units/NNNN.md`, each a small plan.
    static func repository(at root: URL, units: Int) throws -> URL {
        let folder = root.appendingPathComponent("units", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for index in 0..<units {
            let text = "# Unit \(index)\n\n## Goals\n\n- one\n\n## Steps\n\n1. first\n2. second\n\n## Risks\n\n- none\n"
            try Data(text.utf8).write(to: folder.appendingPathComponent(String(format: "%04d.md", index)))
        }
        let git = CommandLineGit(directory: root)
        try git.run("init", "-q", "-b", "main")
        try git.run("add", "-A")
        try git.run("commit", "-q", "-m", "units")
        return root
    }

    /// Runs `tollgate <arguments>` to its end (on a terminal through `script(1)` when asked); throws unless it
    /// exits 0: every unit shipped (a batch of degraded or failed units would time other work than a batch's).
    static func batch(
        _ binary: URL,
        _ arguments: [String],
        _ environment: [String: String],
        onTerminal: Bool = false,
        samplingPeak: Bool = false
    ) throws -> Spawn.Result {
        var environment = environment
        environment["PATH"] = binary.deletingLastPathComponent().path + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        let argv: [String]
        if onTerminal {
            let line = ([binary.path] + arguments).map(quoted).joined(separator: " ")
            argv = ["script", "-q", "-e", "-c", line, "/dev/null"]
        } else {
            argv = [binary.path] + arguments
        }
        let result = try Spawn.run(argv, environment: environment, discardingErrors: true, samplingPeak: samplingPeak)
        guard result.status == 0 else {
            throw BenchError("tollgate \(arguments.joined(separator: " ")) exited with \(result.status)")
        }
        return result
    }

    /// The CPU seconds of `runs` runs of the critic without its sleep.
    static func calibration(_ critic: URL, runs: Int, environment: [String: String]) throws -> Double {
        var environment = environment
        environment["BENCH_SLEEP"] = "0"
        var total = 0.0
        for _ in 0..<runs {
            total += try Spawn.run(
                ["/bin/sh", "-c", "exec /bin/sh \(quoted(critic.path)) < /dev/null"],
                environment: environment
            )
            .cpuSeconds
        }
        return total
    }

    static func quoted(_ word: String) -> String { "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    static func row(_ cells: String...) -> String {
        let widths = [20, 10, 12, 14, 10]
        return zip(cells, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: " ")
    }
}
