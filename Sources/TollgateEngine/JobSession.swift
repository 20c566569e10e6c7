import Foundation
import GitKit
import TollgateCore

/// One command's hold on a job: the workspace, its state, its review host and the lock.
///
/// The CLI's entry point into the engine.
public final class JobSession {
    /// How a `run` or `resume` ended, for the exit status.
    public enum Result: Equatable, Sendable {
        case completed
        case frozen(ReviewHandle, note: String?)
        case failed(String)
        /// A budget's hard cap: the next run would cross it; the message names the cap and the command raising it.
        case blocked(String)
    }

    /// Builds the review host named by `review.host` (tests pass their own).
    public typealias HostFactory = (_ name: String, _ context: HostContext) throws -> any ReviewHost

    let workspace: Workspace
    let store: StateStore
    let host: any ReviewHost
    let resources: ResourceBundle
    private let lock: FileLock?
    /// What opening the job did that the user should hear about (a survivor ended), one sentence each.
    public private(set) var notes: [String] = []
    /// What the user should know about how the job was set up (from ``create(at:options:resources:hostFactory:now:)``).
    public private(set) var warnings: [String] = []
    /// What the engine's own durations are measured by (`agent.queue_time_ms`); a manual clock in tests.
    public var clock: any EngineClock = SystemClock()

    /// The job's state as last recorded.
    public var state: JobState {
        get throws {
            guard let document = store.document else { throw EngineError.notAJob(path: workspace.root.path) }
            return document.job
        }
    }

    /// The resolved configuration stored with the job.
    public var config: ResolvedConfig {
        get throws {
            guard let document = store.document else { throw EngineError.notAJob(path: workspace.root.path) }
            return document.config
        }
    }

    /// The whole evidence trail, read from the state branch's history (only `tollgate log` needs it).
    public var events: [RecordedEvent] { get throws { try store.trail() } }

    /// The job was read from `origin/tollgate/state` (a clone of its workspace): it can be shown, not advanced.
    public var isClone: Bool { store.isClone }

    /// The latest event that satisfies `predicate`, read back from the tip only as far as it is.
    public func lastEvent(where predicate: (RecordedEvent) -> Bool) throws -> RecordedEvent? {
        try store.lastEvent(where: predicate)
    }

    /// The workspace directory.
    public var root: URL { workspace.root }

    /// Whether a tollgate process works on the job now: its pid (empty when not written yet), or nil when none.
    public var workingProcess: String? { FileLock.holder(at: workspace.lockFile) }

    /// The tasks of the job's latest plan recorded running whose agents are gone.
    ///
    /// No tollgate process works on the job, and no task agent's process group recorded in
    /// `.git/tollgate/agent-groups/` is alive (tollgate was interrupted, or killed after its agents ended); the next
    /// run starts them again. A task agent a killed tollgate left running still counts as running.
    public var interruptedTasks: Set<String> {
        guard !isClone, workingProcess == nil, let plan = try? state.plan else { return [] }
        let groups = workspace.taskAgentGroups
        return Set(
            plan.tasks.filter { task in
                task.state == .running
                    && !ProcessGroups.isAlive(recordedAt: groups.appendingPathComponent(plan.branch(of: task.id)))
            }.map(\.id)
        )
    }

    /// The log of the job's latest agent run, if one ran.
    public var latestAgentLog: URL? {
        guard let runs = try? state.runs, runs > 0 else { return nil }
        for run in stride(from: runs, through: 1, by: -1) {
            // Not `workspace.log(run)`, which makes the folder: status only looks.
            let log = workspace.privateDirectory.appendingPathComponent(Workspace.logName(run))
            if FileManager.default.fileExists(atPath: log.path) { return log }
        }
        return nil
    }

    private init(
        workspace: Workspace,
        store: StateStore,
        host: any ReviewHost,
        resources: ResourceBundle,
        lock: FileLock?
    ) {
        self.workspace = workspace
        self.store = store
        self.host = host
        self.resources = resources
        self.lock = lock
    }

