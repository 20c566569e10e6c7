/// Every configuration key as a typed constant: `config[ConfigKeys.agentTimeoutSeconds]` is an `Int`, and a
/// mistyped name does not compile.
///
/// ``all`` lists them for ``ConfigSchema/standard``, and so for `docs/configuration.md`.
public enum ConfigKeys {
    public static let autonomy = Setting<AutonomyLevel>.choice(
        "autonomy",
        default: .partial,
        doc: "When the job stops for a human review: never (full) up to after every phase (dependent)."
    )
    public static let agentCommand = Setting<String>.command(
        "agent.command",
        default: "tollgate example-agent",
        doc: "The agent, run by /bin/sh -c in the workspace root on the phase branch."
    )
    public static let agentTimeoutSeconds = Setting<Int>.integer(
        "agent.timeoutSeconds",
        1...Int.max,
        default: 1800,
        doc: "Seconds an agent run may take before it is sent SIGTERM and the phase fails."
    )
    public static let agentGraceSeconds = Setting<Int>.integer(
        "agent.graceSeconds",
        0...Int.max,
        default: 5,
        doc: "Seconds between SIGTERM and SIGKILL when an agent run times out."
    )
    public static let maxPhases = Setting<Int>.integer(
        "maxPhases",
        1...Int.max,
        default: 20,
        doc: "The most phases a job may run; reaching it fails the job."
    )
    public static let reviewHost = Setting<ReviewHostKind>.choice(
        "review.host",
        default: .local,
        doc: "Where reviews happen: the built-in local host or a Gitea server."
    )
    public static let reviewReviewers = Setting<[String]>.names(
        "review.reviewers",
        default: [],
        doc: "Users asked to review each pull request (Gitea user names)."
    )
    public static let gitAuthorName = Setting<String>.text(
        "git.authorName",
        default: "Tollgate",
        doc: "Author and committer name of the commits Tollgate makes."
    )
    public static let gitAuthorEmail = Setting<String>.text(
        "git.authorEmail",
        default: "tollgate@localhost",
        doc: "Author and committer email of the commits Tollgate makes."
    )
    public static let giteaUrl = Setting<String>.text(
        "gitea.url",
        default: "",
        doc: "Base URL of the Gitea server, such as https://gitea.example.com."
    )
    public static let giteaOwner = Setting<String>.text(
        "gitea.owner",
        default: "",
        doc: "User or organisation that owns the job repositories on Gitea."
    )
    public static let giteaRepo = Setting<String>.text(
        "gitea.repo",
        default: "",
        doc: "Repository name on Gitea; empty means the job id."
    )
    public static let giteaTokenEnv = Setting<String>.text(
        "gitea.tokenEnv",
        default: "TOLLGATE_GITEA_TOKEN",
        doc: "Environment variable that holds the Gitea access token."
    )
    public static let giteaTokenFile = Setting<String>.text(
        "gitea.tokenFile",
        default: "",
        doc: "File holding the Gitea token, readable by its owner only; used when the variable is unset."
    )
    public static let giteaCaFile = Setting<String>.text(
        "gitea.caFile",
        default: "",
        doc: "PEM file of extra certificate authorities to trust for the Gitea server."
    )
    public static let giteaInsecureSkipTLSVerify = Setting<Bool>.flag(
        "gitea.insecureSkipTLSVerify",
        default: false,
        doc: "Skip TLS certificate checks for Gitea. Only for throwaway test servers."
    )
    public static let giteaTimeoutSeconds = Setting<Int>.integer(
        "gitea.timeoutSeconds",
        1...Int.max,
        default: 30,
        doc: "Seconds one request to Gitea may take."
    )
    public static let giteaMergeWaitSeconds = Setting<Int>.integer(
        "gitea.mergeWaitSeconds",
        0...86_400,
        default: 120,
        doc: "Longest wait for Gitea's mergeability check before a merge; 0 tries once."
    )
    public static let giteaReviewerTeam = Setting<String>.text(
        "gitea.reviewerTeam",
        default: "",
        doc: "Team of the owning organisation that reviewers join for access; empty adds them as collaborators."
    )
    public static let giteaPollIntervalSeconds = Setting<Int>.integer(
        "gitea.pollIntervalSeconds",
        1...Int.max,
        default: 60,
        doc: "Seconds between checks of a frozen job's review when waiting for a verdict."
    )
    public static let critiqueEnabled = Setting<Bool>.flag(
        "critique.enabled",
        default: false,
        doc: "Run the critique panel on the artifacts of the phase types below."
    )
    public static let critiqueCommand = Setting<String>.text(
        "critique.command",
        default: "",
        doc: "The critic, run by /bin/sh -c; its stdout speaks critique protocol v1."
    )
    public static let critiqueThreshold = Setting<Double>.number(
        "critique.threshold",
        0...10,
        default: 8.0,
        doc: "Composite score from which an artifact ships."
    )
    public static let critiqueMaxRounds = Setting<Int>.integer(
        "critique.maxRounds",
        1...10,
        default: 3,
        doc: "Most critique rounds before the fallback policy decides."
    )
    public static let critiqueWeightsCritic = Setting<Double>.number(
        "critique.weights.critic",
        0...Double.infinity,
        default: 0.4,
        doc: "Weight of the critic panelist in the composite score."
    )
    public static let critiqueWeightsBrand = Setting<Double>.number(
        "critique.weights.brand",
        0...Double.infinity,
        default: 0.2,
        doc: "Weight of the brand panelist in the composite score."
    )
    public static let critiqueWeightsA11y = Setting<Double>.number(
        "critique.weights.a11y",
        0...Double.infinity,
        default: 0.2,
        doc: "Weight of the accessibility panelist in the composite score."
    )
    public static let critiqueWeightsCopy = Setting<Double>.number(
        "critique.weights.copy",
        0...Double.infinity,
        default: 0.2,
        doc: "Weight of the copy panelist in the composite score."
    )
    public static let critiqueWeightsDesigner = Setting<Double>.number(
        "critique.weights.designer",
        0...Double.infinity,
        default: 0.0,
        doc: "Weight of the designer panelist (0: its score is shown but not counted)."
    )
    public static let critiqueRoundTimeoutSeconds = Setting<Int>.integer(
        "critique.roundTimeoutSeconds",
        1...Int.max,
        default: 90,
        doc: "Seconds one critique round may take."
    )
    public static let critiqueTotalTimeoutSeconds = Setting<Int>.integer(
        "critique.totalTimeoutSeconds",
        1...Int.max,
        default: 240,
        doc: "Seconds a whole critique run may take."
    )
    public static let critiqueParserMaxBlockBytes = Setting<Int>.integer(
        "critique.parserMaxBlockBytes",
        1024...Int.max,
        default: 262_144,
        doc: "Largest single block the critique parser buffers before it rejects the stream."
    )
    public static let critiqueFallbackPolicy = Setting<CritiqueConfig.FallbackPolicy>.choice(
        "critique.fallbackPolicy",
        default: .shipBest,
        doc: "What happens when no round ships: keep the best round, the last one, or fail."
    )
    public static let critiquePhaseTypes = Setting<[String]>.choices(
        "critique.phaseTypes",
        of: PhaseType.self,
        default: [.strategic],
        doc: "Phase types whose artifacts are critiqued (strategic, tactical)."
    )
    public static let critiqueArtifacts = Setting<[String]>.list(
        "critique.artifacts",
        default: ["plan.md"],
        doc: "Workspace files the critic reviews."
    )
    public static let critiqueEscalate = Setting<Bool>.flag(
        "critique.escalate",
        default: true,
        doc: "Freeze for review when a critique does not ship, even where autonomy would auto-merge."
    )
    public static let critiqueRevisionGates = Setting<[GateSpec]>.gates(
        "critique.revision.gates",
        commandStrings: true,
        doc: "Gates run by /bin/sh -c on each revision, before its critique, as verify.gates or plain commands."
    )
    public static let critiqueRevisionGatesBlocking = Setting<Bool>.flag(
        "critique.revision.gatesBlocking",
        default: true,
        doc: "A failing gate stops the loop (true), or becomes a must-fix item of the next revision (false)."
    )
    public static let critiqueRevisionGateTimeoutSeconds = Setting<Int>.integer(
        "critique.revision.gateTimeoutSeconds",
        1...Int.max,
        default: 120,
        doc: "Seconds one gate may run before it is stopped and counts as failed."
    )
    public static let critiqueRevisionMaxIterations = Setting<Int>.integer(
        "critique.revision.maxIterations",
        1...3,
        default: 3,
        doc: "Most revise-then-critique iterations per artifact.",
        limitNote: "the hard cap is 3: the revision loop never runs more than 3 iterations"
    )
    public static let critiqueRevisionLoopTimeoutSeconds = Setting<Int>.integer(
        "critique.revision.loopTimeoutSeconds",
        1...Int.max,
        default: 600,
        doc: "Seconds the whole revision loop may take."
    )
    public static let critiqueRevisionFloorSeconds = Setting<Int>.integer(
        "critique.revision.floorSeconds",
        0...Int.max,
        default: 20,
        doc: "Seconds that must remain in the loop's budget to start another iteration."
    )
    public static let critiqueRevisionMaxOutputTokens = Setting<Int>.integer(
        "critique.revision.maxOutputTokens",
        1...Int.max,
        default: 20_000,
        doc: "Output tokens the revision loop may spend in total."
    )

