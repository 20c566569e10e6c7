/// The `--help` text of tollgate and of each command.
enum HelpText {
    static let overview = """
        tollgate: a git-backed workflow engine for the work of autonomous agents.

        A job's workspace is a git repository. The agent works in phases (strategic: plan; tactical: execute), each
        on its own branch phase-N-type; the autonomy level decides after which phases the job freezes for a review.
        Approved work is squash-merged into main; requested changes go back to the agent on the same branch.

        USAGE: tollgate <command> [options]

        COMMANDS:
        \(commandList)

        DIR is the job's directory; it defaults to the current directory.

        EXIT STATUS: 0 done, 1 failure, 3 frozen awaiting review, 64 usage error, 128+N interrupted by signal N
        (130 for Ctrl-C).
        Every command takes --help, and --home PATH (where config/ and Templates/ are). `tollgate --version` prints
        the version.
        """

    /// The overview's list of commands, from the one table: synopsis and summary, aligned.
    private static var commandList: String {
        let width = (Subcommand.all.map(\.synopsis.count).max() ?? 0) + 2
        return Subcommand.all.map { subcommand in
            "  " + subcommand.synopsis + String(repeating: " ", count: width - subcommand.synopsis.count)
                + subcommand.summary
        }.joined(separator: "\n")
    }

    /// `tollgate help COMMAND`, or the overview for none.
    static func text(for command: String?) -> String {
        command.flatMap(Subcommand.named)?.help ?? overview
    }
}
