import Foundation
import Testing
import TollgateCore

struct CritiqueConfigTests {
    @Test func defaultsMatchProtocolVersionOne() throws {
        let config = try CritiqueConfig.default.validated()
        #expect(config.threshold == 8.0 && config.scale == 10 && config.maxRounds == 3)
        #expect(config.weights == [.designer: 0, .critic: 0.4, .brand: 0.2, .a11y: 0.2, .copy: 0.2])
        #expect(config.roundTimeoutSeconds == 90 && config.totalTimeoutSeconds == 240)
        #expect(config.parserMaxBlockBytes == 262_144 && config.fallbackPolicy == .shipBest)
        #expect(!config.enabled && config.command.isEmpty && config.phaseTypes == ["strategic"])
        #expect(config.artifacts == ["plan.md"] && config.escalate)
        #expect(config.maxIterations == 3 && config.loopTimeoutSeconds == 600 && config.loopFloorSeconds == 20)
        #expect(config.maxOutputTokens == 20_000 && config.similarityStop == 0.95)
        #expect(config.panel == [.designer, .critic, .brand, .a11y, .copy])
    }

    @Test func environmentOverridesEveryKind() throws {
        let config = try CritiqueConfig.default.applyingEnvironment([
            "TOLLGATE_CRITIQUE_ENABLED": "yes",
            "TOLLGATE_CRITIQUE_THRESHOLD": "7.5",
            "TOLLGATE_CRITIQUE_MAX_ROUNDS": "5",
            "TOLLGATE_CRITIQUE_FALLBACK_POLICY": "ship_last",
            "TOLLGATE_CRITIQUE_PHASE_TYPES": "strategic, tactical",
            "TOLLGATE_CRITIQUE_WEIGHT_CRITIC": "0.5",
            "TOLLGATE_CRITIQUE_COMMAND": "tollgate example-critic",
            "TOLLGATE_CRITIQUE_SIMILARITY_STOP": "0.9",
            "PATH": "/usr/bin",
        ])
        #expect(config.enabled && config.threshold == 7.5 && config.maxRounds == 5)
        #expect(config.fallbackPolicy == .shipLast && config.phaseTypes == ["strategic", "tactical"])
        #expect(config.weight(of: .critic) == 0.5 && config.command == "tollgate example-critic")
        #expect(config.similarityStop == 0.9)
    }

