import Foundation
import Testing
import TollgateCore
import TollgateEngine
import TollgateTestSupport

/// A job on the local review host, driven in process through ``JobSession`` the way the CLI drives it: every command
/// opens the job anew (taking its lock) and lets go of it when it returns.
final class LocalJob {
    let directory: TemporaryDirectory
    /// The workspace: `<temp>/job`, so the job id is `job`.
    let root: URL
    /// Where the script agent copies its feedback files and environment.
    let capture: URL
    let resources: ResourceBundle
    /// Every progress line the engine printed, in order.
    private(set) var progress: [String] = []

    /// Creates the job with the phases script agent (complete from `completeAt`), or with `agent` when given.
    init(
        _ label: String,
        autonomy: AutonomyLevel,
        completeAt: Int = 3,
        agent: String? = nil,
        assignments: [String] = []
    ) async throws {
        directory = try TemporaryDirectory(label)
        root = directory.path("job")
        capture = directory.path("capture")
        resources = try ResourceBundle.locate()
        let command: String
        if let agent {
            command = agent
        } else {
            let script = try directory.write(
                "agent.sh",
                AgentScript.phases(completeAt: completeAt, capture: capture),
                executable: true
            )
            command = script.path
        }
        let options = JobOptions(
            autonomy: autonomy.rawValue,
            agent: command,
            description: "A test job",
            assignments: assignments
        )
        _ = try await JobSession.create(at: root, options: options, resources: resources)
    }

    /// `tollgate run`.
    @discardableResult
    func run() async throws -> JobSession.Result { try await drive(readVerdict: false) }

    /// `tollgate resume`.
    @discardableResult
    func resume() async throws -> JobSession.Result { try await drive(readVerdict: true) }

    private func drive(readVerdict: Bool) async throws -> JobSession.Result {
        let session = try JobSession.open(at: root, resources: resources, exclusive: true)
        var lines: [String] = []
        let result = try await session.run(readVerdict: readVerdict) { lines.append($0) }
        progress += lines
        return result
    }

    /// `tollgate review`.
    @discardableResult
    func review(
        _ action: LocalReviewHost.Action,
        as reviewer: String = "ann",
        message: String? = nil,
        comments: [(path: String, line: Int, body: String)] = []
    ) throws -> String {
        let session = try JobSession.open(at: root, resources: resources, exclusive: true)
        let specs = try comments.map { try InlineCommentSpec(parsing: "\($0.path):\($0.line):\($0.body)") }
        return try session.review(action, reviewer: reviewer, message: message, comments: specs)
    }

    /// The job's state as recorded.
    var state: JobState {
        get throws { try JobSession.open(at: root, resources: resources, exclusive: false).state }
    }

    /// The evidence trail.
    var events: [RecordedEvent] {
        get throws { try JobSession.open(at: root, resources: resources, exclusive: false).events }
    }

    /// `git <arguments>` in the workspace.
    @discardableResult
    func git(_ arguments: [String], author: (name: String, email: String) = ("CLI Author", "cli@example.com")) throws
        -> String
    {
        try GitCLI.run(arguments, in: root, author: author)
    }

    /// A file the agent captured, decoded as feedback items.
    func capturedFeedback(branch: String, revision: Int) throws -> [FeedbackItem] {
        let data = try Data(contentsOf: capture.appendingPathComponent("feedback-\(branch)-\(revision).json"))
        return try JSONDecoder().decode([FeedbackItem].self, from: data)
    }

    /// The `TOLLGATE_*` environment the agent saw in a run.
    func capturedEnvironment(phase: Int, revision: Int, branch: String) throws -> [String: String] {
        let text = try String(
            contentsOf: capture.appendingPathComponent("env-\(phase)-\(revision)-\(branch).txt"),
            encoding: .utf8
        )
        var environment: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            environment[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return environment
    }
}

extension JobSession.Result {
    /// Whether the job froze for a review.
    var isFrozen: Bool {
        if case .frozen = self { return true }
        return false
    }

    /// The open review, when the job froze.
    var review: ReviewHandle? {
        if case .frozen(let handle, _) = self { return handle }
        return nil
    }
}
