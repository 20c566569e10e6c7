import Foundation
import TollgateCore
import TollgateEngine

/// `tollgate demo [DIR]`: the main job on embedded defaults, start to finish, with the demo playing the reviewer.
enum DemoCommand {
    static func run(directory: URL?, home: String?, resources: ResourceBundle, output: Output) async throws
        -> ExitCode
    {
        let root = try directory ?? freshDirectory()
        if FileManager.default.fileExists(atPath: root.path),
            let contents = try? FileManager.default.contentsOfDirectory(atPath: root.path), !contents.isEmpty
        {
            throw EngineError.usage("\(root.path) is not empty; give `tollgate demo` a new directory (or none)")
        }
        let path = root.path
        output.out(
            "== tollgate demo: a guided job with the example agent and critic, reviewed on the local host"
        )
        output.out(
            "$ tollgate init \(path) --autonomy guided --agent \"tollgate example-agent\" "
                + "--set critique.enabled=true --set \"critique.command=tollgate example-critic\" "
                + "--set 'verify.gates=\(demoGates)'"
        )
        let options = JobOptions(
            autonomy: "guided",
            agent: "tollgate example-agent",
            description: "Write a short report in four steps (the demo job)",
            assignments: [
                "critique.enabled=true", "critique.command=tollgate example-critic", "verify.gates=\(demoGates)",
            ]
        )
        // The session (and its lock) ends at once: each later command opens the job anew, as a user's would.
        _ = try await JobSession.create(at: root, options: options, resources: resources)

        var step = 0
        var result = try await drive(root, resume: false, resources: resources, output: output)
        while true {
            step += 1
            guard case .frozen = result else { break }
            try actAsReviewer(root, firstReview: step == 1, resources: resources, output: output)
            result = try await drive(root, resume: true, resources: resources, output: output)
            if step > 12 { break }
        }
        let final = try JobSession.open(at: root, resources: resources, exclusive: false)
        let state = try final.state
        output.out("== job \(state.id): \(state.status.rawValue), \(state.merged.count) phase(s) merged into main")
        output.out("Inspect the result:")
        output.out("  git -C \(path) log main           # one squash commit per phase, with trailers")
        output.out("  git -C \(path) log tollgate/state # the job's story, one commit per transition")
        output.out("  tollgate log \(path)               # the evidence trail")
        output.out("  tollgate status \(path) --json")
        output.out("  git -C \(path) show main:verify/phase-2/rev-1/report.md  # the gates of the dispatched phase")
        switch result {
        case .completed: return .success
        case .frozen: return .frozen
        case .failed: return .failure
        case .blocked: return .blocked
        }
    }

    /// The demo's gate: the phase's changes against `main` have no whitespace errors.
    static let demoGates = #"[{"name":"diff-check","command":"git diff --check main HEAD"}]"#

    /// Looks at the frozen job and gives the verdict a reviewer would: changes on the first plan, approval after.
    private static func actAsReviewer(_ root: URL, firstReview: Bool, resources: ResourceBundle, output: Output) throws
    {
        let path = root.path
        let session = try JobSession.open(at: root, resources: resources, exclusive: true)
        let state = try session.state
        output.out(
            "-- frozen: \(state.phase) on \(state.branch), revision \(state.revision), status \(state.status.rawValue)"
        )
        let line: String
        if firstReview {
            let comment = "plan.md:7:Add the risks of this plan"
            output.out("$ tollgate review \(path) request-changes --comment '\(comment)' --as demo-reviewer")
            line = try session.review(
                .requestChanges,
                reviewer: "demo-reviewer",
                message: "Good start; one thing is missing.",
                comments: [try InlineCommentSpec(parsing: comment)]
            )
        } else {
            output.out("$ tollgate review \(path) approve --as demo-reviewer")
            line = try session.review(.approve, reviewer: "demo-reviewer", message: "Looks good.", comments: [])
        }
        output.out("   \(line)")
    }

    private static func drive(_ root: URL, resume: Bool, resources: ResourceBundle, output: Output) async throws
        -> JobSession.Result
    {
        output.out("$ tollgate \(resume ? "resume" : "run") \(root.path)")
        let session = try JobSession.open(at: root, resources: resources, exclusive: true)
        let result = try await session.run(readVerdict: resume) { line in output.out("   \(line)") }
        if case .failed(let cause) = result { output.err("tollgate: demo job failed: \(cause)") }
        return result
    }

    private static func freshDirectory() throws -> URL {
        let base = URL(fileURLWithPath: NSTemporaryDirectory(), isDirectory: true)
        let name = "tollgate-demo-\(UInt32.random(in: 0..<UInt32.max) % 1_000_000)"
        return base.appendingPathComponent(name, isDirectory: true)
    }
}