    /// Opens the job in `directory`.
    /// - Parameter exclusive: take the job's lock (every command that changes the job does).
    public static func open(
        at directory: URL,
        resources: ResourceBundle,
        exclusive: Bool,
        hostFactory: HostFactory? = nil,
        accounts: GiteaAccounts? = nil
    ) throws -> JobSession {
        let workspace = try Workspace.open(at: directory.standardizedFileURL)
        let clone = StateStore.isClone(workspace.repository)
        if clone && exclusive {
            throw EngineError.refused(
                "\(workspace.root.path) is a clone of a job (its state is origin/\(StateStore.branch)): "
                    + "`tollgate status` and `tollgate log` read it here, but the job goes on in its own workspace "
                    + "(review its pull requests, then run `tollgate resume` there). To take the job over here instead, "
                    + "run `git branch \(StateStore.branch) origin/\(StateStore.branch)` first."
            )
        }
        let lock = exclusive ? try FileLock(at: workspace.lockFile, job: workspace.root.path) : nil
        // With the lock held, no tollgate of this job runs: an agent group on record was left by one killed
        // outright, and it ends before anything runs again (never two agents on one job).
        var notes: [String] = []
        if lock != nil {
            notes += workspace.removeStaleEngineLocks()
            // The phase's agent, and the task agents of a dispatched plan (one record each).
            let tasks =
                (try? FileManager.default.contentsOfDirectory(
                    at: workspace.taskAgentGroups,
                    includingPropertiesForKeys: nil
                )) ?? []
            for record in [workspace.agentGroupRecord] + tasks.sorted(by: { $0.path < $1.path }) {
                let text = (try? String(contentsOf: record, encoding: .utf8)) ?? ""
                if let ended = ProcessGroups.endSurvivors(recordedAt: record) { notes.append(ended) }
                if tasks.contains(record), !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                    // Its agent ran under a tollgate that never saw it end: the dispatch that goes on suspects it.
                    try? Workspace.writeInPlace(Data((Workspace.killedAgentRecord + "\n").utf8), to: record)
                }
            }
        }
        let store = StateStore(repository: workspace.repository, signature: Self.engineSignature)
        try store.load()
        guard let document = store.document else { throw EngineError.notAJob(path: directory.path) }
        let host = try makeHost(
            document.config[ConfigKeys.reviewHost],
            HostContext(
                workspace: workspace,
                store: store,
                config: document.config,
                job: document.job,
                accounts: accounts
            ),
            factory: hostFactory
        )
        let session = JobSession(workspace: workspace, store: store, host: host, resources: resources, lock: lock)
        session.notes = notes
        return session
    }

    /// Creates a job in `directory`: the repository (or an existing one on `main`), `workspace.md` committed on
    /// `main`, and the state branch.
    ///
    /// Rerun after a crash, it finishes what the first attempt started.
    public static func create(
        at directory: URL,
        options: JobOptions,
        resources: ResourceBundle,
        hostFactory: HostFactory? = nil,
        now: Date = Date()
    ) async throws -> JobSession {
        let root = directory.standardizedFileURL
        // Resolve and check everything the user gave before touching the disk.
        let config = try resources.resolveConfig(options: options, environment: ProcessInfo.processInfo.environment)
        if let refusal = PrivacyMode.refusal(of: config) { throw EngineError.usage(refusal) }
        let autonomy = config[ConfigKeys.autonomy]
        let templates = try resources.templateCatalog()
        let id = jobID(for: root)
        let workspaceText = try templates.render(
            .workspace,
            [
                "jobId": id,
                "description": options.description.isEmpty ? "(no description given)" : options.description,
                "expert": options.expert ?? "none", "autonomy": autonomy.rawValue, "autonomyRule": autonomy.rule,
                "reviewHost": config[ConfigKeys.reviewHost].rawValue,
            ]
        )
        let preflight = try InitPreflight.check(root: root, workspaceText: workspaceText)
        var repository: Repository?
        do {
            let opened = preflight.repositoryExisted ? try Repository.open(at: root) : try Repository.create(at: root)
            repository = opened
            let session = try await create(
                in: opened,
                root: root,
                id: id,
                workspaceText: workspaceText,
                autonomy: autonomy,
                config: config,
                options: options,
                resources: resources,
                hostFactory: hostFactory,
                now: now
            )
            if preflight.adoptedFiles > 0 {
                let files = preflight.adoptedFiles == 1 ? "1 file" : "\(preflight.adoptedFiles) files"
                session.warnings.append("the first commit took in the \(files) already in \(root.path)")
            }
            return session
        } catch {
            preflight.undo(repository: repository)
            throw error
        }
    }

    /// The writing half of ``create(at:options:resources:hostFactory:now:)``, once the folder passed the checks.
    private static func create(
        in repository: Repository,
        root: URL,
        id: String,
        workspaceText: String,
        autonomy: AutonomyLevel,
        config: ResolvedConfig,
        options: JobOptions,
        resources: ResourceBundle,
        hostFactory: HostFactory?,
        now: Date
    ) async throws -> JobSession {
        try repository.packNewObjects()
        try Data(workspaceText.utf8).write(to: root.appendingPathComponent("workspace.md"))
        let signature = Signature(name: config[ConfigKeys.gitAuthorName], email: config[ConfigKeys.gitAuthorEmail])
        _ = try repository.commitWorkingTree(
            message: "Start job \(id)\n\n\(options.description)\n\nTollgate-Job: \(id)\n",
            author: signature,
            committer: signature
        )
        let job = JobState(
            id: id,
            description: options.description,
            expert: options.expert,
            autonomy: autonomy,
            reviewHost: config[ConfigKeys.reviewHost],
            maxPhases: config[ConfigKeys.maxPhases]
        )
        let workspace = Workspace(root: root, repository: repository)
        let lock = try FileLock(at: workspace.lockFile, job: root.path)
        let store = StateStore(repository: repository, signature: signature)
        let document = JobDocument(job: job, config: config)
        let created = JobEvent(
            type: .jobCreated,
            phase: nil,
            revision: nil,
            data: [
                "description": options.description, "expert": options.expert ?? "none",
                "autonomy": autonomy.rawValue, "reviewHost": config[ConfigKeys.reviewHost].rawValue,
            ]
        )
        let host = try makeHost(
            config[ConfigKeys.reviewHost],
            HostContext(workspace: workspace, store: store, config: config, job: job),
            factory: hostFactory
        )
        let warnings = try await host.prepareRepository()
        try store.create(document, events: [created], now: now)
        try await host.publish(branches: ["main", StateStore.branch])
        let session = JobSession(workspace: workspace, store: store, host: host, resources: resources, lock: lock)
        session.warnings = warnings
        return session
    }

    /// Runs phases until the job freezes, completes or fails.
    ///
    /// With `readVerdict` (resume), a frozen job first reads the verdict on its open review and acts on it.
    /// - Parameters:
    ///   - heartbeat: told about once a second while an agent runs: the time it has run and its last line of output.
    ///   - agent: runs the agent (tests pass a scripted one); nil runs `agent.command` with `/bin/sh`.
    public func run(
        readVerdict: Bool,
        heartbeat: (@Sendable (_ elapsed: Duration, _ lastLine: String?) -> Void)? = nil,
        agent: (any AgentRunner)? = nil,
        progress: @escaping (String) -> Void
    ) async throws -> Result {
        try applyEnvironment(ProcessInfo.processInfo.environment)
        let job = try state
        if readVerdict, job.status == .pendingReview { try checkNothingWasLeftInTheTree(of: job) }
        let environment = Self.childEnvironment(config: try config)
        let telemetry = TelemetryLog(
            gitDirectory: workspace.repository.gitDirectory,
            job: job.id,
            enabled: try config[ConfigKeys.telemetryEnabled]
        )
        let runner = try JobRunner(
            workspace: workspace,
            store: store,
            host: host,
            agent: agent ?? ShellAgentRunner(baseEnvironment: environment, heartbeat: heartbeat, telemetry: telemetry),
            critic: ProcessCritic(environment: environment, telemetry: telemetry),
            templates: try resources.templateCatalog(),
            progress: progress
        )
        runner.telemetry = telemetry
        runner.engineClock = clock
        switch try await runner.drive(readVerdict: readVerdict) {
        case .completed: return .completed
        case .failed(let cause): return .failed(cause)
        case .frozen(let handle, let note): return .frozen(handle, note: note)
        case .blocked(let message): return .blocked(message)
        }
    }

    /// While a phase is frozen its work is all committed: edits in the working tree are nobody's (not the agent's,
    /// not reviewed), and acting on the verdict would sweep them into the next agent commit.
    ///
    /// They are refused, named, and left where they are.
    private func checkNothingWasLeftInTheTree(of job: JobState) throws {
        let dirty = try workspace.repository.uncommittedPaths(limit: 50)
        guard !dirty.isEmpty else { return }
        let shown = dirty.prefix(5).joined(separator: ", ") + (dirty.count > 5 ? " and \(dirty.count - 5) more" : "")
        let path = ShellQuoting.quoted(workspace.root.path)
        throw EngineError.refused(
            "the working tree has changes made while \(job.branch) was frozen for review (\(shown)); acting on the "
                + "verdict would sweep them into the next agent commit, unreviewed. Commit them to \(job.branch) for "
                + "the reviewer to see (`git -C \(path) add -A && git -C \(path) commit`), or set them aside "
                + "(`git -C \(path) stash -u`), then run `tollgate resume \(path)` again. Nothing was changed."
        )
    }

    /// Records a reviewer's verdict on the open local review, each inline comment read against the branch under
    /// review: its path a file there, its line one of the file's (refused with the reason otherwise, exit 64).
    public func review(
        _ action: LocalReviewHost.Action,
        reviewer: String,
        message: String?,
        comments specs: [InlineCommentSpec]
    ) throws -> String {
        let (job, handle, local) = try openLocalReview()
        let lineCounts = try lineCounter(onBranch: job.branch)
        let comments = try specs.map { spec in
            switch spec.resolve(against: lineCounts, branch: job.branch) {
            case .success(let reading): return (path: reading.path, line: reading.line, body: reading.text)
            case .failure(let problem): throw EngineError.usage(problem.description)
            }
        }
        return try local.submit(action, on: handle, reviewer: reviewer, message: message, comments: comments)
    }

    private func openLocalReview() throws -> (JobState, ReviewHandle, LocalReviewHost) {
        let job = try state
        guard job.status == .pendingReview, let handle = job.review else {
            throw EngineError.nothingToReview(status: job.status.rawValue)
        }
        guard let local = host as? LocalReviewHost else {
            throw EngineError.wrongHost(host: host.name, location: handle.location)
        }
        return (job, handle, local)
    }

    /// The number of lines of each file on `branch`'s tip, read when asked.
    private func lineCounter(onBranch branch: String) throws -> (String) -> Int? {
        let repository = workspace.repository
        guard let tip = try repository.branchTip(branch) else { return { _ in nil } }
        return { path in
            guard let data = try? repository.fileContents(path, at: tip) else { return nil }
            guard !data.isEmpty else { return 0 }
            let breaks = data.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
            return data.last == UInt8(ascii: "\n") ? breaks : breaks + 1
        }
    }

    /// Ends the job (`tollgate cancel`): its open review is closed with `message`, every branch is kept, and the
    /// job becomes `cancelled`.
    ///
    /// Returns what was done, a line each.
    public func cancel(message: String?, now: Date = Date()) async throws -> [String] {
        guard let document = store.document else { throw EngineError.notAJob(path: workspace.root.path) }
        let job = document.job
        guard job.status != .completed, job.status != .cancelled else {
            throw EngineError.refused("the job is \(job.status.rawValue) already: there is nothing to cancel")
        }
        let reason = message.flatMap(CommitText.line) ?? "cancelled by its owner"
        var lines: [String] = []
        if let review = job.review {
            try await host.close(review, note: "Tollgate: the job was cancelled (\(reason)). The branch is kept.")
            lines.append("closed \(review.host) review #\(review.id) of \(job.branch) (the branch is kept)")
        }
        var machine = JobMachine(state: try state)
        let events = machine.cancelled(reason: reason).events
        var next = store.document ?? document
        next.job = machine.state
        try store.commit(next, events: events, now: now)
        try? await host.publish(branches: [])
        lines.append("cancelled job \(job.id): \(reason)")
        return lines
    }

    // MARK: - Helpers

    /// The environment agents, critics and gates start from: this process's, without the Gitea token.
    ///
    /// A child that prints its environment (a failing gate's output goes into the committed critique report) must
    /// not be able to carry the bot's token into a commit; children have no use for it.
    static func childEnvironment(
        config: ResolvedConfig,
        base: [String: String] = ShellAgentRunner.defaultEnvironment()
    ) -> [String: String] {
        var environment = base
        if config[ConfigKeys.privacyMode] == .localOnly {
            environment[PrivacyMode.environmentVariable] = PrivacyMode.localOnly.rawValue
        }
        for name in [config[ConfigKeys.giteaTokenEnv], "TOLLGATE_GITEA_TOKEN"] where !name.isEmpty {
            environment[name] = nil
        }
        return environment
    }

    static let engineSignature = Signature(name: "Tollgate", email: "tollgate@localhost")

    /// The job id, made from the directory's name (``JobID/make(from:)``).
    static func jobID(for root: URL) -> String { JobID.make(from: root.lastPathComponent) }

    static func makeHost(_ kind: ReviewHostKind, _ context: HostContext, factory: HostFactory?) throws -> any ReviewHost
    {
        switch kind {
        case .local:
            return LocalReviewHost(
                storage: StateReviewStorage(store: context.store),
                repository: context.workspace.repository
            )
        case .gitea: return try factory?(kind.rawValue, context) ?? GiteaReviewHost(context: context)
        }
    }
}

/// What a review host needs to know about the job it serves.
public struct HostContext {
    let workspace: Workspace
    let store: StateStore
    public let config: ResolvedConfig
    public let job: JobState
    /// Accounts learnt by earlier jobs of this process (a `watch` round), or nil to ask for each job.
    var accounts: GiteaAccounts? = nil
    /// What the host's waits are measured and paced by (a manual clock in tests).
    var clock: any EngineClock = SystemClock()

    /// The workspace's repository root.
    public var root: URL { workspace.root }
}

@available(*, unavailable)
extension JobSession: Sendable {}
