import Foundation
import GitKit

/// Times whole jobs at `full` autonomy (10, 100 and 300 phases) run by the `tollgate` binary, against the git command
/// line doing the same branch, commit, squash and delete work with the same agent, in one run.
///
/// Each job starts from a 100-file workspace; the agent (a `/bin/sh` script, the same on both sides) writes one file
/// a phase and reports the job complete at the last phase. Per-phase cost comes from the job's own trail (the
/// `phase.started` times of `tollgate log --json`); peak RSS is the `tollgate run` process's own, its `VmHWM` read
/// while it runs (`wait4`'s figure also holds this process's high-water mark, which a vfork child inherits at its
/// `exec`: after the in-process sections of a whole bench run it read 190 MB for every job).
enum JobBench {
    /// Job lengths, in phases.
    static let lengths = [10, 100, 300]
    /// Files in the workspace every job starts from.
    static let workspaceFiles = 100
    /// Phases whose cost is compared (a median over each window): around phase 10 and around phase 300.
    ///
    /// A phase's cost is the time from its start to the next phase's start.
    static let earlyWindow = 5...14
    static let lateWindow = 290...299

    static func run() throws {
        let binary = try tollgateBinary()
        let home = repositoryRoot()
        print("## job: whole full-autonomy jobs, tollgate binary vs git command line")
        print("")
        var load = [0.0, 0.0, 0.0]
        if getloadavg(&load, 3) == 3 {
            print(String(format: "load average before: %.2f %.2f %.2f", load[0], load[1], load[2]))
        }
        print("job = \(workspaceFiles)-file workspace; per phase: branch from main, agent writes one file, commit,")
        print("squash into main, delete the branch. git CLI = the same steps and the same agent, one git process each.")
        print("")
        print("workspaces under \(FileManager.default.temporaryDirectory.path) (TMPDIR)")
        print(FileSystemKind.describe(FileManager.default.temporaryDirectory))
        print("")
        print(row("phases", "tollgate", "git CLI", "CLI/tg", "state commits", "peak RSS", ".git tg / CLI"))
        var perPhase: [(phases: Int, early: Double?, late: Double?)] = []
        var runs: [(phases: Int, tollgate: Double, cli: Double, rss: Int, git: Int, cliGit: Int, packs: Int)] = []
        var commandLinePhases: [Double] = []
        var trailReads: [(phases: Int, status: Double, log: Double)] = []
        var commandLineCPU: [Double] = []
        // Workspaces are deleted when the section is over, not between jobs: deleting one frees thousands of inodes,
        // and on an ext4 without a journal every file created in the next seconds to minutes skips each recently
        // freed inode one by one (`recently_deleted`), which slowed whichever job ran next (tollgate's) by tens of
        // percent.
        var workspaces: [URL] = []
        defer { for root in workspaces { try? FileManager.default.removeItem(at: root) } }
        for phases in lengths {
            let (root, agent) = try jobFolder(phases: phases, workspaces: &workspaces)

            // tollgate
            let job = root.appendingPathComponent("tollgate/job")
            let environment = hermeticEnvironment()
            let jobRun = try tollgateJob(at: job, phases: phases, agent: agent, binary: binary, home: home)
            let status = try Spawn.run(
                [binary.path, "status", job.path, "--home", home.path],
                environment: environment
            )
            guard status.status == 0 else { throw BenchError("tollgate status exited with \(status.status)") }
            let (log, starts) = try trail(
                of: job,
                into: root.appendingPathComponent("log.ndjson"),
                binary: binary,
                home: home,
                environment: environment
            )
            trailReads.append((phases, status.seconds, log.seconds))
            let early = earlyWindow.clamped(to: 1...(phases - 1))
            perPhase.append((phases, medianPhase(starts, in: early), medianPhase(starts, in: lateWindow)))
            let repository = try Repository.open(at: job)
            guard let tip = try repository.resolve(reference: "refs/heads/tollgate/state") else {
                throw BenchError("the job has no tollgate/state")
            }
            let stateCommits = try repository.log(from: tip).count
            let ourSize = try diskUsage(job.appendingPathComponent(".git"))
            let packs = try repository.packs().count

            // git command line
            let plain = root.appendingPathComponent("cli/job")
            try FileManager.default.createDirectory(at: plain, withIntermediateDirectories: true)
            let (cliSeconds, cliCPU, cliWall) = try commandLineJob(
                at: plain,
                phases: phases,
                agent: agent,
                scratch: root
            )
            if phases >= 300 {
                commandLineCPU = cliCPU
                commandLinePhases = cliWall
            }
            let theirSize = try diskUsage(plain.appendingPathComponent(".git"))

            print(
                row(
                    "\(phases)",
                    String(format: "%.2f s", jobRun.seconds),
                    String(format: "%.2f s", cliSeconds),
                    String(format: "%.2f×", cliSeconds / jobRun.seconds),
                    String(format: "%d (%.1f/phase)", stateCommits, Double(stateCommits) / Double(phases)),
                    megabytes(jobRun.ownPeakBytes ?? jobRun.maxResidentBytes),
                    "\(megabytes(ourSize)) / \(megabytes(theirSize))"
                )
            )
            let peak = jobRun.ownPeakBytes ?? jobRun.maxResidentBytes
            runs.append((phases, jobRun.seconds, cliSeconds, peak, ourSize, theirSize, packs))
        }
        let reversed = try reversedPair(phases: 300, binary: binary, home: home, workspaces: &workspaces)
        print(
            String(
                format: "300 phases again, the git CLI first: tollgate %.2f s, git CLI %.2f s (%.2f×)",
                reversed.tollgate,
                reversed.cli,
                reversed.cli / reversed.tollgate
            )
        )
        print("")
        print("cost of one phase (median of the phases around it, from the trail's phase.started times):")
        for entry in perPhase {
            let early = entry.early.map(GitBench.milliseconds) ?? "-"
            let late = entry.late.map(GitBench.milliseconds) ?? "-"
            let window = earlyWindow.clamped(to: 1...(entry.phases - 1))
            var line = "  \(entry.phases) phases: phases \(window.lowerBound)-\(window.upperBound) \(early)"
            if entry.late != nil { line += ", phases \(lateWindow.lowerBound)-\(lateWindow.upperBound) \(late)" }
            if let early = entry.early, let late = entry.late {
                line += String(format: " (%+.0f %%)", (late / early - 1) * 100)
            }
            print(line)
        }
        let ends = try phaseCost(binary: binary, home: home)
        if let ends { workspaces.append(ends.root) }
        if commandLineCPU.count >= 300 {
            let early = commandLineCPU[0..<10].reduce(0, +) / 10
            let late = commandLineCPU[290..<300].reduce(0, +) / 10
            print(
                "  git CLI, same work (300-phase job): phases 1-10 CPU \(GitBench.milliseconds(early)), "
                    + "phases 291-300 CPU \(GitBench.milliseconds(late)) a phase"
                    + String(format: " (%+.0f %%)", (late / early - 1) * 100)
            )
        }
        print("reading the job back (whole process): status, log --json")
        for entry in trailReads {
            print(
                "  \(entry.phases) phases: status \(GitBench.milliseconds(entry.status)), "
                    + "log \(GitBench.milliseconds(entry.log))"
            )
        }
        print("")
        printTargets(
            runs: runs,
            reversed: reversed,
            perPhase: perPhase,
            ends: ends,
            commandLinePhases: commandLinePhases
        )
        if getloadavg(&load, 3) == 3 {
            print(String(format: "load average after: %.2f %.2f %.2f", load[0], load[1], load[2]))
        }
        print("")
    }

