import Foundation
import Testing
import TollgateEngine
import TollgateTestSupport

/// A job whose revision loop is killed at one of its fault points and run again ends like a job that was never
/// killed: the same `main`, the same events, the same critique files, every finished critic and agent run reused
/// (none runs twice) and one `critique.finished` event per critiqued phase.
///
/// The job: full autonomy, the example agent and critic behind wrappers that count their runs. Phases 1 and 3 are
/// strategic and critiqued; each first plan scores below the threshold, the agent revises it once, and the revision
/// ships.
@Suite(.runsProcesses)
struct CritiqueCrashTests {
    /// A fault point, the hit of it that ends the process, and where the loop stands when it does.
    struct Case: Sendable, CustomTestStringConvertible {
        var point: FaultPoint
        var hit: Int
        /// The critiqued phase the crash lands in.
        var phase: Int
        /// What the loop's private records must show at the crash.
        var persisted: Persisted

        enum Persisted: Sendable {
            /// The first critique is saved; no iteration started.
            case firstCritique
            /// Iteration 1's critique is saved; the iteration's record does not have it yet.
            case iterationCritique
            /// Iteration 1's revision is recorded; its critique has not run.
            case revision
            /// Iteration 1 is recorded with its critique; the loop has no summary yet.
            case iteration
        }

        var testDescription: String { "\(point.rawValue)@\(hit)" }
        var fault: String { "\(point.rawValue)@\(hit)" }
    }

    static let cases: [Case] = [
        Case(point: .afterCritiqueStep, hit: 1, phase: 1, persisted: .firstCritique),
        Case(point: .afterCritiqueStep, hit: 2, phase: 1, persisted: .iterationCritique),
        Case(point: .afterRevision, hit: 1, phase: 1, persisted: .revision),
        Case(point: .afterRevision, hit: 2, phase: 3, persisted: .revision),
        Case(point: .afterIteration, hit: 1, phase: 1, persisted: .iteration),
        Case(point: .afterIteration, hit: 2, phase: 3, persisted: .iteration),
    ]

    /// What a finished job looks like, with the loop's timings masked (they differ from run to run).
    struct Fingerprint: Equatable, Sendable {
        /// `git ls-tree -r main`, with each blob's masked contents instead of its id.
        var main: [String: String]
        var workingTree: [String: String]
        /// Type, phase and revision of every event.
        var events: [String]
        /// The data of each `critique.finished`, without its latency.
        var critiques: [[String: String]]
        /// One line per critic run.
        var criticRuns: Int
        /// `<phase> <mode>` per agent run.
        var agentRuns: [String]
    }

    /// Creates the job with counting wrappers around the example agent and critic.
    static func makeJob(_ label: String) async throws -> CLIJob {
        let job = try CLIJob(label)
        let critic = try job.script(
            "critic.sh",
            """
            #!/bin/sh
            unset TOLLGATE_FAULT
            echo run >> "\(job.directory.path("critic-runs.txt").path)"
            exec tollgate example-critic

            """
        )
        let agent = try job.script(
            "agent.sh",
            """
            #!/bin/sh
            unset TOLLGATE_FAULT
            echo "$TOLLGATE_PHASE $TOLLGATE_MODE" >> "\(job.directory.path("agent-runs.txt").path)"
            exec tollgate example-agent

            """
        )
        // Scripts run as `/bin/sh <path>`: one being written while another test spawns a process could be held open
        // by it ("text file busy") if it were executed itself.
        try await job.initialize([
            "--autonomy", "full", "--agent", "/bin/sh \(agent)", "--set", "critique.enabled=true",
            "--set", "critique.command=/bin/sh \(critic)",
        ])
        return job
    }

    static func fingerprint(_ job: CLIJob) async throws -> Fingerprint {
        var main: [String: String] = [:]
        for line in try await job.git("ls-tree", "-r", "--format=%(objectname) %(path)", "main").split(separator: "\n")
        {
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            main[parts[1]] = await masked(try job.git("cat-file", "-p", parts[0]))
        }
        let events = try await job.events()
        let critiques = events.filter { $0["type"] as? String == "critique.finished" }.map { event in
            var data = (event["data"] as? [String: String]) ?? [:]
            data["latencyMs"] = nil
            return data
        }
        return Fingerprint(
            main: main,
            workingTree: try job.workingTree().mapValues { masked(String(decoding: $0, as: UTF8.self)) },
            events: events.map { event in
                "\(event["type"] as? String ?? "?") phase \(event["phase"] as? Int ?? 0) rev \(event["revision"] as? Int ?? 0)"
            },
            critiques: critiques,
            criticRuns: try lines(job.directory.path("critic-runs.txt")).count,
            agentRuns: try lines(job.directory.path("agent-runs.txt"))
        )
    }

