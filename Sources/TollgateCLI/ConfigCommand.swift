import Foundation
import TollgateCore
import TollgateEngine

/// `tollgate config DIR [--set KEY=VALUE]...`: the job's settings with their sources, or a change to them.
enum ConfigCommand {
    static func run(directory: URL, assignments: [String], resources: ResourceBundle, output: Output) throws
        -> ExitCode
    {
        let session = try JobSession.open(
            at: directory,
            resources: resources,
            exclusive: !assignments.isEmpty,
            output: output
        )
        guard !assignments.isEmpty else {
            // What the next run or resume uses: the `TOLLGATE_CRITIQUE_*` variables of this shell over the job's own.
            output.out(try session.effectiveConfig(environment: ProcessInfo.processInfo.environment).rendered())
            return .success
        }
        let changed = try session.configure(assignments: assignments)
        if changed.isEmpty { output.out("nothing changed") }
        for line in changed { output.out("set \(line)") }
        return .success
    }
}