    /// A new folder for one pair of `phases`-phase jobs (added to `workspaces`, deleted when the section ends) and the
    /// agent both sides run, written into it.
    static func jobFolder(phases: Int, workspaces: inout [URL]) throws -> (root: URL, agent: URL) {
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("tollgate-bench-job-\(UUID().uuidString.prefix(8))", isDirectory: true)
        workspaces.append(root)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let agent = root.appendingPathComponent("agent.sh")
        try Data(agentScript(lastPhase: phases).utf8).write(to: agent)
        guard chmod(agent.path, 0o755) == 0 else { throw BenchError("cannot make \(agent.path) executable") }
        return (root, agent)
    }

    /// `tollgate init` and `tollgate run` of a `phases`-phase job at `full` autonomy in `job`; the run's result.
    static func tollgateJob(at job: URL, phases: Int, agent: URL, binary: URL, home: URL) throws -> Spawn.Result {
        try FileManager.default.createDirectory(at: job, withIntermediateDirectories: true)
        try GitBench.writeWorkspace(at: job, files: workspaceFiles)
        let environment = hermeticEnvironment()
        let initRun = try Spawn.run(
            [
                binary.path, "init", job.path, "--home", home.path, "--autonomy", "full", "--agent", agent.path,
                "--description", "bench job", "--set", "maxPhases=\(phases + 1)",
            ],
            environment: environment
        )
        guard initRun.status == 0 else { throw BenchError("tollgate init exited with \(initRun.status)") }
        let jobRun = try Spawn.run(
            [binary.path, "run", job.path, "--home", home.path],
            environment: environment,
            samplingPeak: true
        )
        guard jobRun.status == 0 else { throw BenchError("tollgate run exited with \(jobRun.status)") }
        return jobRun
    }

