import Foundation
import Testing
import TollgateCore
import TollgateEngine
import TollgateTestSupport

/// A job on the local review host, driven in process through ``JobSession`` the way the CLI drives it: every command
/// opens the job anew (taking its lock) and lets go of it when it returns.
///
/// Its agent is the phases script run in process (``ScriptedAgentRunner/phases(completeAt:)``), so no `/bin/sh`
/// starts; a job given a shell `agent` command runs that with the real shell runner.
final class LocalJob {
    let directory: TemporaryDirectory
    /// The workspace: `<temp>/job`, so the job id is `job`.
    let root: URL
    let resources: ResourceBundle
    /// The in-process agent, or nil when the job runs a shell command.
    let scripted: ScriptedAgentRunner?
    /// An in-process agent of the test's own (such as a ``PlanAgentRunner``), used instead of the phases script.
    let runner: (any AgentRunner)?
    /// The review host when it is the in-memory one (the job's `review.host` is then `gitea`); nil: the local host.
    let host: InMemoryReviewHost?
    /// Every progress line the engine printed, in order.
    private(set) var progress: [String] = []
    /// What the engine's own durations are measured by, when the test gives one.
    let clock: (any EngineClock)?

    /// Creates the job with the phases script agent (complete from `completeAt`), or with `agent` when given.
    init(
        _ label: String,
        autonomy: AutonomyLevel,
        completeAt: Int = 3,
        agent: String? = nil,
        assignments: [String] = [],
        host: InMemoryReviewHost? = nil,
        runner: (any AgentRunner)? = nil,
        usage: AgentOutcome.Usage? = nil,
        clock: (any EngineClock)? = nil
    ) async throws {
        self.clock = clock
        directory = try TemporaryDirectory(label)
        root = directory.path("job")
        resources = try ResourceBundle.locate()
        scripted =
            agent == nil && runner == nil ? ScriptedAgentRunner.phases(completeAt: completeAt, usage: usage) : nil
        self.runner = runner
        self.host = host
        // The command is recorded with the job as a user's would be; the scripted runner stands in for the shell.
        let command = agent ?? "scripted-phases-agent"
        let options = JobOptions(
            autonomy: autonomy.rawValue,
            agent: command,
            description: "A test job",
            assignments: assignments + (host == nil ? [] : ["review.host=gitea"])
        )
        _ = try await JobSession.create(at: root, options: options, resources: resources, hostFactory: hostFactory)
    }

    /// Hands every session the in-memory host, when the job has one.
    private var hostFactory: JobSession.HostFactory? {
        guard let host else { return nil }
        return { _, _ in host }
    }

    /// `tollgate run`.
    @discardableResult
    func run() async throws -> JobSession.Result { try await drive(readVerdict: false) }

    /// `tollgate resume`.
    @discardableResult
    func resume() async throws -> JobSession.Result { try await drive(readVerdict: true) }

    private func drive(readVerdict: Bool) async throws -> JobSession.Result {
        let session = try JobSession.open(at: root, resources: resources, exclusive: true, hostFactory: hostFactory)
        if let clock { session.clock = clock }
        var lines: [String] = []
        let result = try await session.run(readVerdict: readVerdict, agent: runner ?? scripted) { lines.append($0) }
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
        let session = try JobSession.open(at: root, resources: resources, exclusive: true, hostFactory: hostFactory)
        let specs = try comments.map { try InlineCommentSpec(parsing: "\($0.path):\($0.line):\($0.body)") }
        return try session.review(action, reviewer: reviewer, message: message, comments: specs)
    }

    /// `tollgate config DIR --set` with `assignments`.
    @discardableResult
    func configure(_ assignments: [String]) throws -> [String] {
        let session = try JobSession.open(at: root, resources: resources, exclusive: true, hostFactory: hostFactory)
        return try session.configure(assignments: assignments)
    }

    /// The job's state as recorded.
    var state: JobState {
        get throws {
            try JobSession.open(at: root, resources: resources, exclusive: false, hostFactory: hostFactory).state
        }
    }

    /// The evidence trail.
    var events: [RecordedEvent] {
        get throws {
            try JobSession.open(at: root, resources: resources, exclusive: false, hostFactory: hostFactory).events
        }
    }

    /// `git <arguments>` in the workspace.
    @discardableResult
    func git(_ arguments: [String], author: (name: String, email: String) = ("CLI Author", "cli@example.com"))
        async throws
        -> String
    {
        try await GitCLI.run(arguments, in: root, author: author)
    }

    /// The feedback items the agent was handed in its last run on `branch` at `revision` that had any.
    func capturedFeedback(branch: String, revision: Int) throws -> [FeedbackItem] {
        let run = try #require(
            try scriptedRuns().last {
                $0.environment["TOLLGATE_BRANCH"] == branch && $0.environment["TOLLGATE_REVISION"] == "\(revision)"
                    && $0.environment["TOLLGATE_FEEDBACK"] != nil
            },
            "no run on \(branch) at revision \(revision) was given feedback"
        )
        return run.feedback
    }

    /// The `TOLLGATE_*` environment the agent saw in its last run of `phase` at `revision` on `branch`.
    func capturedEnvironment(phase: Int, revision: Int, branch: String) throws -> [String: String] {
        let run = try #require(
            try scriptedRuns().last {
                $0.environment["TOLLGATE_PHASE"] == "\(phase)" && $0.environment["TOLLGATE_REVISION"] == "\(revision)"
                    && $0.environment["TOLLGATE_BRANCH"] == branch
            },
            "no run of phase \(phase) at revision \(revision) on \(branch)"
        )
        return run.environment.filter { $0.key.hasPrefix("TOLLGATE_") }
    }

    private func scriptedRuns() throws -> [ScriptedAgentRunner.Run] {
        try #require(scripted, "the job runs a shell agent, which the test cannot look into").runs
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
