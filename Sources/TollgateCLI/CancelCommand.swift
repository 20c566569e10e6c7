import Foundation
import TollgateEngine

/// `tollgate cancel DIR [--message TEXT]`: ends the job, closing its open review and keeping every branch.
enum CancelCommand {
    static func run(directory: URL, message: String?, resources: ResourceBundle, output: Output) async throws
        -> ExitCode
    {
        let session = try JobSession.open(at: directory, resources: resources, exclusive: true, output: output)
        for line in try await session.cancel(message: message) { output.out(line) }
        return .success
    }
}
