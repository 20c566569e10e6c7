import Foundation
import Testing
import TollgateEngine
import TollgateTestSupport

/// DESIGN §6: a process killed at a fault point and started again finishes the same job, with the same `main`,
/// the same events and the same files as a job that never crashed.
@Suite(.runsProcesses)
struct CrashSafetyTests {
    /// The commands of a guided job with the example agent, from init to completed, and the exit status each ends with.
    static func script(_ path: String) -> [(arguments: [String], status: Int32)] {
        [
            (["init", path, "--autonomy", "guided", "--agent", "tollgate example-agent", "--description", "Crash"], 0),
            (["run", path], 3),
            (["review", path, "request-changes", "--comment", "plan.md:3:Name the risks", "--as", "ann"], 0),
            (["resume", path], 3),
            (["review", path, "approve", "--as", "ann"], 0),
            (["resume", path], 3),
            (["review", path, "approve", "--as", "ann"], 0),
            (["resume", path], 0),
        ]
    }

    /// Runs the script; with `fault`, every command is first run with `TOLLGATE_FAULT` and rerun without it when the
    /// fault ended it.
    ///
    /// Returns the fingerprint and how many commands the fault ended.
    static func drive(
        _ job: CLIJob,
        fault: FaultPoint?,
        script: (String) -> [(arguments: [String], status: Int32)] = script
    ) async throws -> (JobFingerprint, Int) {
        var crashes = 0
        for (arguments, expected) in script(job.path) {
            var result: ProcessResult
            if let fault {
                // Killed at the point, the command is run again with the fault as long as each crash got further
                // (a later hit of the same point in the same command), then once without it.
                var refs = try await Self.references(job)
                result = try await job.tollgate(arguments, environment: ["TOLLGATE_FAULT": fault.rawValue])
                while result.status == FaultPoint.exitStatus {
                    #expect(result.stderr.contains("fault injected at \(fault.rawValue)"))
                    crashes += 1
                    let now = try await Self.references(job)
                    let progressed = now != refs && crashes < 40
                    refs = now
                    result = try await job.tollgate(
                        arguments,
                        environment: progressed ? ["TOLLGATE_FAULT": fault.rawValue] : [:]
                    )
                }
            } else {
                result = try await job.tollgate(arguments)
            }
            #expect(
                result.status == expected,
                "\(arguments.first ?? "") with fault \(fault?.rawValue ?? "none"): \(result)"
            )
        }
        let events = try await job.events().map { event in
            "\(event["type"] as? String ?? "?") phase \(event["phase"] as? Int ?? 0) rev \(event["revision"] as? Int ?? 0)"
        }
        let fingerprint = await JobFingerprint(
            mainTree: try job.git("rev-parse", "main^{tree}"),
            events: events,
            files: try job.workingTree(),
            branches: try job.git("branch", "--format=%(refname:short)")
        )
        return (fingerprint, crashes)
    }

    /// The job without faults, driven once for every fault point's test.
    static let reference = SharedResult { () async throws -> JobFingerprint in
        let job = try CLIJob("crash-reference")
        let (fingerprint, crashes) = try await drive(job, fault: nil)
        guard crashes == 0, try await job.status()["status"] as? String == "completed" else {
            throw GitCLI.Failure(description: "the reference job did not complete")
        }
        return fingerprint
    }

    /// A job at `full` autonomy: every phase merges at once, so most of its transitions wait in memory for the next
    /// state commit (two a phase, `docs/state.md`); a crash loses them and the rerun does those steps again.
    static func fullScript(_ path: String) -> [(arguments: [String], status: Int32)] {
        [
            (["init", path, "--autonomy", "full", "--agent", "tollgate example-agent", "--description", "Crash"], 0),
            (["run", path], 0),
        ]
    }

    /// The full-autonomy job without faults.
    static let fullReference = SharedResult { () async throws -> JobFingerprint in
        let job = try CLIJob("crash-full-reference")
        let (fingerprint, crashes) = try await drive(job, fault: nil, script: fullScript)
        guard crashes == 0, try await job.status()["status"] as? String == "completed" else {
            throw GitCLI.Failure(description: "the full-autonomy reference job did not complete")
        }
        return fingerprint
    }

    /// The points a job reaches without a review.
    static let pointsWithoutReview: [FaultPoint] = [
        .afterBranch, .afterAgent, .afterCommit, .afterMerge, .afterFinish, .beforeStateUpdate,
    ]

    @Test(arguments: pointsWithoutReview)
    func aFullAutonomyJobKilledAtAFaultPointFinishesLikeOneThatWasNot(_ fault: FaultPoint) async throws {
        let expected = try await Self.fullReference.get()
        let job = try CLIJob("crash-full-\(fault.rawValue)")
        let (actual, crashes) = try await Self.drive(job, fault: fault, script: Self.fullScript)
        #expect(crashes >= 1, "no command reached the fault point \(fault.rawValue)")
        #expect(try await job.status()["status"] as? String == "completed")
        #expect(actual.mainTree == expected.mainTree)
        #expect(actual.events == expected.events)
        #expect(Set(actual.files.keys) == Set(expected.files.keys))
        for (path, data) in expected.files where actual.files[path] != data {
            Issue.record("\(path) differs after a crash at \(fault.rawValue)")
        }
        #expect(actual.branches == expected.branches)
        // Nothing duplicated (one squash a phase on main), and the repository whole.
        let subjects = try await job.git("log", "--format=%(trailers:key=Tollgate-Phase,valueonly)", "main")
            .split(separator: "\n").filter { !$0.isEmpty }
        #expect(subjects.count == Set(subjects).count, "\(subjects)")
        #expect(try await job.git("fsck", "--no-dangling").isEmpty)
    }

    /// Every ref and the checked-out branch: what a crash that got further than the last one changed.
    static func references(_ job: CLIJob) async throws -> String {
        guard FileManager.default.fileExists(atPath: job.root.appendingPathComponent(".git").path) else { return "" }
        let refs = try await GitCLI.runAllowingFailure(
            ["for-each-ref", "--format=%(refname) %(objectname)"],
            in: job.root
        )
        let head = try await GitCLI.runAllowingFailure(["symbolic-ref", "-q", "HEAD"], in: job.root)
        return refs.stdout + head.stdout
    }

    /// The binary killed for real at a few points (one before, during and after the state commit of a step); every
    /// point in turn is `FaultRecoveryTests`, in process.
    static let killedForReal: [FaultPoint] = [.afterAgent, .beforeStateUpdate, .afterMerge]

    @Test(arguments: killedForReal)
    func aJobKilledAtAFaultPointFinishesLikeOneThatWasNot(_ fault: FaultPoint) async throws {
        let expected = try await Self.reference.get()

        let job = try CLIJob("crash-\(fault.rawValue)")
        let (actual, crashes) = try await Self.drive(job, fault: fault)
        #expect(crashes >= 1, "no command reached the fault point \(fault.rawValue)")
        #expect(try await job.status()["status"] as? String == "completed")
        #expect(actual.differences(from: expected) == [], "after crashes at \(fault.rawValue)")
        // The answer to the review survived (the last plan rewrites plan.md itself).
        #expect(
            actual.files["review-responses.md"].map { String(decoding: $0, as: UTF8.self).contains("Name the risks") }
                == true
        )
    }
}