    /// The 300-phase pair again in the other order, the git command line first: (tollgate, git CLI) seconds.
    ///
    /// Whichever job runs second pays for the files the first one deleted: on an ext4 without a journal every file
    /// created in the next minute (six, while the freed inodes' table blocks are not written back) walks them
    /// (`recently_deleted`), and in the first pair tollgate's 300-phase job follows the command line's 100-phase one.
    /// Timing each side once first and once second (A B B A) cancels that order; the ratio is of the two sides' sums.
    static func reversedPair(phases: Int, binary: URL, home: URL, workspaces: inout [URL]) throws -> (
        tollgate: Double, cli: Double
    ) {
        let (root, agent) = try jobFolder(phases: phases, workspaces: &workspaces)
        let plain = root.appendingPathComponent("cli/job")
        try FileManager.default.createDirectory(at: plain, withIntermediateDirectories: true)
        let cli = try commandLineJob(at: plain, phases: phases, agent: agent, scratch: root).seconds
        let tollgate = try tollgateJob(
            at: root.appendingPathComponent("tollgate/job"),
            phases: phases,
            agent: agent,
            binary: binary,
            home: home
        ).seconds
        return (tollgate, cli)
    }

    /// Issue 8's targets, each with the figure this run measured and whether it is met.
    static func printTargets(
        runs: [(phases: Int, tollgate: Double, cli: Double, rss: Int, git: Int, cliGit: Int, packs: Int)],
        reversed: (tollgate: Double, cli: Double),
        perPhase: [(phases: Int, early: Double?, late: Double?)],
        ends: (early: Double, late: Double, growth: Double, root: URL)?,
        commandLinePhases: [Double]
    ) {
        func verdict(_ met: Bool) -> String { met ? "met" : "MISSED" }
        print("issue 8's targets, this run:")
        if let long = runs.first(where: { $0.phases == 300 }) {
            let tollgate = long.tollgate + reversed.tollgate
            let cli = long.cli + reversed.cli
            let ratio = cli / tollgate
            print(
                String(
                    format: "  300-phase job, each side once first and once second: tollgate %.2f + %.2f s, git CLI "
                        + "%.2f + %.2f s: tollgate %.2f× faster (target ≥ 3×): %@",
                    long.tollgate,
                    reversed.tollgate,
                    long.cli,
                    reversed.cli,
                    ratio,
                    verdict(ratio >= 3)
                )
            )
            let size = Double(long.git) / Double(max(long.cliGit, 1))
            print(
                "  .git at 300 phases: \(megabytes(long.git)) / \(megabytes(long.cliGit)) = "
                    + String(format: "%.2f×", size) + " the git CLI's (target ≤ 2×, \(long.packs) packs): "
                    + verdict(size <= 2)
            )
        }
        if let cost = perPhase.first(where: { $0.phases == 300 }), let early = cost.early, let late = cost.late {
            var line =
                "  (one job, for comparison: phases \(lateWindow.lowerBound)-\(lateWindow.upperBound) vs "
                + "\(earlyWindow.lowerBound)-\(earlyWindow.upperBound), median wall: "
                + "\(GitBench.milliseconds(early)) → \(GitBench.milliseconds(late)), "
                + String(format: "%+.0f %%", (late / early - 1) * 100)
            if commandLinePhases.count >= lateWindow.upperBound {
                let cliEarly = GitBench.median(earlyWindow.map { commandLinePhases[$0 - 1] })
                let cliLate = GitBench.median(lateWindow.map { commandLinePhases[$0 - 1] })
                line +=
                    "; git CLI \(GitBench.milliseconds(cliEarly)) → \(GitBench.milliseconds(cliLate))"
                    + String(format: " (%+.0f %%)", (cliLate / cliEarly - 1) * 100)
            }
            print(line + ")")
        }
        if let ends {
            print(
                "  phase cost, phases 292-299 vs 2-9 (back-to-back legs, median of rounds): "
                    + "\(GitBench.milliseconds(ends.early)) → \(GitBench.milliseconds(ends.late)), "
                    + String(format: "%+.0f %%", ends.growth * 100) + " (target within 15 %): "
                    + verdict(abs(ends.growth) <= 0.15)
            )
        }
        let sizes = runs.filter { [10, 300].contains($0.phases) }
        if !sizes.isEmpty {
            let rss = sizes.map { "\(megabytes($0.rss)) at \($0.phases)" }.joined(separator: ", ")
            print("  peak RSS: \(rss) (target ≤ 60 MB): " + verdict(sizes.allSatisfy { $0.rss <= 60 * 1_048_576 }))
        }
    }

