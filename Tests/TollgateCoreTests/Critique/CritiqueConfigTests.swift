import Foundation
import Testing
import TollgateCore

/// The critique settings come from the one schema: defaults, `--set`, files and the `TOLLGATE_CRITIQUE_*`
/// variables, each variable a layer whose source is its name.
struct CritiqueConfigTests {
    @Test func defaultsMatchProtocolVersionOne() async {
        let config = CritiqueConfig.default
        #expect(config.threshold == 8.0 && config.scale == 10 && config.maxRounds == 3)
        #expect(config.weights == [.designer: 0, .critic: 0.4, .brand: 0.2, .a11y: 0.2, .copy: 0.2])
        #expect(config.roundTimeoutSeconds == 90 && config.totalTimeoutSeconds == 240)
        #expect(config.parserMaxBlockBytes == 262_144 && config.fallbackPolicy == .shipBest)
        #expect(!config.enabled && config.command.isEmpty && config.phaseTypes == [.strategic])
        #expect(config.artifacts == ["plan.md"] && config.escalate)
        #expect(config.maxIterations == 3 && config.loopTimeoutSeconds == 600 && config.loopFloorSeconds == 20)
        #expect(config.maxOutputTokens == 20_000 && config.similarityStop == 0.95)
        #expect(config.panel == [.designer, .critic, .brand, .a11y, .copy])
    }

    /// The variable of a key is `TOLLGATE_` and the key in upper snake case; only `critique.*` keys have one.
    @Test(arguments: [
        ("critique.threshold", "TOLLGATE_CRITIQUE_THRESHOLD"),
        ("critique.maxRounds", "TOLLGATE_CRITIQUE_MAX_ROUNDS"),
        ("critique.weights.a11y", "TOLLGATE_CRITIQUE_WEIGHTS_A11Y"),
        ("critique.revision.maxIterations", "TOLLGATE_CRITIQUE_REVISION_MAX_ITERATIONS"),
        ("critique.revision.gatesBlocking", "TOLLGATE_CRITIQUE_REVISION_GATES_BLOCKING"),
    ])
    func variableNamesFollowTheKey(key: String, variable: String) async throws {
        let schemaKey = try #require(ConfigSchema.standard.key(named: key))
        #expect(ConfigLayer.environmentVariable(for: schemaKey) == variable)
    }

