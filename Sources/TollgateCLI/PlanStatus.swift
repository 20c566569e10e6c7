import TollgateCore

/// The plan in `tollgate status` (DESIGN §10): the tasks as a table (state, time, branch) and the gates; in
/// `--json`, `plan: {status, phase, tasks: [{id, title, status, dependsOn, branch, commit, durationMs}], gates:
/// [{name, passed, exitCode, durationMs}]}`.
///
/// The latest dispatched plan is shown after its phase too (with its phase number); the gates are the latest
/// verification's. A tactical phase that ran gates without a plan shows them with no tasks.
struct PlanStatus: Encodable {
    struct Gate: Encodable {
        var name: String
        var passed: Bool
        var exitCode: Int32?
        var durationMs: Int

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(passed, forKey: .passed)
            try container.encode(exitCode, forKey: .exitCode)  // null when it timed out, was killed or did not start
            try container.encode(durationMs, forKey: .durationMs)
        }

        enum CodingKeys: String, CodingKey { case name, passed, exitCode, durationMs }
    }

    /// A task as `status --json` shows it: every key present, `null` where there is no value yet.
    struct TaskEntry: Encodable {
        var task: PlanProgress.Task
        /// Recorded running, but its agent is gone: shown as `interrupted`.
        var interrupted = false

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(task.id, forKey: .id)
            try container.encode(task.title, forKey: .title)
            try container.encode(interrupted ? PlanProgress.interrupted : task.status.rawValue, forKey: .status)
            try container.encode(task.dependsOn, forKey: .dependsOn)
            try container.encode(task.branch, forKey: .branch)
            try container.encode(task.commit, forKey: .commit)  // null until it landed
            try container.encode(task.durationMs, forKey: .durationMs)  // null until its agent ended
        }

        enum CodingKeys: String, CodingKey { case id, title, status, dependsOn, branch, commit, durationMs }
    }

    /// `draft`, `dispatching`, `running`, `verifying`, `verified`, `failed` or `cancelled`.
    var status: String
    /// The phase the plan was dispatched (or the gates ran) in.
    var phase: Int
    var tasks: [TaskEntry]
    var gates: [Gate]
    /// What failed, once the verification ran.
    var failures: [String]

    /// The plan and gates of `state`; nil when no plan was dispatched and no gate ran.
    ///
    /// The tasks in `interrupted` are recorded running with their agents gone (``JobSession/interruptedTasks``).
    init?(_ state: JobState, interrupted: Set<String> = []) {
        let verification = state.verification
        if let plan = state.plan {
            status = plan.status.rawValue
            phase = plan.phase.number
            tasks = plan.progress.tasks.map { TaskEntry(task: $0, interrupted: interrupted.contains($0.id)) }
        } else if let verification {
            status =
                verification.isFinished ? (verification.failures?.isEmpty == true ? "verified" : "failed") : "verifying"
            phase = verification.phase.number
            tasks = []
        } else {
            return nil
        }
        let shown = verification.flatMap { state.plan == nil || $0.phase == state.plan?.phase ? $0 : nil }
        gates = (shown?.results ?? []).map {
            Gate(name: $0.name, passed: $0.passed, exitCode: $0.exitCode, durationMs: $0.durationMs)
        }
        failures = shown?.failures ?? []
    }

    /// The lines `tollgate status` prints, indented under the job's.
    static func lines(_ state: JobState, interrupted: Set<String> = []) -> [String] {
        guard let plan = PlanStatus(state, interrupted: interrupted) else { return [] }
        var lines: [String] = []
        if let record = state.plan {
            let what = record.phase == state.phase ? "" : " of \(record.phase)"
            lines.append("  plan\(what): \(plan.status), \(record.progress.summary) tasks landed on \(record.branch)")
            lines += record.progress.table(interrupted: interrupted).split(separator: "\n").map { "    " + $0 }
            if !interrupted.isEmpty {
                let agents = interrupted.count == 1 ? "its agent is gone" : "their agents are gone"
                lines.append(
                    "  interrupted: \(interrupted.sorted().joined(separator: ", ")) (recorded running, \(agents); "
                        + "the next run starts \(interrupted.count == 1 ? "it" : "them") again)"
                )
            }
        }
        if !plan.gates.isEmpty {
            let passed = plan.gates.filter(\.passed).count
            let folder = state.verification.map { GateReport.folder(phase: $0.phase.number, revision: $0.revision) }
            lines.append(
                "  gates: \(passed)/\(plan.gates.count) passed" + (folder.map { " (\($0)/report.md)" } ?? "")
            )
            for gate in plan.gates {
                let time = GateReport.seconds(gate.durationMs)
                lines.append("    \(gate.passed ? "passed" : "FAILED") \(gate.name) (\(time))")
            }
        }
        for failure in plan.failures { lines.append("  failed: \(failure)") }
        return lines
    }
}
