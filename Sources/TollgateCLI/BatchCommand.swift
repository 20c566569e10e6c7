import Foundation
import TollgateCore
import TollgateEngine

/// `tollgate batch DIR --files GLOB... --critic CMD [--revise CMD] [--jobs N] [--json]` and `tollgate batch DIR --resume ID`.
///
/// Critiques many tracked files of the repository DIR at once, on the branch `batch/<id>` in a linked worktree of
/// its own (``BatchRunner``), showing its progress (redrawn in place on a terminal, one line per unit state change
/// elsewhere, one JSON event a line with `--json`). Exit 0 when every unit shipped, 1 when one did not, 4 when a
/// budget blocked the rest, 64 for a usage error.
public struct BatchCommand: Sendable, Equatable {
    /// What to do.
    public enum Mode: Sendable, Equatable {
        /// A new batch over the files the globs take.
        case start(files: [String], critic: String, revise: String?)
        /// Go on with the batch of this id.
        case resume(id: String)
        /// Land the batch's revisions (of these units; all when empty) on the current branch.
        case accept(id: String, units: [String])
        /// Revert the commit that accepted the batch.
        case rollback(id: String)
    }

    public var directory: String
    public var mode: Mode
    /// `--jobs`: units at once; nil for the default (or, resuming, the batch's own).
    public var jobs: Int?
    public var json: Bool
    /// `--set KEY=VALUE`: budgets, reservations, privacy and telemetry (recorded with the batch; a resume adds to them).
    public var assignments: [String]

    public init(directory: String, mode: Mode, jobs: Int?, json: Bool, assignments: [String] = []) {
        self.directory = directory
        self.mode = mode
        self.jobs = jobs
        self.json = json
        self.assignments = assignments
    }

    /// Units at once when `--jobs` is not given.
    public static let defaultJobs = 4

    static let help = """
        USAGE: tollgate batch DIR --files GLOB [--files GLOB]... --critic CMD [--revise CMD] [--jobs N]
                              [--set KEY=VALUE]... [--json]
               tollgate batch DIR --resume ID [--jobs N] [--set KEY=VALUE]... [--json]
               tollgate batch DIR --accept ID [--unit NAME]... | --rollback ID

        Critiques many files at once: the files tracked at HEAD of the git repository DIR that a glob takes
        (* within a folder, ** across folders: --files 'chapters/*.md', --files 'docs/**/*.md'). The batch works
        on a branch batch/<id> made at HEAD, in a worktree .git/tollgate/worktrees/batch-<id>: your branch, index
        and working tree are not touched. Each unit is critiqued by CMD (run by /bin/sh -c in the worktree; the file
        on standard input and its path in TOLLGATE_CRITIQUE_ARTIFACT; critique protocol v1 on standard output), up to
        N at once (default 4).

        Results, committed on batch/<id> as each unit finishes: critique/batch-<id>/units/<unit>/ (transcript.ndjson,
        summary.json, report.md), and critique/batch-<id>/summary.json and report.md (a table of the units).

        OPTIONS:
          --files GLOB    the units: tracked files matching GLOB (repeatable)
          --critic CMD    the critic command (for example "tollgate example-critic --rounds 3")
          --revise CMD    revise each unit that did not ship: at most 3 revise → critique iterations, the best
                          kept and committed on batch/<id>; CMD runs with TOLLGATE_MODE=revise, TOLLGATE_UNIT (the
                          unit's path), TOLLGATE_FEEDBACK (the must-fix items, JSON) and TOLLGATE_WORKSPACE (a
                          folder with a copy of the unit at its path), and edits $TOLLGATE_WORKSPACE/$TOLLGATE_UNIT
          --jobs N        units critiqued at once, 1 to 64 (default 4)
          --resume ID     go on with batch ID: the units it finished are skipped
          --accept ID     land batch ID's revisions (of the --unit NAME units; all by default) on the current
                          branch as one commit with Tollgate-Batch and Tollgate-Unit trailers
          --rollback ID   revert the commit that accepted batch ID (both are safe to repeat)
          --set KEY=VALUE the batch's budgets and privacy (repeatable): budget.* (its own caps, and budget.project
                          with budget.daily.* for the project's day), critique.reserve.* (held for each critic run),
                          agent.reserve.* (each reviser run), privacy.mode, telemetry.enabled; recorded with the
                          batch, and a --resume adds its own over them (raise a cap with it)
          --json          one JSON event a line instead of plain lines

        Critique settings come from the defaults and the TOLLGATE_CRITIQUE_* environment (for example
        TOLLGATE_CRITIQUE_THRESHOLD=7.5); budgets, privacy and telemetry from DIR's job, when DIR is a tollgate
        workspace, then --set; a bad value exits 64. Every critic and reviser run reserves before it starts and
        is charged what it reports (a critic writes the usage JSON of an agent's outcome to $TOLLGATE_USAGE; a
        reviser puts it in its outcome), its reservation with a warning when it reports nothing of a capped unit.
        budget.seconds.hard shortens each critic's and reviser's timeout to what is left. A run that would cross
        a hard cap does not start (a unit's first critic waits while other units run: their charges may leave
        room); then the units not finished are blocked, what finished is kept, and the batch exits 4 with the
        cap and the --resume --set that raises it. Ctrl-C ends the running critics, keeps what finished and prints the
        --resume that goes on.
        EXIT STATUS: 0 every unit shipped, 1 a unit did not ship or failed, 4 a budget blocked the rest,
        64 usage error, 130 interrupted.
        """