    @Test func onlyCritiqueKeysHaveAVariable() async {
        for key in ConfigSchema.standard.keys {
            #expect(
                (ConfigLayer.environmentVariable(for: key) != nil) == key.name.hasPrefix("critique."),
                "\(key.name)"
            )
        }
    }

    @Test func environmentOverridesEveryKindAndNamesEachVariableAsTheSource() async throws {
        let config = try ResolvedConfig(
            layers: ConfigLayer.environment([
                "TOLLGATE_CRITIQUE_ENABLED": "true",
                "TOLLGATE_CRITIQUE_THRESHOLD": "7.5",
                "TOLLGATE_CRITIQUE_MAX_ROUNDS": "5",
                "TOLLGATE_CRITIQUE_FALLBACK_POLICY": "ship_last",
                "TOLLGATE_CRITIQUE_PHASE_TYPES": "strategic, tactical",
                "TOLLGATE_CRITIQUE_WEIGHTS_CRITIC": "0.5",
                "TOLLGATE_CRITIQUE_COMMAND": "tollgate example-critic",
                "TOLLGATE_CRITIQUE_REVISION_GATES": "swift build,swift test",
                "PATH": "/usr/bin",
            ])
        )
        let critique = CritiqueConfig(config)
        #expect(critique.enabled && critique.threshold == 7.5 && critique.maxRounds == 5)
        #expect(critique.fallbackPolicy == .shipLast && critique.phaseTypes == [.strategic, .tactical])
        #expect(critique.weight(of: .critic) == 0.5 && critique.command == "tollgate example-critic")
        #expect(config[ConfigKeys.critiqueRevisionGates].map(\.command) == ["swift build", "swift test"])
        #expect(config[entry: ConfigKeys.critiqueThreshold].source == "TOLLGATE_CRITIQUE_THRESHOLD")
        #expect(config[entry: ConfigKeys.critiqueEscalate].source == ConfigLayer.defaultsSource)
        #expect(config[entry: ConfigKeys.agentCommand].source == ConfigLayer.defaultsSource)
    }

    @Test(arguments: [
        ("TOLLGATE_CRITIQUE_THRESHOLD", "high", "a number from 0.0 to 10.0"),
        ("TOLLGATE_CRITIQUE_THRESHOLD", "12", "a number from 0.0 to 10.0"),
        ("TOLLGATE_CRITIQUE_MAX_ROUNDS", "0", "an integer from 1 to 10"),
        ("TOLLGATE_CRITIQUE_FALLBACK_POLICY", "ship_first", "one of: ship_best, ship_last, fail"),
        ("TOLLGATE_CRITIQUE_ENABLED", "maybe", "true or false"),
        ("TOLLGATE_CRITIQUE_PARSER_MAX_BLOCK_BYTES", "12", "an integer of at least 1024"),
        ("TOLLGATE_CRITIQUE_PHASE_TYPES", "strategic,daily", "a list of: strategic, tactical"),
        ("TOLLGATE_CRITIQUE_WEIGHTS_BRAND", "-1", "a number of at least 0.0"),
    ])
    func badValueNamesTheVariableTheKeyAndWhatIsAllowed(variable: String, value: String, allowed: String) async {
        do {
            _ = try ConfigLayer.environment([variable: value])
            Issue.record("expected an error for \(variable)=\(value)")
        } catch {
            guard case .invalidValue(let source, let key, _, let said) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(source == variable && key.hasPrefix("critique.") && said.hasPrefix(allowed), "\(error)")
        }
    }

    @Test(arguments: [
        ("TOLLGATE_CRITIQUE_TRESHOLD", "TOLLGATE_CRITIQUE_THRESHOLD"),
        ("TOLLGATE_CRITIQUE_MAX_ROUND", "TOLLGATE_CRITIQUE_MAX_ROUNDS"),
        ("TOLLGATE_CRITIQUE_WEIGHT_CRITIC", "TOLLGATE_CRITIQUE_WEIGHTS_CRITIC"),
        ("TOLLGATE_CRITIQUE_ARTEFACT", "TOLLGATE_CRITIQUE_ARTIFACT"),
        ("TOLLGATE_CRITIQUE_COLOUR", nil),
    ])
    func misspeltVariableIsAnErrorThatNamesTheLikelyOne(variable: String, suggestion: String?) async {
        #expect(throws: ConfigError.unknownVariable(name: variable, suggestion: suggestion)) {
            try ConfigLayer.environment([variable: "1"])
        }
        let text = ConfigError.unknownVariable(name: variable, suggestion: suggestion).description
        #expect(text.contains(variable) && text.contains(suggestion ?? "docs/configuration.md"), "\(text)")
    }

    @Test func theEnvironmentTheRunnerGivesACriticReadsBackAsItsSettings() async throws {
        // The runner's inputs (the artifact, protocol v1's scale, panel and version) are not settings and are
        // skipped; the settings it passes are read back as they were.
        let environment = [
            "TOLLGATE_CRITIQUE_ARTIFACT": "/tmp/workspace/plan.md",
            "TOLLGATE_CRITIQUE_MAX_ROUNDS": "2", "TOLLGATE_CRITIQUE_THRESHOLD": "7.5",
            "TOLLGATE_CRITIQUE_SCALE": "10.0", "TOLLGATE_CRITIQUE_PANEL": "designer,critic,brand,a11y,copy",
            "TOLLGATE_CRITIQUE_ROUND_TIMEOUT_SECONDS": "90", "TOLLGATE_CRITIQUE_TOTAL_TIMEOUT_SECONDS": "240",
            "TOLLGATE_CRITIQUE_PROTOCOL_VERSION": "1", "TOLLGATE_CRITIQUE_WEIGHTS_CRITIC": "0.5",
            "PATH": "/usr/bin",
        ]
        let config = CritiqueConfig(try ResolvedConfig(layers: ConfigLayer.environment(environment)))
        #expect(config.maxRounds == 2 && config.threshold == 7.5 && config.weight(of: .critic) == 0.5)
        #expect(config.artifacts == CritiqueConfig.default.artifacts)
        #expect(try ConfigLayer.environment(["TOLLGATE_CRITIQUE_ARTIFACT": "x.md"]).isEmpty)
    }

    @Test func enablingCritiqueWithoutACriticIsRefusedNamingTheVariable() async {
        do {
            _ = try ResolvedConfig(layers: ConfigLayer.environment(["TOLLGATE_CRITIQUE_ENABLED": "true"]))
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("TOLLGATE_CRITIQUE_ENABLED"), "\(error)")
            #expect(error.description.contains("critique.command"), "\(error)")
        }
    }

    @Test(arguments: [(1, 1), (2, 2), (3, 3)])
    func iterationsAreHardCappedAtThree(configured: Int, effective: Int) async throws {
        let config = CritiqueConfig(
            try ResolvedConfig(
                layers: ConfigLayer.environment(["TOLLGATE_CRITIQUE_REVISION_MAX_ITERATIONS": "\(configured)"])
            )
        )
        #expect(config.effectiveMaxIterations == effective)
        #expect(RevisionLoopMachine.Settings(config).maxIterations == effective)
        var raised = config
        raised.maxIterations = 100
        #expect(raised.effectiveMaxIterations == CritiqueConfig.hardMaxIterations)
        #expect(throws: ConfigError.self) {
            try ConfigLayer.environment(["TOLLGATE_CRITIQUE_REVISION_MAX_ITERATIONS": "4"])
        }
    }
}
