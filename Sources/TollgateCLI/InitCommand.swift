import Foundation
import TollgateCore
import TollgateEngine

/// `tollgate init DIR`: creates the job and says what to do next.
enum InitCommand {
    static func run(directory: URL, options: JobOptions, resources: ResourceBundle, output: Output) async throws
        -> ExitCode
    {
        let session = try await JobSession.create(at: directory, options: options, resources: resources)
        let state = try session.state
        output.out("created job \(state.id) in \(directory.path)")
        output.out("  autonomy \(state.autonomy.rawValue): \(state.autonomy.rule)")
        output.out("  agent: \(try session.config[ConfigKeys.agentCommand])")
        output.out("  review host: \(state.reviewHost)")
        for warning in session.warnings { output.err("warning: \(warning)") }
        output.out("next: tollgate run \(ShellQuoting.quoted(directory.path))")
        return .success
    }
}
