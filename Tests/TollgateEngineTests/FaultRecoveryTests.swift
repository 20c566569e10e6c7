import Foundation
import Testing
import TollgateCore
import TollgateEngine
import TollgateTestSupport

/// DESIGN §6 in process: a job cut off at any fault point and started again finishes like one that was not.
///
/// The point throws where a process with `TOLLGATE_FAULT` would end, and the session is dropped as a killed process
/// loses it; the rerun must leave the same `main`, events, files and branches. The binary's own crashes are
/// `CrashSafetyTests`.
@Suite(.runsProcesses)
struct FaultRecoveryTests {
    /// A command of the script.
    enum Command: Sendable {
        case run, resume, requestChanges, approve
    }

    /// A guided job of two phases: changes asked on the first once, then each phase approved; every run and
    /// resume freezes but the last, which completes the job.
    static let script: [(Command, completes: Bool)] = [
        (.run, false), (.requestChanges, false), (.resume, false), (.approve, false), (.resume, false),
        (.approve, false), (.resume, true),
    ]

    /// Runs one command, again after each attempt the fault cut off; returns how many attempts it cut off.
    ///
    /// The fault stays armed while each attempt got further (a later hit of the point in the same command), then the
    /// command runs once without it.
    static func perform(_ command: Command, completes: Bool, on job: LocalJob, fault: FaultPoint?) async throws -> Int {
        var crashes = 0
        var refs = try references(job)
        var armed = fault
        while true {
            do {
                if let result = try await attempt(command, on: job, fault: armed) {
                    #expect(
                        completes ? result == .completed : result.isFrozen,
                        "\(command) with the fault \(fault?.rawValue ?? "none") ended \(result)"
                    )
                }
                return crashes
            } catch let injected as FaultPoint.Injected {
                #expect(injected.point == fault)
                crashes += 1
                let now = try references(job)
                if now == refs || crashes >= 40 { armed = nil }
                refs = now
            }
        }
    }

    private static func attempt(_ command: Command, on job: LocalJob, fault: FaultPoint?) async throws
        -> JobSession.Result?
    {
        let armed = fault.flatMap { FaultPoint.Spec($0.rawValue) }.map(FaultPoint.InProcess.init)
        return try await FaultPoint.$inProcess.withValue(armed) {
            switch command {
            case .run: return try await job.run()
            case .resume: return try await job.resume()
            case .requestChanges:
                try job.review(.requestChanges, comments: [(path: "work/phase-1.txt", line: 1, body: "Name the risks")])
                return nil
            case .approve:
                try job.review(.approve)
                return nil
            }
        }
    }

    static func drive(_ label: String, fault: FaultPoint?) async throws -> (LocalJob, JobFingerprint, Int) {
        let job = try await LocalJob(label, autonomy: .guided, completeAt: 2)
        var crashes = 0
        for (command, completes) in script {
            crashes += try await perform(command, completes: completes, on: job, fault: fault)
        }
        let events = try job.events.map { "\($0.type) phase \($0.phase ?? 0) rev \($0.revision ?? 0)" }
        let fingerprint = await JobFingerprint(
            mainTree: try job.git(["rev-parse", "main^{tree}"]),
            events: events,
            files: try JobFingerprint.files(under: job.root),
            branches: try job.git(["branch", "--format=%(refname:short)"])
        )
        return (job, fingerprint, crashes)
    }

    /// Every ref file and HEAD, read from the git directory: what an attempt that got further changed.
    static func references(_ job: LocalJob) throws -> [String: Data] {
        let git = job.root.appendingPathComponent(".git")
        var found = try JobFingerprint.files(under: git.appendingPathComponent("refs"))
        for name in ["HEAD", "packed-refs"] {
            found[name] = FileManager.default.contents(atPath: git.appendingPathComponent(name).path)
        }
        return found
    }

    @Test(arguments: FaultPoint.allCases.filter { $0.reach == .everyJob })
    func aJobCutOffAtAFaultPointFinishesLikeOneThatWasNot(_ fault: FaultPoint) async throws {
        let (_, expected, none) = try await Self.drive("fault-reference-\(fault.rawValue)", fault: nil)
        #expect(none == 0)
        let (job, actual, crashes) = try await Self.drive("fault-\(fault.rawValue)", fault: fault)
        #expect(crashes >= 1, "no command reached the fault point \(fault.rawValue)")
        #expect(try job.state.status == .completed)
        #expect(actual.differences(from: expected) == [], "after crashes at \(fault.rawValue)")
        // The reviewer's comment reached the agent's second revision of phase 1 despite the crashes.
        #expect(try job.capturedFeedback(branch: "phase-1-strategic", revision: 2).map(\.body) == ["Name the risks"])
    }
}