    @Test(arguments: [
        ("TOLLGATE_CRITIQUE_THRESHOLD", "high", "a number of at least 0"),
        ("TOLLGATE_CRITIQUE_MAX_ROUNDS", "0", "a whole number of at least 1"),
        ("TOLLGATE_CRITIQUE_FALLBACK_POLICY", "ship_first", "ship_best, ship_last, fail"),
        ("TOLLGATE_CRITIQUE_ENABLED", "maybe", "true or false (also 1/0, yes/no)"),
        ("TOLLGATE_CRITIQUE_PARSER_MAX_BLOCK_BYTES", "12", "a whole number of bytes, at least 1024"),
        ("TOLLGATE_CRITIQUE_PHASE_TYPES", "strategic,daily", "a comma-separated list of strategic, tactical"),
        ("TOLLGATE_CRITIQUE_WEIGHT_BRAND", "-1", "a number of at least 0"),
        ("TOLLGATE_CRITIQUE_SIMILARITY_STOP", "1.5", "a number from 0 to 1"),
    ])
    func badEnvironmentValueNamesTheVariableAndWhatIsAllowed(variable: String, value: String, allowed: String) {
        #expect(throws: CritiqueConfigError(source: variable, value: value, allowed: allowed)) {
            try CritiqueConfig.default.applyingEnvironment([variable: value])
        }
    }

    @Test func unknownEnvironmentVariableIsAnError() {
        do {
            _ = try CritiqueConfig.default.applyingEnvironment(["TOLLGATE_CRITIQUE_TRESHOLD": "7"])
            Issue.record("expected an error")
        } catch {
            #expect(error.source == "TOLLGATE_CRITIQUE_TRESHOLD" && error.value == nil)
            #expect(error.suggestion == "TOLLGATE_CRITIQUE_THRESHOLD")
            #expect(error.description.contains("did you mean TOLLGATE_CRITIQUE_THRESHOLD?"))
        }
    }

    @Test(arguments: [
        ("TOLLGATE_CRITIQUE_MAX_ROUND", "TOLLGATE_CRITIQUE_MAX_ROUNDS"),
        ("TOLLGATE_CRITIQUE_WEIGTH_CRITIC", "TOLLGATE_CRITIQUE_WEIGHT_CRITIC"),
        ("TOLLGATE_CRITIQUE_ARTEFACT", "TOLLGATE_CRITIQUE_ARTIFACT"),
        ("TOLLGATE_CRITIQUE_COLOUR", nil),
    ])
    func misspeltOverrideIsAnErrorThatNamesTheLikelyOne(variable: String, suggestion: String?) {
        #expect(throws: CritiqueConfigError.self) { try CritiqueConfig.default.applyingEnvironment([variable: "1"]) }
        do {
            _ = try CritiqueConfig.default.applyingEnvironment([variable: "1"])
        } catch {
            #expect(error.source == variable && error.suggestion == suggestion)
        }
    }

    @Test func theEnvironmentTheEngineGivesACriticApplies() throws {
        // What the engine's runner sets for a critic: the artifact's path and the settings that shape
        // the critic's output, under their override names.
        let environment = [
            "TOLLGATE_CRITIQUE_ARTIFACT": "/tmp/workspace/plan.md",
            "TOLLGATE_CRITIQUE_MAX_ROUNDS": "2", "TOLLGATE_CRITIQUE_THRESHOLD": "7.5",
            "TOLLGATE_CRITIQUE_SCALE": "10.0", "TOLLGATE_CRITIQUE_PANEL": "designer,critic,brand,a11y,copy",
            "TOLLGATE_CRITIQUE_ROUND_TIMEOUT_SECONDS": "90", "TOLLGATE_CRITIQUE_TOTAL_TIMEOUT_SECONDS": "240",
            "TOLLGATE_CRITIQUE_PROTOCOL_VERSION": "1", "TOLLGATE_CRITIQUE_WEIGHT_CRITIC": "0.5",
            "PATH": "/usr/bin",
        ]
        let config = try CritiqueConfig.default.applyingEnvironment(environment)
        #expect(config.maxRounds == 2 && config.threshold == 7.5 && config.weight(of: .critic) == 0.5)
        #expect(config.artifacts == CritiqueConfig.default.artifacts)
        let onlyTheArtifact = try CritiqueConfig.default.applyingEnvironment(["TOLLGATE_CRITIQUE_ARTIFACT": "x.md"])
        #expect(onlyTheArtifact == .default)
    }

    @Test func thresholdAboveTheScaleIsRejectedAfterOverrides() {
        #expect(throws: CritiqueConfigError.self) {
            try CritiqueConfig.default.applyingEnvironment(["TOLLGATE_CRITIQUE_THRESHOLD": "12"])
        }
    }

    @Test(arguments: [(0, 0), (1, 1), (3, 3), (4, 3), (100, 3)])
    func iterationsAreHardCappedAtThree(configured: Int, effective: Int) throws {
        let config = try CritiqueConfig.default.applyingEnvironment([
            "TOLLGATE_CRITIQUE_MAX_ITERATIONS": "\(configured)"
        ])
        #expect(config.effectiveMaxIterations == effective)
        #expect(RevisionLoopMachine.Settings(config).maxIterations == effective)
    }

    @Test func decodingFillsDefaultsAndRejectsUnknownKeys() throws {
        let partial = try JSONDecoder().decode(
            CritiqueConfig.self,
            from: Data(#"{"threshold": 7, "weights": {"critic": 1}}"#.utf8)
        )
        #expect(partial.threshold == 7 && partial.weights == [.critic: 1] && partial.maxRounds == 3)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(CritiqueConfig.self, from: Data(#"{"treshold": 7}"#.utf8))
        }
        let encoded = try JSONEncoder().encode(CritiqueConfig.default)
        #expect(try JSONDecoder().decode(CritiqueConfig.self, from: encoded) == .default)
    }
}
