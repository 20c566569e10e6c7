import Foundation
import TollgateCore
import TollgateEngine

/// `tollgate review DIR VERDICT`: a verdict on the local host's open review.
enum ReviewCommand {
    /// Reads `review [DIR] VERDICT [--message TEXT] [--comment PATH:LINE:TEXT]... [--as NAME]`.
    static func parse(_ scanner: inout OptionScanner) throws(UsageError) -> Invocation.Command {
        let name = "review"
        let message = try scanner.value("--message")
        let comments = try scanner.values("--comment").map { spec throws(UsageError) in
            do throws(InlineCommentSpec.Problem) {
                return try InlineCommentSpec(parsing: spec)
            } catch {
                throw UsageError(error.description, command: name)
            }
        }
        let reviewer = try scanner.value("--as")
        if let reviewer, let problem = CommitText.problem(withName: reviewer) {
            throw UsageError(
                "--as names the reviewer in the commit's Reviewed-by trailer and must be one line: \(problem)",
                command: name
            )
        }
        // `review [DIR] VERDICT`: the directory defaults to the current one, as for every command.
        let positionals = scanner.positionals
        guard positionals.count == 1 || positionals.count == 2, let verdict = positionals.last else {
            throw UsageError(
                "review takes a job directory (default: the current one) and one of approve, request-changes, "
                    + "comment, close",
                command: name
            )
        }
        guard let action = LocalReviewHost.Action(rawValue: verdict) else {
            throw UsageError(
                "unknown verdict '\(verdict)': use approve, request-changes, comment or close",
                command: name
            )
        }
        scanner.positionals = []
        return .review(
            directory: positionals.count == 2 ? positionals[0] : ".",
            action: action,
            message: message,
            comments: comments,
            reviewer: reviewer
        )
    }

    static func run(
        directory: URL,
        action: LocalReviewHost.Action,
        message: String?,
        comments: [InlineCommentSpec],
        reviewer: String,
        resources: ResourceBundle,
        output: Output
    ) throws -> ExitCode {
        let session = try JobSession.open(at: directory, resources: resources, exclusive: true, output: output)
        let line = try session.review(
            action,
            reviewer: reviewer,
            message: message,
            comments: comments
        )
        output.out(line)
        output.out("next: tollgate resume \(directory.path)")
        return .success
    }
}
