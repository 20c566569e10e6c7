/// The `--help` text of tollgate and of each command.
enum HelpText {
    static let overview = """
        tollgate: a git-backed workflow engine for the work of autonomous agents.

        A job's workspace is a git repository. The agent works in phases (strategic: plan; tactical: execute), each
        on its own branch phase-N-type; the autonomy level decides after which phases the job freezes for a review.
        Approved work is squash-merged into main; requested changes go back to the agent on the same branch.

        USAGE: tollgate <command> [options]

        COMMANDS:
          init [DIR]          create a job in DIR
          run DIR             run phases until a freeze, completion or failure
          resume DIR          read the verdict on the open review and act on it
          watch ROOT          resume every job under ROOT that awaits a review (--once, --interval SECONDS)
          status DIR          where the job stands (--json for scripts)
          review DIR VERDICT  give a verdict on the local review: approve, request-changes, comment, close
          log DIR             the job's evidence trail (--json for one event a line)
          stats DIR|ROOT      timings from the local telemetry: count, p50, p95, max, histogram (--json)
          config DIR          the job's configuration, each value with its source; --set changes it
          cancel DIR          end the job: its open review is closed, every branch kept (--message TEXT)
          example-agent       the built-in deterministic agent (used as --agent "tollgate example-agent")
          demo [DIR]          a whole job on embedded defaults, start to finish
          critique FILE       run a critic over any file (critique replay TRANSCRIPT: rebuild its summary)
          example-critic      the built-in deterministic critic (--set critique.command="tollgate example-critic")

        DIR is the job's directory; it defaults to the current directory.

        EXIT STATUS: 0 done, 1 failure, 3 frozen awaiting review, 64 usage error, 128+N interrupted by signal N
        (130 for Ctrl-C).
        Every command takes --help, and --home PATH (where config/ and Templates/ are). `tollgate --version` prints
        the version.
        """

    static func text(for command: String?) -> String {
        switch command {
        case "init":
            return """
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
                """
        case "run":
            return """
                USAGE: tollgate run DIR

                Runs phases until the job freezes for review (exit 3), completes (exit 0) or fails (exit 1). A failed
                or interrupted job is continued from the step that did not finish; nothing that finished is redone.
                """
        case "resume":
            return """
                USAGE: tollgate resume DIR

                Reads the verdict on the open review and acts on it: approved for the current head → squash-merge into
                main and continue; approved for an older commit → ask again and stay frozen; changes requested → the
                agent gets every comment on the same branch and the review is asked again; closed → the phase is redone
                from main on phase-N-type-rev-M. No verdict yet → exit 3 and where the review is.
                """
        case "watch":
            return """
                USAGE: tollgate watch ROOT [--interval SECONDS] [--once]

                Every directory directly under ROOT that holds a job awaiting review is resumed: its verdict is read
                and acted on, as `tollgate resume` does. One line per job; one job's failure does not stop the others.
                Repeats every SECONDS until stopped; without --interval, every gitea.pollIntervalSeconds (the
                smallest among the jobs under ROOT; 60 when there is none). With --once, one pass (for cron and
                scripts). Exit status 0, or 1 when every job it resumed failed.
                """
        case "status":
            return """
                USAGE: tollgate status DIR [--json]

                Where the job stands. With --json, one object: status (created, running, pending_review, completed,
                failed, cancelled), phase, phaseType, revision, branch, autonomy, review (null, or host, id, location),
                and more.
                """
        case "review":
            return """
                USAGE: tollgate review DIR approve|request-changes|comment|close [--message TEXT]
                                       [--comment PATH:LINE:TEXT]... [--as NAME]

                Gives a verdict on the job's open review on the local host (for Gitea jobs, review the pull request in
                Gitea). Then run `tollgate resume DIR`.

                OPTIONS:
                  --message TEXT            the review's body (request-changes needs it or a --comment)
                  --comment PATH:LINE:TEXT  an inline comment on line LINE of PATH (repeatable)
                  --as NAME                 the reviewer's name (default: $USER, else "reviewer")
                """
        case "log":
            return """
                USAGE: tollgate log DIR [--json]

                The job's evidence trail from tollgate/state: one event a line (seq, time, type, phase, revision, data).
                """
        case "cancel":
            return """
                USAGE: tollgate cancel DIR [--message TEXT]

                Ends the job: its open review (a local review or a Gitea pull request) is closed with a note saying
                why, every branch is kept, and the job becomes cancelled. Nothing runs after it; `status` and `log`
                still show the whole job. A completed or cancelled job cannot be cancelled.

                OPTIONS:
                  --message TEXT       why the job ends (one line; in the event and on the closed review)
                """
        case "config":
            return """
                USAGE: tollgate config DIR [--set KEY=VALUE]...

                The job's resolved configuration: every key with its value and where it came from (defaults,
                config/defaults.json, the expert's file, --set, --autonomy, --agent, config --set).

                With --set, changes settings of an existing job (for example a reviewer's login, the agent's
                timeout, or the autonomy level); the change is recorded as a config.changed event on tollgate/state
                and the next run or resume uses it. review.host, gitea.url, gitea.owner and gitea.repo are fixed
                when the job is created. A completed or cancelled job cannot change.

                OPTIONS:
                  --set KEY=VALUE   a key and its new value (repeatable)
                """
        case "stats":
            return """
                USAGE: tollgate stats DIR|ROOT [--json]

                Figures of the job's local telemetry (.git/tollgate/telemetry.ndjson: never committed, pushed or
                sent), or of every job in the folder ROOT: per metric its count, p50, p95 and max, with a small
                histogram. With --json, one object: {"jobs", "skipped", "metrics": [{"metric", "unit", "count",
                "p50", "p95", "max", "histogram": [{"from", "to", "count"}]}]}. telemetry.enabled=false records none.
                """
        case "example-agent":
            return """
                USAGE: tollgate example-agent

                The built-in deterministic agent, run by the engine (--agent "tollgate example-agent"). It reads the
                TOLLGATE_* environment: a strategic phase writes plan.md and todos.yaml, a tactical phase writes
                outputs/<todo>.md for each todo, feedback mode answers every review item, and the third phase or a
                later one reports the job complete. It writes its outcome JSON to $TOLLGATE_OUTCOME.
                """
        case "demo":
            return """
                USAGE: tollgate demo [DIR]

                Runs a whole job with the example agent at guided autonomy on the local review host, playing the
                reviewer: it requests changes with an inline comment on the first plan, approves the revision and the
                later reviews, and ends completed. DIR defaults to a new folder in the system's temporary directory.
                """
        case "critique": return CritiqueCommand.help
        case "example-critic": return ExampleCriticCommand.help
        default:
            return overview
        }
    }
}
