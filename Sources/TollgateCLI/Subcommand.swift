import TollgateEngine

/// One subcommand, as the one table of them says: its name, how `--help` lists and explains it, the options it
/// takes, and how its arguments become an ``Invocation/Command``.
///
/// The overview, `tollgate help NAME`, the parser and the option checks all read ``all``.
struct Subcommand: Sendable {
    /// The word after `tollgate`.
    let name: String
    /// The command with its arguments, as the overview lists it (`review DIR VERDICT`).
    let synopsis: String
    /// One line for the overview.
    let summary: String
    /// `tollgate NAME --help`.
    let help: String
    /// Options that take a value (`--home` is every command's).
    let options: Set<String>
    /// Options that take none.
    let flags: Set<String>
    /// Reads the arguments after the name; the scanner has already refused options the command does not take.
    let parse: @Sendable (inout OptionScanner) throws(UsageError) -> Invocation.Command

    /// The subcommand called `name`, if there is one.
    static func named(_ name: String) -> Subcommand? { all.first { $0.name == name } }

    /// Every subcommand, in the order `--help` lists them.
    static let all: [Subcommand] = [
        Subcommand(
            name: "init",
            synopsis: "init [DIR]",
            summary: "create a job in DIR",
            help: """
                USAGE: tollgate init DIR [--expert NAME] [--autonomy LEVEL] [--agent CMD] [--description TEXT]
                                         [--review local|gitea] [--set KEY=VALUE]...

                Creates a job in DIR: a git repository (or an existing one on main) with workspace.md committed on
                main and the job's state on the branch tollgate/state. Nothing runs yet: `tollgate run DIR` does.

                OPTIONS:
                  --expert NAME        expert defaults from config/experts/NAME.json (debugger, researcher, writer,
                                       coder, validator)
                  --autonomy LEVEL     full, review, partial, guided or dependent (when the job freezes for review)
                  --agent CMD          the agent command, run by /bin/sh -c in the workspace
                                       (default: tollgate example-agent)
                  --description TEXT   what the job is about; the agent reads it in its brief
                  --review HOST        local (default) or gitea
                  --set KEY=VALUE      any configuration key (repeatable); `tollgate config DIR` lists them
                """,
            options: ["--expert", "--autonomy", "--agent", "--description", "--set", "--review"],
            flags: [],
            parse: { scanner throws(UsageError) in
                let options = JobOptions(
                    expert: try scanner.value("--expert"),
                    autonomy: try scanner.value("--autonomy"),
                    agent: try scanner.value("--agent"),
                    description: try scanner.value("--description") ?? "",
                    review: try scanner.value("--review"),
                    assignments: try scanner.assignments()
                )
                return .initJob(directory: try scanner.directory(), options: options)
            }
        ),
        Subcommand(
            name: "run",
            synopsis: "run DIR",
            summary: "run phases until a freeze, completion or failure",
            help: """
                USAGE: tollgate run DIR

                Runs phases until the job freezes for review (exit 3), completes (exit 0) or fails (exit 1). A failed
                or interrupted job is continued from the step that did not finish; nothing that finished is redone.
                """,
            options: [],
            flags: ["--quiet"],
            parse: { scanner throws(UsageError) in .run(directory: try scanner.directory()) }
        ),
        Subcommand(
            name: "resume",
            synopsis: "resume DIR",
            summary: "read the verdict on the open review and act on it",
            help: """
                USAGE: tollgate resume DIR

                Reads the verdict on the open review and acts on it: approved for the current head → squash-merge into
                main and continue; approved for an older commit → ask again and stay frozen; changes requested → the
                agent gets every comment on the same branch and the review is asked again; closed → the phase is redone
                from main on phase-N-type-rev-M. No verdict yet → exit 3 and where the review is.
                """,
            options: [],
            flags: ["--quiet"],
            parse: { scanner throws(UsageError) in .resume(directory: try scanner.directory()) }
        ),
        Subcommand(
            name: "watch",
            synopsis: "watch ROOT",
            summary: "resume every job under ROOT that awaits a review (--once, --interval SECONDS)",
            help: WatchCommand.help,
            options: ["--interval"],
            flags: ["--once"],
            parse: { scanner throws(UsageError) in .watch(try WatchCommand.parse(&scanner)) }
        ),
        Subcommand(
            name: "status",
            synopsis: "status DIR",
            summary: "where the job stands (--json for scripts)",
            help: """
                USAGE: tollgate status DIR [--json]

                Where the job stands. With --json, one object: status (created, running, pending_review, completed,
                failed, cancelled), phase, phaseType, revision, branch, autonomy, review (null, or host, id, location),
                and more.
                """,
            options: [],
            flags: ["--json"],
            parse: { scanner throws(UsageError) in
                .status(directory: try scanner.directory(), json: scanner.flag("--json"))
            }
        ),
        Subcommand(
            name: "review",
            synopsis: "review DIR VERDICT",
            summary: "give a verdict on the local review: approve, request-changes, comment, close",
            help: """
                USAGE: tollgate review DIR approve|request-changes|comment|close [--message TEXT]
                                       [--comment PATH:LINE:TEXT]... [--as NAME]

                Gives a verdict on the job's open review on the local host (for Gitea jobs, review the pull request in
                Gitea). Then run `tollgate resume DIR`.

                OPTIONS:
                  --message TEXT            the review's body (request-changes needs it or a --comment)
                  --comment PATH:LINE:TEXT  an inline comment on line LINE of PATH (repeatable)
                  --as NAME                 the reviewer's name (default: $USER, else "reviewer")
                """,
            options: ["--message", "--comment", "--as"],
            flags: [],
            parse: { scanner throws(UsageError) in try ReviewCommand.parse(&scanner) }
        ),
        Subcommand(
            name: "log",
            synopsis: "log DIR",
            summary: "the job's evidence trail (--json for one event a line)",
            help: """
                USAGE: tollgate log DIR [--json]

                The job's evidence trail from tollgate/state: one event a line (seq, time, type, phase, revision, data).
                """,
            options: [],
            flags: ["--json"],
            parse: { scanner throws(UsageError) in
                .log(directory: try scanner.directory(), json: scanner.flag("--json"))
            }
        ),
        Subcommand(
            name: "stats",
            synopsis: "stats DIR|ROOT",
            summary: "timings from the local telemetry: count, p50, p95, max, histogram (--json)",
            help: """
                USAGE: tollgate stats DIR|ROOT [--json]

                Figures of the job's local telemetry (.git/tollgate/telemetry.ndjson: never committed, pushed or
                sent), or of every job in the folder ROOT: per metric its count, p50, p95 and max, with a small
                histogram. With --json, one object: {"jobs", "skipped", "metrics": [{"metric", "unit", "count",
                "p50", "p95", "max", "histogram": [{"from", "to", "count"}]}]}. telemetry.enabled=false records none.
                """,
            options: [],
            flags: ["--json"],
            parse: { scanner throws(UsageError) in
                .stats(directory: try scanner.directory(), json: scanner.flag("--json"))
            }
        ),
        Subcommand(
            name: "config",
            synopsis: "config DIR",
            summary: "the job's configuration, each value with its source; --set changes it",
            help: """
                USAGE: tollgate config DIR [--set KEY=VALUE]...

                The job's resolved configuration: every key with its value and where it came from (defaults,
                config/defaults.json, the expert's file, --set, --autonomy, --agent, config --set, or a
                TOLLGATE_CRITIQUE_* variable). The variables of this shell are shown over the job's own values, as
                the next run or resume applies them (and stores them with the job); docs/configuration.md names them.

                With --set, changes settings of an existing job (for example a reviewer's login, the agent's
                timeout, or the autonomy level); the change is recorded as a config.changed event on tollgate/state
                and the next run or resume uses it. review.host, gitea.url, gitea.owner and gitea.repo are fixed
                when the job is created. A completed or cancelled job cannot change.

                OPTIONS:
                  --set KEY=VALUE   a key and its new value (repeatable)
                """,
            options: ["--set"],
            flags: [],
            parse: { scanner throws(UsageError) in
                let assignments = try scanner.assignments()
                return .config(directory: try scanner.directory(), assignments: assignments)
            }
        ),
        Subcommand(
            name: "cancel",
            synopsis: "cancel DIR",
            summary: "end the job: its open review is closed, every branch kept (--message TEXT)",
            help: """
                USAGE: tollgate cancel DIR [--message TEXT]

                Ends the job: its open review (a local review or a Gitea pull request) is closed with a note saying
                why, every branch is kept, and the job becomes cancelled. Nothing runs after it; `status` and `log`
                still show the whole job. A completed or cancelled job cannot be cancelled.

                OPTIONS:
                  --message TEXT       why the job ends (one line; in the event and on the closed review)
                """,
            options: ["--message"],
            flags: [],
            parse: { scanner throws(UsageError) in
                let message = try scanner.value("--message")
                return .cancel(directory: try scanner.directory(), message: message)
            }
        ),
        Subcommand(
            name: "example-agent",
            synopsis: "example-agent",
            summary: "the built-in deterministic agent (used as --agent \"tollgate example-agent\")",
            help: """
                USAGE: tollgate example-agent

                The built-in deterministic agent, run by the engine (--agent "tollgate example-agent"). It reads the
                TOLLGATE_* environment: a strategic phase writes plan.md and todos.yaml (a plan of four todos, a
                diamond: gather; outline and examples after it; draft after both), a task (TOLLGATE_MODE=task) writes
                outputs/<task>.md from the outputs it builds on, a tactical phase run as one writes outputs/<todo>.md
                for each todo, feedback mode answers every review item, and the third phase or a later one reports
                the job complete. It writes its outcome JSON to $TOLLGATE_OUTCOME.
                """,
            options: [],
            flags: [],
            parse: { _ throws(UsageError) in .exampleAgent }
        ),
        Subcommand(
            name: "demo",
            synopsis: "demo [DIR]",
            summary: "a whole job on embedded defaults, start to finish",
            help: """
                USAGE: tollgate demo [DIR]

                Runs a whole job with the example agent at guided autonomy on the local review host, playing the
                reviewer: it requests changes with an inline comment on the first plan, approves the revision and the
                later reviews, and ends completed. DIR defaults to a new folder in the system's temporary directory.
                """,
            options: [],
            flags: [],
            parse: { scanner throws(UsageError) in
                let positionals = scanner.positionals
                guard positionals.count <= 1 else {
                    throw UsageError("demo takes at most one directory", command: "demo")
                }
                scanner.positionals = []
                return .demo(directory: positionals.first)
            }
        ),
        Subcommand(
            name: "critique",
            synopsis: "critique FILE",
            summary: "run a critic over any file (critique replay TRANSCRIPT: rebuild its summary)",
            help: CritiqueCommand.help,
            options: ["--command", "--out"],
            flags: ["--json"],
            parse: { scanner throws(UsageError) in .critique(try CritiqueCommand.parse(&scanner)) }
        ),
        Subcommand(
            name: "batch",
            synopsis: "batch DIR",
            summary: "critique many files of a repository at once, on a branch batch/<id> (--files, --critic)",
            help: BatchCommand.help,
            options: [
                "--files", "--critic", "--revise", "--jobs", "--resume", "--accept", "--rollback", "--unit", "--set",
            ],
            flags: ["--json"],
            parse: { scanner throws(UsageError) in .batch(try BatchCommand.parse(&scanner)) }
        ),
        Subcommand(
            name: "example-critic",
            synopsis: "example-critic",
            summary: "the built-in deterministic critic (--set critique.command=\"tollgate example-critic\")",
            help: ExampleCriticCommand.help,
            options: ["--rounds"],
            flags: [],
            parse: { scanner throws(UsageError) in .exampleCritic(try ExampleCriticCommand.parse(&scanner)) }
        ),
    ]
}
