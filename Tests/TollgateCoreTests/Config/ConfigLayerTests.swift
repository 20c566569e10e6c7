import Foundation
import Testing
import TollgateCore

struct ConfigLayerTests {
    private func layer(_ json: String, source: String = "config/experts/coder.json") throws(ConfigError) -> ConfigLayer
    {
        try ConfigLayer(json: Data(json.utf8), source: source)
    }

    private func error(_ json: String, source: String = "config/experts/coder.json") -> ConfigError? {
        do {
            _ = try self.layer(json, source: source)
            return nil
        } catch {
            return error
        }
    }

    @Test func nestedObjectsFlattenToDottedKeys() async throws {
        let nested = try self.layer(
            #"{"agent": {"command": "x", "timeoutSeconds": 5}, "critique": {"weights": {"copy": 1}}}"#
        )
        let dotted = try self.layer(#"{"agent.command": "x", "agent.timeoutSeconds": 5, "critique.weights.copy": 1}"#)
        #expect(nested == dotted)
        #expect(nested.values["agent.command"] == .string("x"))
        #expect(nested.values["agent.timeoutSeconds"] == .int(5))
        // An integer in JSON is a number for a number key.
        #expect(nested.values["critique.weights.copy"] == .double(1))
        #expect(nested.source == "config/experts/coder.json")
    }

    @Test func descriptionIsMetadataNotASetting() async throws {
        let layer = try self.layer(#"{"description": "Writes code.", "autonomy": "full"}"#)
        #expect(layer.description == "Writes code.")
        #expect(layer.values == ["autonomy": .string("full")])
        let error = self.error(#"{"description": 3}"#)
        #expect(
            error?.description
                == #"config/experts/coder.json: "description" is 3; allowed: a string (the file's description)"#
        )
    }

    @Test func unknownKeyNamesFileAndSuggestsTheNearestKey() async {
        let error = self.error(#"{"agent": {"comand": "x"}}"#)
        #expect(
            error == .unknownKey(source: "config/experts/coder.json", key: "agent.comand", suggestion: "agent.command")
        )
        #expect(
            error?.description
                == #"config/experts/coder.json: unknown key "agent.comand"; did you mean "agent.command"?"#
        )
    }

    @Test(arguments: [
        ("autonomi", "autonomy"),
        ("timeoutSeconds", "agent.timeoutSeconds"),
        ("critique.weight.critic", "critique.weights.critic"),
        ("gitea.URL", "gitea.url"),
    ])
    func suggestsTheKeyMeant(typed: String, meant: String) async {
        #expect(
            self.error(#"{"\#(typed)": 1}"#)
                == .unknownKey(source: "config/experts/coder.json", key: typed, suggestion: meant)
        )
    }

    @Test func unknownKeyFarFromAnyKnownKeyPointsToTheDocs() async {
        let error = self.error(#"{"colour": "blue"}"#)
        #expect(error == .unknownKey(source: "config/experts/coder.json", key: "colour", suggestion: nil))
        #expect(error?.description.contains("docs/configuration.md") == true)
    }

    @Test func badChoiceListsTheChoices() async {
        let error = self.error(#"{"autonomy": "fulll"}"#, source: "config/defaults.json")
        #expect(
            error?.description
                == #"config/defaults.json: "autonomy" is "fulll"; allowed: one of: full, review, partial, guided, dependent"#
        )
    }

    @Test func outOfRangeNamesTheRange() async {
        #expect(
            self.error(#"{"critique": {"threshold": 11}}"#)?.description
                == #"config/experts/coder.json: "critique.threshold" is 11; allowed: a number from 0.0 to 10.0"#
        )
        #expect(
            self.error(#"{"agent": {"timeoutSeconds": 0}}"#)?.description
                == #"config/experts/coder.json: "agent.timeoutSeconds" is 0; allowed: an integer of at least 1"#
        )
    }

    @Test func revisionIterationsAboveThreeCiteTheHardCap() async {
        let message = self.error(#"{"critique.revision.maxIterations": 4}"#)?.description ?? ""
        #expect(message.contains("\"critique.revision.maxIterations\" is 4"))
        #expect(message.contains("the hard cap is 3"))
    }

    @Test(arguments: [
        (#"{"agent.timeoutSeconds": "10"}"#, "agent.timeoutSeconds", #""10""#),
        (#"{"agent.timeoutSeconds": 1.5}"#, "agent.timeoutSeconds", "1.5"),
        (#"{"critique.enabled": 1}"#, "critique.enabled", "1"),
        (#"{"agent.command": true}"#, "agent.command", "true"),
        (#"{"review.reviewers": "alice"}"#, "review.reviewers", #""alice""#),
        (#"{"review.reviewers": ["alice", 2]}"#, "review.reviewers", #"["alice", 2]"#),
        (#"{"gitea.url": null}"#, "gitea.url", "null"),
    ])
    func wrongTypeIsRejectedWithTheValueShown(json: String, key: String, shown: String) async throws {
        let error = try #require(self.error(json))
        guard case .invalidValue(let source, let errorKey, let value, _) = error else {
            Issue.record("expected invalidValue, got \(error)")
            return
        }
        #expect(source == "config/experts/coder.json")
        #expect(errorKey == key)
        #expect(value == shown)
    }

    @Test func wholeNumberIsAcceptedForAnIntegerKey() async throws {
        #expect(try self.layer(#"{"maxPhases": 7.0}"#).values["maxPhases"] == .int(7))
    }

    @Test func malformedJSONNamesTheFile() async throws {
        let error = try #require(self.error("{\n  \"autonomy\": full\n}", source: "config/defaults.json"))
        guard case .malformedJSON(let source, let detail) = error else {
            Issue.record("expected malformedJSON, got \(error)")
            return
        }
        #expect(source == "config/defaults.json")
        #expect(detail.contains("line 2"), "\(detail)")
        #expect(error.description.hasPrefix("config/defaults.json: not valid JSON: "))
    }

    @Test func topLevelMustBeAnObject() async {
        #expect(self.error(#"["autonomy"]"#) == .notAnObject(source: "config/experts/coder.json"))
    }

    @Test func sameKeyNestedAndDottedIsAnError() async {
        #expect(
            self.error(#"{"agent": {"command": "a"}, "agent.command": "b"}"#)
                == .duplicateKey(source: "config/experts/coder.json", key: "agent.command")
        )
    }

    // MARK: - --set

    @Test func setParsesEachValueByItsKeysKind() async throws {
        let layer = try ConfigLayer(assignments: [
            "autonomy=guided", "agent.timeoutSeconds= 60 ", "critique.threshold=7.5", "critique.weights.copy=1",
            "critique.enabled=true", "review.reviewers=alice, bob", "critique.artifacts=", "agent.command=make -j2 a=b",
        ])
        #expect(layer.source == "--set")
        #expect(
            layer.values == [
                "autonomy": .string("guided"),
                "agent.timeoutSeconds": .int(60),
                "critique.threshold": .double(7.5),
                "critique.weights.copy": .double(1),
                "critique.enabled": .bool(true),
                "review.reviewers": .strings(["alice", "bob"]),
                "critique.artifacts": .strings([]),
                "agent.command": .string("make -j2 a=b"),
            ]
        )
    }

    @Test func laterSetOfTheSameKeyWins() async throws {
        let layer = try ConfigLayer(assignments: ["maxPhases=3", "maxPhases=4"])
        #expect(layer.values == ["maxPhases": .int(4)])
    }

    @Test func setWithoutEqualsIsAnError() async {
        #expect(throws: ConfigError.missingEquals(source: "--set", argument: "autonomy")) {
            try ConfigLayer(assignments: ["autonomy"])
        }
        #expect(
            ConfigError.missingEquals(source: "--set", argument: "autonomy").description
                == #"--set "autonomy": expected KEY=VALUE, such as --set autonomy=full"#
        )
    }

    @Test(arguments: [
        ("critique.enabled=yes", "critique.enabled", #""yes""#, "true or false"),
        ("maxPhases=many", "maxPhases", #""many""#, "an integer of at least 1"),
        ("maxPhases=0", "maxPhases", "0", "an integer of at least 1"),
        ("critique.threshold=nan", "critique.threshold", #""nan""#, "a number from 0.0 to 10.0"),
        ("review.host=github", "review.host", #""github""#, "one of: local, gitea"),
    ])
    func setRejectsBadValues(argument: String, key: String, shown: String, allowed: String) async {
        #expect(throws: ConfigError.invalidValue(source: "--set", key: key, value: shown, allowed: allowed)) {
            try ConfigLayer(assignments: [argument])
        }
    }

    @Test func setOfAnUnknownKeySuggests() async {
        #expect(
            throws: ConfigError.unknownKey(source: "--set", key: "agent.timeout", suggestion: "agent.timeoutSeconds")
        ) {
            try ConfigLayer(assignments: ["agent.timeout=5"])
        }
    }

    @Test func flagLayerParsesItsText() async throws {
        let layer = try ConfigLayer(source: "--autonomy", key: "autonomy", text: "dependent")
        #expect(layer == ConfigLayer(source: "--autonomy", values: ["autonomy": .string("dependent")]))
        #expect(
            throws: ConfigError.invalidValue(
                source: "--autonomy",
                key: "autonomy",
                value: #""none""#,
                allowed: "one of: full, review, partial, guided, dependent"
            )
        ) {
            try ConfigLayer(source: "--autonomy", key: "autonomy", text: "none")
        }
    }
}