    /// `text` with the loop's timings replaced by `_`: `"latencyMs" : 243` in JSON, `| Time | 0.2 s |` in reports.
    static func masked(_ text: String) -> String {
        var result = text
        for (pattern, template) in [
            (#""latencyMs" ?: ?[0-9]+"#, #""latencyMs" : _"#), (#"\| Time \| [0-9.]+ s \|"#, "| Time | _ |"),
        ] {
            result = result.replacingOccurrences(of: pattern, with: template, options: .regularExpression)
        }
        return result
    }

    static func lines(_ file: URL) throws -> [String] {
        guard FileManager.default.fileExists(atPath: file.path) else { return [] }
        return try String(contentsOf: file, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    /// The job without a fault, run once for every case.
    static let reference = SharedResult { () async throws -> Fingerprint in
        let job = try await makeJob("critique-crash-reference")
        let run = try await job.tollgate("run", job.path)
        guard run.status == 0 else { throw GitCLI.Failure(description: "the reference job failed: \(run)") }
        return try await fingerprint(job)
    }

    @Test func theReferenceJobRevisesEachCritiquedPhaseOnce() async throws {
        let reference = try await Self.reference.get()
        // Phases 1 and 3: a first critique and one of the revision; a revision each.
        #expect(reference.criticRuns == 4)
        #expect(
            reference.agentRuns == ["1 work", "1 revise", "2 task", "2 task", "2 task", "2 task", "3 work", "3 revise"]
        )
        #expect(reference.critiques.count == 2)
        for data in reference.critiques {
            #expect(data["status"] == "shipped")
            #expect(data["iterations"] == "1")
            #expect(data["stopReason"] == "shipped")
            #expect(Int(data["tokens"] ?? "") ?? 0 > 0, "\(data)")
            #expect(Double(data["startComposite"] ?? "") ?? 10 < Double(data["composite"] ?? "") ?? 0, "\(data)")
        }
        #expect(reference.main["critique/phase-1/rev-1/summary.json"]?.contains(#""latencyMs" : _"#) == true)
    }

    @Test(arguments: cases)
    func aLoopKilledAtAFaultPointAndRunAgainEndsLikeOneThatWasNot(_ crash: Case) async throws {
        let expected = try await Self.reference.get()
        let job = try await Self.makeJob("critique-crash-\(crash.point.rawValue)-\(crash.hit)")

        let killed = try await job.tollgate(["run", job.path], environment: ["TOLLGATE_FAULT": crash.fault])
        #expect(killed.status == FaultPoint.exitStatus, "\(killed)")
        #expect(killed.stderr.contains("fault injected at \(crash.fault)"), "\(killed)")
        try checkPersisted(crash, in: job)

        let resumed = try await job.tollgate("run", job.path)
        #expect(resumed.status == 0, "\(resumed)")
        #expect(try await job.status()["status"] as? String == "completed")
        let actual = try await Self.fingerprint(job)
        #expect(actual.criticRuns == expected.criticRuns, "a finished critique ran again")
        #expect(actual.agentRuns == expected.agentRuns, "a finished revision ran again")
        #expect(actual.events == expected.events)
        #expect(actual.critiques == expected.critiques)
        #expect(Set(actual.main.keys) == Set(expected.main.keys))
        for (path, text) in expected.main where actual.main[path] != text {
            Issue.record("\(path) on main differs after a crash at \(crash.fault)")
        }
        #expect(Set(actual.workingTree.keys) == Set(expected.workingTree.keys))
        for (path, text) in expected.workingTree where actual.workingTree[path] != text {
            Issue.record("\(path) in the working tree differs after a crash at \(crash.fault)")
        }
    }

    /// Checks the loop's private records at the crash: the process ended where the case says.
    func checkPersisted(_ crash: Case, in job: CLIJob) throws {
        let loop = job.root.appendingPathComponent(
            ".git/tollgate/critique/phase-\(crash.phase)-strategic-1/rev-1/plan.md"
        )
        func exists(_ name: String) -> Bool {
            FileManager.default.fileExists(atPath: loop.appendingPathComponent(name).path)
        }
        let record = try? JSONSerialization.jsonObject(
            with: Data(contentsOf: loop.appendingPathComponent("iteration-1.json"))
        )
        let iteration = record as? [String: Any]
        #expect(!exists("loop.json"), "the loop of phase \(crash.phase) already finished")
        switch crash.persisted {
        case .firstCritique:
            #expect(exists("critique-0/step.json"))
            #expect(iteration == nil)
        case .iterationCritique:
            #expect(exists("critique-1/step.json"))
            #expect(iteration?["artifact"] is String)
            #expect(iteration?["critique"] == nil)
        case .revision:
            #expect(iteration?["artifact"] is String)
            #expect(iteration?["critique"] == nil)
            #expect(!exists("critique-1/step.json"))
        case .iteration:
            #expect(iteration?["critique"] is [String: Any])
        }
    }
}