    /// What one phase costs at both ends of a 300-phase job, measured so that the machine's drift cancels out.
    ///
    /// A single job runs its phase 10 and its phase 300 seconds apart, and this machine's speed wanders by tens of
    /// percent over seconds to minutes (the git command line's own phases 5-14 and 290-299 have come out 6 % apart
    /// one way or 48 % the other), so a comparison within one job mostly measures the drift. Here each round runs,
    /// back to back, phases 1-10 of a new job and phases 291-300 of a job brought to phase 290 beforehand, each leg
    /// a `tollgate run` of its own (the agent fails once at phase 11 or 291, which ends the job's run). A phase's
    /// cost is the time from its start to the next phase's start (the trail's `phase.started`), leaving out each
    /// leg's first phase (the process is new); per round, the two ends are compared, and the rounds' median is the
    /// figure. CPU is per leg, the process and its agents, start included.
    /// - Returns: the figure (nil when a leg's trail lacks a phase) and the folder it worked in, for the caller to
    ///   delete.
    static func phaseCost(binary: URL, home: URL) throws -> (
        early: Double, late: Double, growth: Double, root: URL
    )? {
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("tollgate-bench-legs-\(UUID().uuidString.prefix(8))", isDirectory: true)
        let environment = hermeticEnvironment()
        func tollgate(_ arguments: String...) throws -> Spawn.Result {
            try Spawn.run([binary.path] + arguments + ["--home", home.path], environment: environment)
        }
        /// A new 300-phase job whose agent fails once at `stop`.
        func newJob(_ name: String, stoppingAt stop: Int) throws -> URL {
            let folder = root.appendingPathComponent(name)
            let job = folder.appendingPathComponent("job")
            try FileManager.default.createDirectory(at: job, withIntermediateDirectories: true)
            let agent = folder.appendingPathComponent("agent.sh")
            let stops = folder.appendingPathComponent("stops")
            try Data("\(stop)\n".utf8).write(to: stops)
            try Data(agentScript(lastPhase: 300, failingOnceAt: stops).utf8).write(to: agent)
            guard chmod(agent.path, 0o755) == 0 else { throw BenchError("cannot make \(agent.path) executable") }
            try GitBench.writeWorkspace(at: job, files: workspaceFiles)
            let created = try tollgate(
                "init",
                job.path,
                "--autonomy",
                "full",
                "--agent",
                agent.path,
                "--set",
                "maxPhases=301"
            )
            guard created.status == 0 else { throw BenchError("tollgate init exited with \(created.status)") }
            return job
        }
        /// Runs one leg and returns its result and the cost of each of `phases` but the first.
        func leg(_ job: URL, phases: ClosedRange<Int>, status: Int32) throws -> (Spawn.Result, [Double]) {
            let run = try tollgate("run", job.path)
            guard run.status == status else { throw BenchError("tollgate run (\(phases)) exited with \(run.status)") }
            let (_, starts) = try trail(
                of: job,
                into: job.deletingLastPathComponent().appendingPathComponent("log.ndjson"),
                binary: binary,
                home: home,
                environment: environment
            )
            return (run, phaseDurations(starts, in: (phases.lowerBound + 1)...(phases.upperBound - 1)))
        }
        let rounds = 3
        let fresh = try (0..<rounds).map { try newJob("early-\($0)", stoppingAt: 11) }
        let long = try (0..<rounds).map { try newJob("late-\($0)", stoppingAt: 291) }
        for job in long {
            let upTo290 = try tollgate("run", job.path)
            guard upTo290.status == 1 else { throw BenchError("tollgate run (1-290) exited with \(upTo290.status)") }
        }
        var early: [Double] = []
        var late: [Double] = []
        var ratios: [Double] = []
        var cpu: (early: Double, late: Double) = (0, 0)
        for round in 0..<rounds {
            let (first, firstCosts) = try leg(fresh[round], phases: 1...10, status: 1)
            let (last, lastCosts) = try leg(long[round], phases: 291...300, status: 0)
            guard firstCosts.count == 8, lastCosts.count == 8 else { return nil }
            let (a, b) = (trimmedMean(firstCosts), trimmedMean(lastCosts))
            early.append(a)
            late.append(b)
            ratios.append(b / a - 1)
            cpu.early += first.cpuSeconds / 10
            cpu.late += last.cpuSeconds / 10
        }
        let growth = GitBench.median(ratios)
        print(
            "cost of one phase at both ends of 300-phase jobs, \(rounds) rounds of back-to-back legs (phases 1-10 of a"
        )
        print("new job, phases 291-300 of one brought to 290 first; each leg a process):")
        for round in 0..<rounds {
            print(
                "  round \(round + 1): phases 2-9 \(GitBench.milliseconds(early[round])), phases 292-299 "
                    + "\(GitBench.milliseconds(late[round]))" + String(format: " (%+.0f %%)", ratios[round] * 100)
            )
        }
        print(
            "  CPU a phase (tollgate + agents, the process's start included): phases 1-10 "
                + "\(GitBench.milliseconds(cpu.early / Double(rounds))), phases 291-300 "
                + "\(GitBench.milliseconds(cpu.late / Double(rounds)))"
                + String(format: " (%+.0f %%)", (cpu.late / cpu.early - 1) * 100)
        )
        return (GitBench.median(early), GitBench.median(late), growth, root)
    }

