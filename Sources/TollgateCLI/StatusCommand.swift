import Foundation
import TollgateCore
import TollgateEngine

/// `tollgate status DIR [--json]`.
enum StatusCommand {
    static func run(directory: URL, json: Bool, resources: ResourceBundle, output: Output) throws -> ExitCode {
        let session: JobSession
        do {
            session = try JobSession.open(at: directory, resources: resources, exclusive: false)
        } catch EngineError.notAJob(let path) {
            // A folder of jobs (DESIGN §10, jobs root): one line a job, the ones awaiting a person marked.
            let jobs = JobsRoot.jobs(in: directory, resources: resources)
            guard !jobs.isEmpty else { throw EngineError.notAJob(path: path) }
            if json {
                output.out(try encode(["jobs": jobs]))
            } else {
                output.out(JobsRoot.table(jobs))
            }
            return .success
        }
        let state = try session.state
        let process = session.isClone ? nil : session.workingProcess
        let interrupted = session.interruptedTasks
        var command = nextCommand(state, directory: directory, working: process != nil)
        if session.isClone {
            command =
                state.status == .completed || state.status == .cancelled
                ? nil
                : "the job goes on in its own workspace (this clone is read only); to take it over here, "
                    + "`git branch tollgate/state origin/tollgate/state`"
        }
        if json {
            var status = Status(state: state)
            status.plan = PlanStatus(state, interrupted: interrupted)
            status.nextCommand = command
            status.process = process.map { Status.Process(pid: Int($0), log: session.latestAgentLog?.path) }
            status.budget = try session.budgetStatus(environment: ProcessInfo.processInfo.environment)
            output.out(try encode(status))
            return .success
        }
        output.out(
            "job \(state.id): \(state.status.rawValue)\(session.isClone ? " (a clone: read from origin/tollgate/state)" : "")"
        )
        output.out("  \(state.phase), revision \(state.revision), branch \(state.branch)")
        output.out("  autonomy \(state.autonomy.rawValue); review host \(state.reviewHost)")
        if let review = state.review {
            output.out("  review: \(review.host) #\(review.id) at \(review.location) (head \(review.head.prefix(10)))")
        }
        if let reason = state.freezeReason, state.status == .pendingReview { output.out("  frozen: \(reason)") }
        if state.status == .pendingReview, let review = state.review,
            let last = try session.lastEvent(where: {
                $0.type.rawValue.hasPrefix("review.") || $0.type.rawValue.hasPrefix("verdict.")
            }),
            last.type == .reviewRerequested
        {
            output.out(
                "  review re-requested for the new head \(review.head.prefix(10)) (an earlier verdict was for an older commit)"
            )
        }
        if let critique = state.critique {
            output.out("  \(critique.line)")
            output.out("  \(critique.loopLine)")
        }
        for line in PlanStatus.lines(state, interrupted: interrupted) { output.out(line) }
        if let failure = state.failure { output.out("  failure: \(failure)") }
        let budget = try session.budgetStatus(environment: ProcessInfo.processInfo.environment)
        if let blocked = budget.blocked { output.out("  blocked: \(blocked)") }
        for bar in budget.caps { output.out("  budget (\(bar.scope)): \(bar.line())") }
        output.out("  next step: \(state.next?.description ?? "none"); phases merged: \(state.merged.count)")
        if let process {
            let pid = process.isEmpty ? "a tollgate process" : "tollgate process \(process)"
            let log = session.latestAgentLog.map { "; agent log: \(ShellQuoting.quoted($0.path))" } ?? ""
            output.out("  working now: \(pid)\(log)")
        } else if state.status == .running {
            output.out(
                "  no tollgate process works on it: the last one stopped mid-step (interrupted, killed or "
                    + "crashed); nothing is lost"
            )
        }
        if let command { output.out("next: \(command)") }
        return .success
    }

    /// What to type next, as a command to copy; nil when nothing is left to do.
    static func nextCommand(_ state: JobState, directory: URL, working: Bool) -> String? {
        let path = ShellQuoting.quoted(directory.path)
        if working { return "wait for it (`tollgate status \(path)` again), or `tollgate log \(path)` to follow" }
        switch state.status {
        case .created: return "tollgate run \(path)"
        case .running: return "tollgate run \(path) (it goes on from the step recorded last)"
        case .pendingReview:
            guard let review = state.review else { return "tollgate resume \(path)" }
            if review.host == .local {
                return
                    "give a verdict (`tollgate review \(path) approve`, or `request-changes --comment PATH:LINE:TEXT`), "
                    + "then `tollgate resume \(path)`"
            }
            return "review \(review.location), then `tollgate resume \(path)`"
        case .failed:
            return state.next == nil
                ? nil : "fix the cause above, then `tollgate run \(path)` goes on from the step that failed"
        case .blocked:
            return "raise the cap named above (`tollgate config \(path) --set KEY=VALUE`), then `tollgate run \(path)`"
        case .completed, .cancelled: return nil
        }
    }

    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// The `status --json` object: a contract other tools read.
    struct Status: Encodable {
        struct Review: Encodable {
            var host: String
            var id: Int
            var location: String
            var url: String?
            var path: String?
            var head: String
        }

