import Foundation
import TollgateCore
import TollgateEngine

/// `tollgate resume DIR`: reads the verdict on the open review and acts on it, then drives the job as `run` does.
enum ResumeCommand {
    static func run(directory: URL, live: LiveProgress?, resources: ResourceBundle, output: Output) async throws
        -> ExitCode
    {
        let session = try JobSession.open(at: directory, resources: resources, exclusive: true, output: output)
        let before = try session.state
        if before.status != .pendingReview {
            let path = ShellQuoting.quoted(directory.path)
            switch before.status {
            case .created:
                output.err(
                    "tollgate: job \(before.id) has not started, so no review is open and resume changes nothing. "
                        + "Start it with `tollgate run \(path)`."
                )
                return .failure
            case .completed:
                output.out("job \(before.id) is completed: nothing is left to resume.")
                return .success
            case .cancelled:
                output.err("tollgate: job \(before.id) was cancelled: nothing is left to resume.")
                return .failure
            case .running, .failed, .blocked, .pendingReview:
                // A resume cut short (a crash, Ctrl-C) is finished by running resume again (DESIGN §6).
                output.out("job \(before.id) is \(before.status.rawValue), not awaiting review: continuing it.")
            }
        }
        return try await RunCommand.drive(session, readVerdict: true, live: live, directory: directory, output: output)
    }
}