    /// The mean of `values` without their smallest and largest (the trail's times are to the millisecond, so a
    /// median of phases of 10 to 20 ms moves in steps of 5 to 10 %; a mean does not).
    static func trimmedMean(_ values: [Double]) -> Double {
        let kept = values.sorted().dropFirst().dropLast()
        return kept.isEmpty ? .nan : kept.reduce(0, +) / Double(kept.count)
    }

    // MARK: - The git command line side

    /// Runs the same job with the git command line; returns the seconds it took (the workspace setup excluded) and
    /// the CPU seconds of each phase (git and the agent).
    static func commandLineJob(
        at directory: URL,
        phases: Int,
        agent: URL,
        scratch: URL
    ) throws -> (seconds: Double, cpuPerPhase: [Double], wallPerPhase: [Double]) {
        let git = CommandLineGit(directory: directory)
        try git.run("init", "-q", "-b", "main")
        try GitBench.writeWorkspace(at: directory, files: workspaceFiles)
        try git.run("add", "-A")
        try git.run("commit", "-q", "-m", "Start job")
        let outcome = scratch.appendingPathComponent("cli-outcome.json")
        let start = ContinuousClock.now
        var cpuPerPhase: [Double] = []
        var wallPerPhase: [Double] = []
        for phase in 1...phases {
            let phaseStart = ContinuousClock.now
            let type = phase.isMultiple(of: 2) ? "tactical" : "strategic"
            let branch = "phase-\(phase)-\(type)"
            var cpu = try git.run("checkout", "-q", "-b", branch, "main")
            var environment = hermeticEnvironment()
            environment["TOLLGATE_PHASE"] = "\(phase)"
            environment["TOLLGATE_PHASE_TYPE"] = type
            environment["TOLLGATE_OUTCOME"] = outcome.path
            let ran = try Spawn.run(
                ["/bin/sh", "-c", "cd \"$1\" && exec \"$2\"", "sh", directory.path, agent.path],
                environment: environment
            )
            guard ran.status == 0 else { throw BenchError("the agent exited with \(ran.status)") }
            cpu += ran.cpuSeconds
            cpu += try git.run("add", "-A")
            cpu += try git.run("commit", "-q", "-m", "Phase \(phase) (\(type)) work")
            cpu += try git.run("checkout", "-q", "main")
            cpu += try git.run("merge", "-q", "--squash", branch)
            cpu += try git.run("commit", "-q", "-m", "Phase \(phase) (\(type)): bench")
            cpu += try git.run("branch", "-q", "-D", branch)
            cpuPerPhase.append(cpu)
            wallPerPhase.append(GitBench.seconds(ContinuousClock.now - phaseStart))
        }
        return (GitBench.seconds(ContinuousClock.now - start), cpuPerPhase, wallPerPhase)
    }

    // MARK: - Helpers