    // MARK: Plans (DESIGN §10)

    public static let dispatchMode = Setting<DispatchMode>.choice(
        "dispatch.mode",
        default: .auto,
        doc: "A tactical phase with a plan: tasks when it has 2 todos or more (auto), always one run, or tasks."
    )
    public static let dispatchMaxParallel = Setting<Int>.integer(
        "dispatch.maxParallel",
        1...64,
        default: 2,
        doc: "Most task agents running at once in a dispatched phase."
    )
    public static let verifyGates = Setting<[GateSpec]>.gates(
        "verify.gates",
        commandStrings: false,
        doc: "Gates run in order on the phase branch's head after a tactical phase (timeoutSeconds defaults to 600)."
    )

    // MARK: Budgets, privacy and telemetry (DESIGN §11)

    public static let budgetTokensSoft = Setting<Int>.integer(
        "budget.tokens.soft",
        0...Int.max,
        default: 0,
        doc: "Tokens the job may spend before it freezes for review at the next boundary; 0 is none."
    )
    public static let budgetTokensHard = Setting<Int>.integer(
        "budget.tokens.hard",
        0...Int.max,
        default: 0,
        doc: "Tokens the job may never pass: a run whose reservation would pass it does not start; 0 is none."
    )
    public static let budgetCostUSDSoft = Setting<Double>.number(
        "budget.costUSD.soft",
        0...Double.infinity,
        default: 0,
        doc: "Dollars the job may spend before it freezes for review at the next boundary; 0 is none."
    )
    public static let budgetCostUSDHard = Setting<Double>.number(
        "budget.costUSD.hard",
        0...Double.infinity,
        default: 0,
        doc: "Dollars the job may never pass: a run whose reservation would pass it does not start; 0 is none."
    )
    public static let budgetSecondsSoft = Setting<Int>.integer(
        "budget.seconds.soft",
        0...Int.max,
        default: 0,
        doc: "Seconds of agent, critic and gate runs before the job freezes for review; 0 is none."
    )
    public static let budgetSecondsHard = Setting<Int>.integer(
        "budget.seconds.hard",
        0...Int.max,
        default: 0,
        doc:
            "Seconds of agent, critic and gate runs the job may never pass; shortens each run's timeout to what is "
            + "left; 0 is none."
    )
    public static let budgetProject = Setting<String>.text(
        "budget.project",
        default: "",
        doc: "Project whose daily caps this job shares with the machine's other jobs naming it; empty is none."
    )
    public static let budgetDailyTokensSoft = Setting<Int>.integer(
        "budget.daily.tokens.soft",
        0...Int.max,
        default: 0,
        doc: "Tokens the project may spend in a UTC day before its jobs freeze for review; 0 is none."
    )
    public static let budgetDailyTokensHard = Setting<Int>.integer(
        "budget.daily.tokens.hard",
        0...Int.max,
        default: 0,
        doc: "Tokens the project may never pass in a UTC day, across the machine's jobs; 0 is none."
    )
    public static let budgetDailyCostUSDSoft = Setting<Double>.number(
        "budget.daily.costUSD.soft",
        0...Double.infinity,
        default: 0,
        doc: "Dollars the project may spend in a UTC day before its jobs freeze for review; 0 is none."
    )
    public static let budgetDailyCostUSDHard = Setting<Double>.number(
        "budget.daily.costUSD.hard",
        0...Double.infinity,
        default: 0,
        doc: "Dollars the project may never pass in a UTC day, across the machine's jobs; 0 is none."
    )
    public static let agentReserveTokens = Setting<Int>.integer(
        "agent.reserve.tokens",
        0...Int.max,
        default: 0,
        doc: "Tokens held for an agent run before it starts; a hard tokens cap needs it above 0."
    )
    public static let agentReserveCostUSD = Setting<Double>.number(
        "agent.reserve.costUSD",
        0...Double.infinity,
        default: 0,
        doc: "Dollars held for an agent run before it starts; a hard cost cap needs it above 0."
    )
    public static let critiqueReserveTokens = Setting<Int>.integer(
        "critique.reserve.tokens",
        0...Int.max,
        default: 0,
        doc: "Tokens held for a critic run; charged when the critic writes no usage to $TOLLGATE_USAGE."
    )
    public static let critiqueReserveCostUSD = Setting<Double>.number(
        "critique.reserve.costUSD",
        0...Double.infinity,
        default: 0,
        doc: "Dollars held for a critic run; charged when the critic writes no usage to $TOLLGATE_USAGE."
    )
    public static let privacyMode = Setting<PrivacyMode>.choice(
        "privacy.mode",
        default: .standard,
        doc: "local-only runs agents, critics and gates with no network but their own loopback, "
            + "and refuses review.host=gitea."
    )
    public static let telemetryEnabled = Setting<Bool>.flag(
        "telemetry.enabled",
        default: true,
        doc: "Record timings to .git/tollgate/telemetry.ndjson (never committed, pushed or sent)."
    )

