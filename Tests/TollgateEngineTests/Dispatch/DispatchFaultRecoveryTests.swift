import Foundation
import Testing
import TollgateCore
import TollgateEngine
import TollgateTestSupport

/// DESIGN §10's crash safety in process: a dispatched phase cut off at a task's start, finish or landing, or after
/// a gate, and started again, finishes with the same `main`, no task run twice once it finished, one commit a task
/// on the phase branch, and one commit status a gate and state.
@Suite(.runsProcesses)
struct DispatchFaultRecoveryTests {
    enum Command: Sendable {
        case run, resume, approve
    }

    /// A dependent job: phase 1 approved, the dispatched phase 2 approved (it is checked while frozen), the final
    /// phase 3 approved; every run and resume freezes but the last.
    static let script: [Command] = [.run, .approve, .resume, .approve, .resume, .approve, .resume]

    static let gates =
        #"verify.gates=[{"name":"files","command":"test -f tasks/d.txt"},{"name":"count","command":"ls tasks | wc -l"}]"#

    struct Outcome {
        var fingerprint: JobFingerprint
        var crashes: Int
        /// What the frozen phase 2 branch held: the subjects of its commits.
        var phaseCommits: [String]
        var agent: PlanAgentRunner
        var host: InMemoryReviewHost
    }

    static func drive(_ label: String, fault: String?) async throws -> Outcome {
        let agent = PlanAgentRunner(
            plan: DispatchTests.diamond,
            tasks: [
                "a": .init(),
                "b": .init(duration: .milliseconds(60), requires: ["tasks/a.txt"]),
                "c": .init(duration: .milliseconds(30), requires: ["tasks/a.txt"]),
                "d": .init(requires: ["tasks/b.txt", "tasks/c.txt"]),
            ]
        )
        let host = InMemoryReviewHost()
        let job = try await LocalJob(
            label,
            autonomy: .dependent,
            assignments: ["dispatch.maxParallel=2", gates],
            host: host,
            runner: agent
        )
        var crashes = 0
        var phaseCommits: [String] = []
        for (index, command) in script.enumerated() {
            crashes += try await perform(
                command,
                on: job,
                host: host,
                fault: fault,
                completes: index == script.count - 1
            )
            if index == 2 {
                phaseCommits = try await job.git(["log", "--format=%s", "main..phase-2-tactical"])
                    .split(separator: "\n").map(String.init).sorted()
            }
        }
        let events = try job.events.map { "\($0.type) phase \($0.phase ?? 0) rev \($0.revision ?? 0)" }
        // The gates' report says how long each gate took and which commit it checked: it is left out.
        let tree = try await job.git(["ls-tree", "-r", "main"]).split(separator: "\n").filter {
            !$0.contains("\tverify/")
        }
        let fingerprint = JobFingerprint(
            mainTree: tree.joined(separator: "\n"),
            // Parallel tasks end in either order: the events are compared as a multiset.
            events: events.sorted(),
            files: try JobFingerprint.files(under: job.root).filter { !$0.key.hasPrefix("verify/") },
            branches: try await job.git(["branch", "--format=%(refname:short)"])
        )
        return Outcome(fingerprint: fingerprint, crashes: crashes, phaseCommits: phaseCommits, agent: agent, host: host)
    }

    /// Runs one command, again after each attempt the fault cut off, while each attempt gets further.
    static func perform(
        _ command: Command,
        on job: LocalJob,
        host: InMemoryReviewHost,
        fault: String?,
        completes: Bool
    ) async throws -> Int {
        var crashes = 0
        var refs = try FaultRecoveryTests.references(job)
        var armed = fault
        while true {
            let spec = armed.flatMap(FaultPoint.Spec.init).map(FaultPoint.InProcess.init)
            do {
                try await FaultPoint.$inProcess.withValue(spec) {
                    switch command {
                    case .run:
                        #expect(try await job.run().isFrozen)
                    case .resume:
                        let result = try await job.resume()
                        #expect(completes ? result == .completed : result.isFrozen, "\(result)")
                    case .approve:
                        let state = try job.state
                        let pull = try #require(host.pull(for: state.branch))
                        try host.submit(.approved, by: "ann", on: pull.number)
                    }
                }
                return crashes
            } catch let injected as FaultPoint.Injected {
                #expect(fault?.hasPrefix(injected.point.rawValue) == true)
                crashes += 1
                let now = try FaultRecoveryTests.references(job)
                if now == refs || crashes >= 40 { armed = nil }
                refs = now
            }
        }
    }

    @Test(arguments: [
        "after-task-start", "after-task-start@3", "after-task-finish", "after-task-finish@2", "after-task-merge",
        "after-task-merge@3", "after-gate", "after-gate@2",
    ])
    func aDispatchCutOffFinishesLikeOneThatWasNot(_ fault: String) async throws {
        let label = fault.replacingOccurrences(of: "@", with: "-")
        let expected = try await Self.drive("dispatch-fault-reference-\(label)", fault: nil)
        #expect(expected.crashes == 0)
        let actual = try await Self.drive("dispatch-fault-\(label)", fault: fault)
        #expect(actual.crashes >= 1, "no command reached \(fault)")
        #expect(actual.fingerprint.differences(from: expected.fingerprint) == [], "after crashes at \(fault)")
        // No task ran twice once it finished; one commit a task, one verify commit.
        for id in ["a", "b", "c", "d"] { #expect(actual.agent.runCount(of: id) == 1, "task \(id)") }
        #expect(actual.phaseCommits == expected.phaseCommits)
        #expect(actual.phaseCommits.filter { $0.hasPrefix("Task ") }.count == 4)
        #expect(actual.phaseCommits.filter { $0.contains(": verify, ") }.count == 1)
        // One commit status a commit, context and state.
        let keys = actual.host.statuses.map { "\($0.commit) \($0.status.context) \($0.status.state)" }
        #expect(Set(keys).count == keys.count, "a status was posted twice: \(keys)")
        #expect(actual.host.statuses.count == expected.host.statuses.count)
    }
}