    /// The agent both sides run: one file a phase, the job complete at `lastPhase`; with `failingOnceAt`, a file of
    /// phase numbers, it fails the first run of each of those phases.
    static func agentScript(lastPhase: Int, failingOnceAt stops: URL? = nil) -> String {
        var stop = ""
        if let stops {
            stop = """
                if grep -qx "$n" "\(stops.path)" && [ ! -e "\(stops.path).$n" ]; then : > "\(stops.path).$n"; exit 1; fi

                """
        }
        return """
            #!/bin/sh
            set -e
            n="$TOLLGATE_PHASE"
            \(stop)mkdir -p out
            echo "output of phase $n ($TOLLGATE_PHASE_TYPE)" > "out/phase-$n.txt"
            complete=false
            if [ "$n" -ge \(lastPhase) ]; then complete=true; fi
            printf '{"summary": "Phase %s", "details": "Wrote out/phase-%s.txt.", "jobComplete": %s}\\n' \\
              "$n" "$n" "$complete" > "$TOLLGATE_OUTCOME"

            """
    }

    /// This process's environment without `TOLLGATE_*` and with no system or user git configuration.
    static func hermeticEnvironment() -> [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("TOLLGATE_") }
        environment["GIT_CONFIG_NOSYSTEM"] = "1"
        environment["GIT_CONFIG_GLOBAL"] = "/dev/null"
        return environment
    }

    /// The `tollgate` executable built beside this one.
    static func tollgateBinary() throws -> URL {
        let executable = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
        let binary = executable.deletingLastPathComponent().appendingPathComponent("tollgate")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw BenchError("no tollgate beside \(executable.path); build it first (swift build -c release)")
        }
        return binary
    }

    /// The source tree's root (where `config/` and `Templates/` are), from this file's path.
    static func repositoryRoot(filePath: String = #filePath) -> URL {
        URL(fileURLWithPath: filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    /// The `at` time of each `phase.started` event, by phase (the first start of each).
    static func phaseStarts(in log: Data) throws -> [Int: Date] {
        struct Line: Decodable {
            var type: String
            var at: String
            var phase: Int?
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var starts: [Int: Date] = [:]
        for line in log.split(separator: 0x0A) where !line.isEmpty {
            let event = try JSONDecoder().decode(Line.self, from: Data(line))
            guard event.type == "phase.started", let phase = event.phase, starts[phase] == nil,
                let date = formatter.date(from: event.at)
            else { continue }
            starts[phase] = date
        }
        return starts
    }

    /// The median time from one phase's start to the next one's, over the phases of `window`; nil when the job is
    /// shorter than the window.
    static func medianPhase(_ starts: [Int: Date], in window: ClosedRange<Int>) -> Double? {
        let durations = phaseDurations(starts, in: window)
        return durations.count == window.count ? GitBench.median(durations) : nil
    }

    /// The time from each start of the phases of `window` to the next phase's, for those the trail has both of.
    static func phaseDurations(_ starts: [Int: Date], in window: ClosedRange<Int>) -> [Double] {
        window.compactMap { phase -> Double? in
            guard let start = starts[phase], let end = starts[phase + 1] else { return nil }
            return end.timeIntervalSince(start)
        }
    }

    /// Writes `tollgate log --json` of `job` to `file` and reads each phase's first start from it.
    static func trail(
        of job: URL,
        into file: URL,
        binary: URL,
        home: URL,
        environment: [String: String]
    ) throws -> (log: Spawn.Result, starts: [Int: Date]) {
        let log = try Spawn.run(
            [binary.path, "log", job.path, "--json", "--home", home.path],
            environment: environment,
            output: file
        )
        guard log.status == 0 else { throw BenchError("tollgate log exited with \(log.status)") }
        return (log, try phaseStarts(in: Data(contentsOf: file)))
    }

    /// Bytes on disk under `directory` (allocated blocks, as `du` counts them).
    static func diskUsage(_ directory: URL) throws -> Int {
        guard let walker = FileManager.default.enumerator(atPath: directory.path) else {
            throw BenchError("cannot list \(directory.path)")
        }
        var total = 0
        while let relative = walker.nextObject() as? String {
            var info = stat()
            guard lstat(directory.appendingPathComponent(relative).path, &info) == 0 else { continue }
            total += Int(info.st_blocks) * 512
        }
        return total
    }

    static func megabytes(_ bytes: Int) -> String {
        String(format: "%.1f MB", Double(bytes) / 1_048_576)
    }

    static func row(_ cells: String...) -> String {
        let widths = [7, 10, 10, 8, 20, 10, 16]
        return zip(cells, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: " ")
    }
}
