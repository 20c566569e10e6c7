import Foundation
import TollgateCore
import TollgateEngine

/// `tollgate review DIR VERDICT`: a verdict on the local host's open review.
enum ReviewCommand {
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