    /// Reads the command's arguments from `scanner` (the words after `batch`).
    static func parse(_ scanner: inout OptionScanner) throws(UsageError) -> BatchCommand {
        let files = try scanner.values("--files")
        let critic = try scanner.value("--critic")
        let revise = try scanner.value("--revise")
        let resume = try scanner.value("--resume")
        let accept = try scanner.value("--accept")
        let rollback = try scanner.value("--rollback")
        let units = try scanner.values("--unit")
        let jobsText = try scanner.value("--jobs")
        let assignments = try scanner.assignments()
        let json = scanner.flag("--json")
        let directory = try scanner.directory()
        var jobs: Int?
        if let jobsText {
            guard let value = Int(jobsText), (1...BatchSettings.maxJobs).contains(value) else {
                throw UsageError(
                    "--jobs takes a whole number from 1 to \(BatchSettings.maxJobs), got '\(jobsText)'",
                    command: "batch"
                )
            }
            jobs = value
        }
        let chosen = [resume, accept, rollback].compactMap { $0 }
        guard chosen.count <= 1 else {
            throw UsageError("give one of --resume, --accept and --rollback", command: "batch")
        }
        guard units.isEmpty || accept != nil else {
            throw UsageError("--unit names the units --accept lands: give it with --accept ID", command: "batch")
        }
        for assignment in assignments {
            let key = String(assignment.prefix { $0 != "=" }).trimmingCharacters(in: .whitespaces)
            guard BatchSettings.isSettable(key) else {
                throw UsageError(
                    "--set takes budget.*, critique.reserve.*, agent.reserve.*, privacy.mode and telemetry.enabled "
                        + "for a batch, got '\(key)' (critique settings come from TOLLGATE_CRITIQUE_* variables)",
                    command: "batch"
                )
            }
        }
        for id in chosen where !BatchSettings.isValidID(id) {
            throw UsageError("'\(id)' is not a batch id (lowercase letters, digits and -)", command: "batch")
        }
        if accept != nil || rollback != nil {
            guard files.isEmpty, critic == nil, revise == nil, jobsText == nil, assignments.isEmpty else {
                throw UsageError(
                    "--accept and --rollback run nothing: give no --files, --critic, --revise, --jobs or --set",
                    command: "batch"
                )
            }
            if let accept {
                return BatchCommand(
                    directory: directory,
                    mode: .accept(id: accept, units: units),
                    jobs: nil,
                    json: json
                )
            }
            return BatchCommand(directory: directory, mode: .rollback(id: rollback ?? ""), jobs: nil, json: json)
        }
        if let resume {

            guard files.isEmpty, critic == nil, revise == nil else {
                throw UsageError(
                    "--resume goes on with the batch's own files, critic and reviser: give no --files, --critic or --revise",
                    command: "batch"
                )
            }
            return BatchCommand(
                directory: directory,
                mode: .resume(id: resume),
                jobs: jobs,
                json: json,
                assignments: assignments
            )
        }
        guard !files.isEmpty else {
            throw UsageError(
                "batch needs the units: --files GLOB (for example --files 'chapters/*.md')",
                command: "batch"
            )
        }
        guard let critic, !critic.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw UsageError(
                "batch needs a critic: --critic CMD (for example --critic 'tollgate example-critic')",
                command: "batch"
            )
        }
        return BatchCommand(
            directory: directory,
            mode: .start(files: files, critic: critic, revise: revise),
            jobs: jobs,
            json: json,
            assignments: assignments
        )
    }

    func run(output: Output) async throws -> ExitCode {
        let config = try CritiqueCommand.settings(environment: ProcessInfo.processInfo.environment, command: "batch")
        let repository = CLI.url(directory)
        let start: BatchRunner.Request.Start
        switch mode {
        case .start(let files, let critic, let revise):
            let id = BatchSettings.newID(at: Date(), suffix: UInt16.random(in: 0...UInt16.max))
            start = .new(id: id, files: files, critic: critic, revise: revise, jobs: jobs ?? Self.defaultJobs)
        case .resume(let id):
            start = .resume(id: id, jobs: jobs)
        case .accept(let id, let units):
            return try landed(BatchLanding(repository: repository).accept(id, units: units), verb: "accepted", output)
        case .rollback(let id):
            return try landed(BatchLanding(repository: repository).rollback(id), verb: "rolled back", output)
        }
        let directory = ShellQuoting.quoted(self.directory)
        let display = BatchDisplay(output: output, style: BatchDisplay.style(json: json))
        let request = BatchRunner.Request(
            repository: repository,
            start: start,
            assignments: assignments,
            warning: { display.warn("tollgate: warning: \($0)") },
            goOn: { id, assignment in "tollgate batch \(directory) --resume \(id) --set \(assignment)" },
            progress: display.show
        )
        let runner = BatchRunner(config: config, environment: ShellAgentRunner.defaultEnvironment())
        let result: BatchRunner.Result
        do {
            defer { display.finish() }
            result = try await runner.run(request)
        } catch EngineError.interrupted(let signal) {
            output.err("tollgate: batch interrupted: the finished units are committed on their branch.")
            output.err("Go on with: tollgate batch \(directory) --resume \(Self.id(of: start))")
            throw EngineError.interrupted(signal: signal)
        }
        let summary = result.summary
        let branch = BatchSettings.branch(result.settings.batch)
        let folder = BatchSettings.folder(result.settings.batch)
        if json {
            output.out(Self.finishedEvent(summary, branch: branch))
        } else {
            let counts = summary.counts
            var tally = BatchUnitState.allCases.filter(\.isFinished).map { "\(counts[$0.rawValue] ?? 0) \($0.words)" }
            if let blocked = counts[BatchUnitState.blocked.rawValue], blocked > 0 { tally.append("\(blocked) blocked") }
            output.out(
                "batch \(result.settings.batch): \(summary.units.count) unit(s), " + tally.joined(separator: ", ")
            )
            output.out("results on branch \(branch): \(folder)/report.md and \(folder)/summary.json")
        }
        if let blocked = result.blocked {
            output.err("tollgate: batch blocked: \(blocked)")
            return .blocked
        }
        return summary.allShipped ? .success : .failure
    }

    private func landed(_ result: BatchLanding.Result, verb: String, _ output: Output) -> ExitCode {
        switch result {
        case .landed(let commit, let branch, let units):
            if json {
                output.out(Self.line(["event": verb, "commit": commit, "branch": branch, "units": units]))
            } else {
                output.out("\(verb) on \(branch) in commit \(commit.prefix(12)): \(units.joined(separator: ", "))")
            }
        case .alreadyDone(let commit, let branch):
            if json {
                output.out(Self.line(["event": "already " + verb, "commit": commit, "branch": branch]))
            } else {
                output.out("already \(verb) on \(branch) in commit \(commit.prefix(12)): nothing changed")
            }
        }
        return .success
    }

    private static func id(of start: BatchRunner.Request.Start) -> String {
        switch start {
        case .new(let id, _, _, _, _): return id
        case .resume(let id, _): return id
        }
    }

    /// One progress event as a JSON line.
    static func event(_ change: BatchProgress.Change) -> String {
        var object: [String: Any] = [
            "event": "unit", "unit": change.unit, "state": change.state.rawValue, "queued": change.queued,
            "running": change.running, "done": change.done, "total": change.total, "blocked": change.blocked,
        ]
        if let composite = change.composite { object["composite"] = Scoreboard.rounded(composite) }
        if !change.budget.isEmpty {
            object["budget"] = change.budget.map { bar -> [String: Any] in
                var entry: [String: Any] = [
                    "scope": bar.scope, "unit": bar.unit.rawValue, "spent": bar.spent, "reserved": bar.reserved,
                ]
                if let soft = bar.soft { entry["soft"] = soft }
                if let hard = bar.hard { entry["hard"] = hard }
                return entry
            }
        }
        return line(object)
    }

    static func finishedEvent(_ summary: BatchSummary, branch: String) -> String {
        var object: [String: Any] = [
            "event": "finished", "batch": summary.batch, "branch": branch, "counts": summary.counts,
            "summary": BatchSettings.folder(summary.batch) + "/summary.json",
        ]
        if let blocked = summary.blocked { object["blocked"] = blocked }
        return line(object)
    }

    private static func line(_ object: [String: Any]) -> String {
        let data =
            (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
