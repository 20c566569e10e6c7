/// Every configuration key Tollgate knows, sorted by name, with kinds, defaults and docs.
public struct ConfigSchema: Sendable, Equatable {
    /// The keys, sorted by name.
    public let keys: [ConfigKey]
    private let index: [String: Int]

    /// Creates a schema; the keys are sorted by name and must be unique.
    public init(keys: [ConfigKey]) {
        let sorted = keys.sorted { $0.name < $1.name }
        self.keys = sorted
        self.index = Dictionary(sorted.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The key with this dotted name, if the schema has it.
    public func key(named name: String) -> ConfigKey? {
        self.index[name].map { self.keys[$0] }
    }

    /// The known key nearest to an unknown name, for a "did you mean" hint.
    public func suggestion(for name: String) -> String? {
        EditDistance.closest(to: name, among: self.keys.map(\.name))
    }

    /// The bottom layer of every resolution: each key's default, with the source `defaults`.
    public var defaultsLayer: ConfigLayer {
        ConfigLayer(
            source: ConfigLayer.defaultsSource,
            values: Dictionary(uniqueKeysWithValues: self.keys.map { ($0.name, $0.defaultValue) })
        )
    }

    /// The keys of Tollgate, as documented in `docs/configuration.md`.
    public static let standard = ConfigSchema(keys: [
        ConfigKey(
            "autonomy",
            .choice(["full", "review", "partial", "guided", "dependent"]),
            default: .string("partial"),
            doc: "When the job stops for a human review: never (full) up to after every phase (dependent)."
        ),
        ConfigKey(
            "agent.command",
            .nonEmptyString,
            default: .string("tollgate example-agent"),
            doc: "The agent, run by /bin/sh -c in the workspace root on the phase branch."
        ),
        ConfigKey(
            "agent.timeoutSeconds",
            .int(1...Int.max),
            default: .int(1800),
            doc: "Seconds an agent run may take before it is sent SIGTERM and the phase fails."
        ),
        ConfigKey(
            "agent.graceSeconds",
            .int(0...Int.max),
            default: .int(5),
            doc: "Seconds between SIGTERM and SIGKILL when an agent run times out."
        ),
        ConfigKey(
            "maxPhases",
            .int(1...Int.max),
            default: .int(20),
            doc: "The most phases a job may run; reaching it fails the job."
        ),
        ConfigKey(
            "review.host",
            .choice(["local", "gitea"]),
            default: .string("local"),
            doc: "Where reviews happen: the built-in local host or a Gitea server."
        ),
        ConfigKey(
            "review.reviewers",
            .names,
            default: .strings([]),
            doc: "Users asked to review each pull request (Gitea user names)."
        ),
        ConfigKey(
            "git.authorName",
            .string,
            default: .string("Tollgate"),
            doc: "Author and committer name of the commits Tollgate makes."
        ),
        ConfigKey(
            "git.authorEmail",
            .string,
            default: .string("tollgate@localhost"),
            doc: "Author and committer email of the commits Tollgate makes."
        ),
        ConfigKey(
            "gitea.url",
            .string,
            default: .string(""),
            doc: "Base URL of the Gitea server, such as https://gitea.example.com."
        ),
        ConfigKey(
            "gitea.owner",
            .string,
            default: .string(""),
            doc: "User or organisation that owns the job repositories on Gitea."
        ),
        ConfigKey(
            "gitea.repo",
            .string,
            default: .string(""),
            doc: "Repository name on Gitea; empty means the job id."
        ),
        ConfigKey(
            "gitea.tokenEnv",
            .string,
            default: .string("TOLLGATE_GITEA_TOKEN"),
            doc: "Environment variable that holds the Gitea access token."
        ),
        ConfigKey(
            "gitea.tokenFile",
            .string,
            default: .string(""),
            doc: "File holding the Gitea token, readable by its owner only; used when the variable is unset."
        ),
        ConfigKey(
            "gitea.caFile",
            .string,
            default: .string(""),
            doc: "PEM file of extra certificate authorities to trust for the Gitea server."
        ),
        ConfigKey(
            "gitea.insecureSkipTLSVerify",
            .bool,
            default: .bool(false),
            doc: "Skip TLS certificate checks for Gitea. Only for throwaway test servers."
        ),
        ConfigKey(
            "gitea.timeoutSeconds",
            .int(1...Int.max),
            default: .int(30),
            doc: "Seconds one request to Gitea may take."
        ),
        ConfigKey(
            "gitea.mergeWaitSeconds",
            .int(0...86_400),
            default: .int(120),
            doc: "Longest wait for Gitea's mergeability check before a merge; 0 tries once."
        ),
        ConfigKey(
            "gitea.reviewerTeam",
            .string,
            default: .string(""),
            doc: "Team of the owning organisation that reviewers join for access; empty adds them as collaborators."
        ),
        ConfigKey(
            "gitea.pollIntervalSeconds",
            .int(1...Int.max),
            default: .int(60),
            doc: "Seconds between checks of a frozen job's review when waiting for a verdict."
        ),
        ConfigKey(
            "critique.enabled",
            .bool,
            default: .bool(false),
            doc: "Run the critique panel on the artifacts of the phase types below."
        ),
        ConfigKey(
            "critique.command",
            .string,
            default: .string(""),
            doc: "The critic, run by /bin/sh -c; its stdout speaks critique protocol v1."
        ),
        ConfigKey(
            "critique.threshold",
            .double(0...10),
            default: .double(8.0),
            doc: "Composite score from which an artifact ships."
        ),
        ConfigKey(
            "critique.maxRounds",
            .int(1...10),
            default: .int(3),
            doc: "Most critique rounds before the fallback policy decides."
        ),
        ConfigKey(
            "critique.weights.critic",
            .double(0...Double.infinity),
            default: .double(0.4),
            doc: "Weight of the critic panelist in the composite score."
        ),
        ConfigKey(
            "critique.weights.brand",
            .double(0...Double.infinity),
            default: .double(0.2),
            doc: "Weight of the brand panelist in the composite score."
        ),
        ConfigKey(
            "critique.weights.a11y",
            .double(0...Double.infinity),
            default: .double(0.2),
            doc: "Weight of the accessibility panelist in the composite score."
        ),
        ConfigKey(
            "critique.weights.copy",
            .double(0...Double.infinity),
            default: .double(0.2),
            doc: "Weight of the copy panelist in the composite score."
        ),
        ConfigKey(
            "critique.weights.designer",
            .double(0...Double.infinity),
            default: .double(0.0),
            doc: "Weight of the designer panelist (0: its score is shown but not counted)."
        ),
        ConfigKey(
            "critique.roundTimeoutSeconds",
            .int(1...Int.max),
            default: .int(90),
            doc: "Seconds one critique round may take."
        ),
        ConfigKey(
            "critique.totalTimeoutSeconds",
            .int(1...Int.max),
            default: .int(240),
            doc: "Seconds a whole critique run may take."
        ),
        ConfigKey(
            "critique.parserMaxBlockBytes",
            .int(1024...Int.max),
            default: .int(262_144),
            doc: "Largest single block the critique parser buffers before it rejects the stream."
        ),
        ConfigKey(
            "critique.fallbackPolicy",
            .choice(["ship_best", "ship_last", "fail"]),
            default: .string("ship_best"),
            doc: "What happens when no round ships: keep the best round, the last one, or fail."
        ),
        ConfigKey(
            "critique.phaseTypes",
            .choices(["strategic", "tactical"]),
            default: .strings(["strategic"]),
            doc: "Phase types whose artifacts are critiqued (strategic, tactical)."
        ),
        ConfigKey(
            "critique.artifacts",
            .strings,
            default: .strings(["plan.md"]),
            doc: "Workspace files the critic reviews."
        ),
        ConfigKey(
            "critique.escalate",
            .bool,
            default: .bool(true),
            doc: "Freeze for review when a critique does not ship, even where autonomy would auto-merge."
        ),
        ConfigKey(
            "critique.revision.gates",
            .strings,
            default: .strings([]),
            doc: "Shell commands run by /bin/sh -c on each revision, before its critique; each passes on exit 0."
        ),
        ConfigKey(
            "critique.revision.gatesBlocking",
            .bool,
            default: .bool(true),
            doc: "A failing gate stops the loop (true), or becomes a must-fix item of the next revision (false)."
        ),
        ConfigKey(
            "critique.revision.gateTimeoutSeconds",
            .int(1...Int.max),
            default: .int(120),
            doc: "Seconds one gate may run before it is stopped and counts as failed."
        ),
        ConfigKey(
            "critique.revision.maxIterations",
            .int(1...3),
            default: .int(3),
            doc: "Most revise-then-critique iterations per artifact.",
            limitNote: "the hard cap is 3: the revision loop never runs more than 3 iterations"
        ),
        ConfigKey(
            "critique.revision.loopTimeoutSeconds",
            .int(1...Int.max),
            default: .int(600),
            doc: "Seconds the whole revision loop may take."
        ),
        ConfigKey(
            "critique.revision.floorSeconds",
            .int(0...Int.max),
            default: .int(20),
            doc: "Seconds that must remain in the loop's budget to start another iteration."
        ),
        ConfigKey(
            "critique.revision.maxOutputTokens",
            .int(1...Int.max),
            default: .int(20_000),
            doc: "Output tokens the revision loop may spend in total."
        ),
        // Budgets, privacy and telemetry (DESIGN §11).
        ConfigKey(
            "budget.tokens.soft",
            .int(0...Int.max),
            default: .int(0),
            doc: "Tokens the job may spend before it freezes for review at the next boundary; 0 is none."
        ),
        ConfigKey(
            "budget.tokens.hard",
            .int(0...Int.max),
            default: .int(0),
            doc: "Tokens the job may never pass: a run whose reservation would pass it does not start; 0 is none."
        ),
        ConfigKey(
            "budget.costUSD.soft",
            .double(0...Double.infinity),
            default: .double(0),
            doc: "Dollars the job may spend before it freezes for review at the next boundary; 0 is none."
        ),
        ConfigKey(
            "budget.costUSD.hard",
            .double(0...Double.infinity),
            default: .double(0),
            doc: "Dollars the job may never pass: a run whose reservation would pass it does not start; 0 is none."
        ),
        ConfigKey(
            "budget.seconds.soft",
            .int(0...Int.max),
            default: .int(0),
            doc: "Seconds of agent, critic and gate runs before the job freezes for review; 0 is none."
        ),
        ConfigKey(
            "budget.seconds.hard",
            .int(0...Int.max),
            default: .int(0),
            doc:
                "Seconds of agent, critic and gate runs the job may never pass; shortens the agent's timeout; 0 is none."
        ),
        ConfigKey(
            "budget.project",
            .string,
            default: .string(""),
            doc: "Project whose daily caps this job shares with the machine's other jobs naming it; empty is none."
        ),
        ConfigKey(
            "budget.daily.tokens.soft",
            .int(0...Int.max),
            default: .int(0),
            doc: "Tokens the project may spend in a UTC day before its jobs freeze for review; 0 is none."
        ),
        ConfigKey(
            "budget.daily.tokens.hard",
            .int(0...Int.max),
            default: .int(0),
            doc: "Tokens the project may never pass in a UTC day, across the machine's jobs; 0 is none."
        ),
        ConfigKey(
            "budget.daily.costUSD.soft",
            .double(0...Double.infinity),
            default: .double(0),
            doc: "Dollars the project may spend in a UTC day before its jobs freeze for review; 0 is none."
        ),
        ConfigKey(
            "budget.daily.costUSD.hard",
            .double(0...Double.infinity),
            default: .double(0),
            doc: "Dollars the project may never pass in a UTC day, across the machine's jobs; 0 is none."
        ),
        ConfigKey(
            "agent.reserve.tokens",
            .int(0...Int.max),
            default: .int(0),
            doc: "Tokens held for an agent run before it starts; a hard tokens cap needs it above 0."
        ),
        ConfigKey(
            "agent.reserve.costUSD",
            .double(0...Double.infinity),
            default: .double(0),
            doc: "Dollars held for an agent run before it starts; a hard cost cap needs it above 0."
        ),
        ConfigKey(
            "critique.reserve.tokens",
            .int(0...Int.max),
            default: .int(0),
            doc: "Tokens held for a critic run; charged when the critic writes no usage to $TOLLGATE_USAGE."
        ),
        ConfigKey(
            "critique.reserve.costUSD",
            .double(0...Double.infinity),
            default: .double(0),
            doc: "Dollars held for a critic run; charged when the critic writes no usage to $TOLLGATE_USAGE."
        ),
        ConfigKey(
            "privacy.mode",
            .choice(["standard", "local-only"]),
            default: .string("standard"),
            doc: "local-only runs agents, critics and gates with no network but their own loopback, "
                + "and refuses review.host=gitea."
        ),
        ConfigKey(
            "telemetry.enabled",
            .bool,
            default: .bool(true),
            doc: "Record timings to .git/tollgate/telemetry.ndjson (never committed, pushed or sent)."
        ),
    ])
}