    /// Every key, untyped, in the order above; a key left out here is in no schema, so it is never resolved
    /// (ConfigSchemaTests checks that this list and the constants agree).
    public static let all: [ConfigKey] = [
        autonomy.key,
        agentCommand.key,
        agentTimeoutSeconds.key,
        agentGraceSeconds.key,
        maxPhases.key,
        reviewHost.key,
        reviewReviewers.key,
        gitAuthorName.key,
        gitAuthorEmail.key,
        giteaUrl.key,
        giteaOwner.key,
        giteaRepo.key,
        giteaTokenEnv.key,
        giteaTokenFile.key,
        giteaCaFile.key,
        giteaInsecureSkipTLSVerify.key,
        giteaTimeoutSeconds.key,
        giteaMergeWaitSeconds.key,
        giteaReviewerTeam.key,
        giteaPollIntervalSeconds.key,
        critiqueEnabled.key,
        critiqueCommand.key,
        critiqueThreshold.key,
        critiqueMaxRounds.key,
        critiqueWeightsCritic.key,
        critiqueWeightsBrand.key,
        critiqueWeightsA11y.key,
        critiqueWeightsCopy.key,
        critiqueWeightsDesigner.key,
        critiqueRoundTimeoutSeconds.key,
        critiqueTotalTimeoutSeconds.key,
        critiqueParserMaxBlockBytes.key,
        critiqueFallbackPolicy.key,
        critiquePhaseTypes.key,
        critiqueArtifacts.key,
        critiqueEscalate.key,
        critiqueRevisionGates.key,
        critiqueRevisionGatesBlocking.key,
        critiqueRevisionGateTimeoutSeconds.key,
        critiqueRevisionMaxIterations.key,
        critiqueRevisionLoopTimeoutSeconds.key,
        critiqueRevisionFloorSeconds.key,
        critiqueRevisionMaxOutputTokens.key,
        dispatchMode.key,
        dispatchMaxParallel.key,
        verifyGates.key,
        budgetTokensSoft.key,
        budgetTokensHard.key,
        budgetCostUSDSoft.key,
        budgetCostUSDHard.key,
        budgetSecondsSoft.key,
        budgetSecondsHard.key,
        budgetProject.key,
        budgetDailyTokensSoft.key,
        budgetDailyTokensHard.key,
        budgetDailyCostUSDSoft.key,
        budgetDailyCostUSDHard.key,
        agentReserveTokens.key,
        agentReserveCostUSD.key,
        critiqueReserveTokens.key,
        critiqueReserveCostUSD.key,
        privacyMode.key,
        telemetryEnabled.key,
    ]
}
