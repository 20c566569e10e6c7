import Foundation
import TollgateCore
import TollgateEngine

/// `tollgate run DIR`: drives the job and reports where it stopped.
enum RunCommand {
    static func run(directory: URL, live: LiveProgress?, resources: ResourceBundle, output: Output) async throws
        -> ExitCode
    {
        let session = try JobSession.open(at: directory, resources: resources, exclusive: true, output: output)
        let before = try session.state
        if before.status == .pendingReview, let review = before.review {
            // Reads no verdict; publishes the state to the review host when a push was lost at the freeze (free when
            // the host already has it), so `run` catches up as `resume` does.
            _ = try await session.run(readVerdict: false) { line in output.out(line) }
            output.out("job \(before.id) is frozen awaiting review of \(before.branch) (\(review.host) #\(review.id)).")
            output.out(nextSteps(for: session, directory: directory))
            return .frozen
        }
        return try await drive(session, readVerdict: false, live: live, directory: directory, output: output)
    }

    /// Runs the job with live progress and reports the result (shared with `resume`).
    static func drive(
        _ session: JobSession,
        readVerdict: Bool,
        live: LiveProgress?,
        directory: URL,
        output: Output
    ) async throws -> ExitCode {
        let result = try await session.run(readVerdict: readVerdict, heartbeat: live?.beat) { line in
            live?.clear()
            output.out(line)
        }
        live?.clear()
        return report(result, session: session, directory: directory, output: output)
    }

    static func report(_ result: JobSession.Result, session: JobSession, directory: URL, output: Output) -> ExitCode {
        switch result {
        case .completed:
            output.out("job completed: \(directory.path)")
            return .success
        case .frozen(let review, let note):
            if let note { output.out(note) }
            output.out(
                "frozen awaiting review: \(review.host) review #\(review.id) of \((try? session.state.branch) ?? "") at \(review.head.prefix(10))"
            )
            output.out(nextSteps(for: session, directory: directory))
            return .frozen
        case .blocked(let message):
            output.err("tollgate: job blocked by a budget: \(message)")
            return .blocked
        case .failed(let cause):
            let path = ShellQuoting.quoted(directory.path)
            if let signal = ProcessGroups.interruption {
                output.err(
                    "tollgate: interrupted (\(ProcessGroups.name(of: signal))): \(stoppedAgents(session)) and every "
                        + "finished step is recorded; `tollgate run \(path)` goes on."
                )
                return .interrupted(by: signal)
            }
            output.err("tollgate: job failed: \(cause)")
            if (try? session.state.next) == nil {
                output.err("the job is over: nothing is left to run (see `tollgate log \(path)`).")
            } else {
                output.err("fix the cause, then `tollgate run \(path)` continues from the step that failed.")
            }
            return .failure
        }
    }

    /// Who was stopped by the interruption: the agents of the tasks still recorded running (each was stopped with
    /// it), or the agent.
    static func stoppedAgents(_ session: JobSession) -> String {
        guard let state = try? session.state, let plan = state.currentPlan else { return "the agent was stopped" }
        let stopped = plan.tasks.filter { $0.state == .running }.map(\.id)
        switch stopped.count {
        case 0: return "the agent was stopped"
        case 1: return "the agent of task \(stopped[0]) was stopped"
        default: return "the agents of tasks \(stopped.joined(separator: ", ")) were stopped"
        }
    }

    static func nextSteps(for session: JobSession, directory: URL) -> String {
        let path = ShellQuoting.quoted(directory.path)
        guard let review = try? session.state.review else { return "" }
        if review.host == .local {
            return """
                next: look at the branch (git -C \(path) diff main...\((try? session.state.branch) ?? "")), then
                  tollgate review \(path) approve
                  tollgate review \(path) request-changes --comment PATH:LINE:TEXT [--message TEXT]
                  tollgate review \(path) close --message TEXT
                and `tollgate resume \(path)`.
                """
        }
        return "next: review \(review.location), then `tollgate resume \(path)`."
    }
}