        var job: String
        var status: String
        var phase: Int
        var phaseType: String
        var attempt: Int
        var revision: Int
        var branch: String
        var autonomy: String
        var reviewHost: String
        var review: Review?
        var freezeReason: String?
        var failure: String?
        var next: String?
        var mergedPhases: Int
        var critique: PhaseCritique?
        /// The dispatched plan and the gates (DESIGN §10); nil when neither ran.
        var plan: PlanStatus?
        /// What to type next (nil: nothing is left to do).
        var nextCommand: String?
        /// The tollgate process working on the job now, if one is.
        var process: Process?
        /// The job's budgets: spend, reservations, a bar per capped unit, why it is blocked.
        var budget: BudgetStatus?

        struct Process: Encodable {
            var pid: Int?
            var log: String?
        }

        init(state: JobState) {
            job = state.id
            status = state.status.rawValue
            phase = state.phase.number
            phaseType = state.phase.type.rawValue
            attempt = state.phase.attempt
            revision = state.revision
            branch = state.branch
            autonomy = state.autonomy.rawValue
            reviewHost = state.reviewHost.rawValue
            review = state.review.map {
                Review(
                    host: $0.host.rawValue,
                    id: $0.id,
                    location: $0.location,
                    url: $0.location.hasPrefix("http") ? $0.location : nil,
                    path: $0.location.hasPrefix("http") ? nil : $0.location,
                    head: $0.head
                )
            }
            freezeReason = state.status == .pendingReview ? state.freezeReason?.description : nil
            failure = state.failure
            next = state.next?.description
            mergedPhases = state.merged.count
            critique = state.critique
            plan = PlanStatus(state)
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(job, forKey: .job)
            try container.encode(status, forKey: .status)
            try container.encode(phase, forKey: .phase)
            try container.encode(phaseType, forKey: .phaseType)
            try container.encode(attempt, forKey: .attempt)
            try container.encode(revision, forKey: .revision)
            try container.encode(branch, forKey: .branch)
            try container.encode(autonomy, forKey: .autonomy)
            try container.encode(reviewHost, forKey: .reviewHost)
            try container.encode(review, forKey: .review)  // null when no review is open
            try container.encode(freezeReason, forKey: .freezeReason)
            try container.encode(failure, forKey: .failure)
            try container.encode(next, forKey: .next)
            try container.encode(mergedPhases, forKey: .mergedPhases)
            try container.encode(critique, forKey: .critique)  // null when no critique ran in this phase
            try container.encode(plan, forKey: .plan)  // null when no plan was dispatched and no gate ran
            try container.encode(nextCommand, forKey: .nextCommand)
            try container.encode(process, forKey: .process)  // null when no tollgate process works on the job
            try container.encode(budget, forKey: .budget)
        }

        enum CodingKeys: String, CodingKey {
            case job, status, phase, phaseType, attempt, revision, branch, autonomy, reviewHost, review, freezeReason,
                failure, next, mergedPhases, critique, plan, nextCommand, process, budget
        }
    }
}

/// `tollgate status ROOT`: the jobs in the direct subdirectories of a folder that is not a job itself.
enum JobsRoot {
    struct Entry: Encodable {
        struct Review: Encodable { var url: String? }
        var dir: String
        var id: String
        var status: String
        var phase: Int
        var review: Review?
        var needsResponse: Bool
    }

    static func jobs(in root: URL, resources: ResourceBundle) -> [Entry] {
        let entries =
            (try? FileManager.default.contentsOfDirectory(
                at: root,
                includingPropertiesForKeys: [.isDirectoryKey],
                options: [.skipsHiddenFiles]
            )) ?? []
        return entries.sorted { $0.lastPathComponent < $1.lastPathComponent }.compactMap { directory in
            guard let session = try? JobSession.open(at: directory, resources: resources, exclusive: false),
                let state = try? session.state
            else { return nil }
            let url = state.review.map(\.location).flatMap { $0.hasPrefix("http") ? $0 : nil }
            return Entry(
                dir: directory.lastPathComponent,
                id: state.id,
                status: state.status.rawValue,
                phase: state.phase.number,
                review: state.review.map { _ in Entry.Review(url: url) },
                // Someone must act: give a verdict, or fix what failed.
                needsResponse: state.status == .pendingReview || state.status == .blocked
                    || (state.status == .failed && state.next != nil)
            )
        }
    }

    static func table(_ jobs: [Entry]) -> String {
        let width = max(3, jobs.map(\.dir.count).max() ?? 0)
        var lines = ["\("dir".padding(toLength: width, withPad: " ", startingAt: 0))  status          phase  review"]
        for job in jobs {
            let review = job.review.map { $0.url ?? "local" } ?? "-"
            let flag = job.needsResponse ? "  NEEDS RESPONSE" : ""
            lines.append(
                "\(job.dir.padding(toLength: width, withPad: " ", startingAt: 0))  "
                    + "\(job.status.padding(toLength: 14, withPad: " ", startingAt: 0))  "
                    + "\(String(job.phase).padding(toLength: 5, withPad: " ", startingAt: 0))  \(review)\(flag)"
            )
        }
        return lines.joined(separator: "\n")
    }
}
