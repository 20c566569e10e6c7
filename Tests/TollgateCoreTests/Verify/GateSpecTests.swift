import Foundation
import Testing
import TollgateCore

/// The one form of gates (`{name, command, timeoutSeconds}`), read from JSON as `verify.gates` and
/// `critique.revision.gates` take it, in a config file and with `--set`.
struct GateSpecTests {
    struct Row: Sendable, CustomTestStringConvertible {
        var json: String
        var allowingCommands: Bool = false
        var expected: Result<[GateSpec], GateSpec.Problem>
        var testDescription: String { json }
    }

    static func problem(_ text: String) -> Result<[GateSpec], GateSpec.Problem> {
        .failure(GateSpec.Problem(description: text))
    }

    @Test(arguments: [
        Row(json: "[]", expected: .success([])),
        Row(
            json:
                #"[{"name": "test", "command": "swift test", "timeoutSeconds": 900}, {"name": "lint", "command": "x"}]"#,
            expected: .success([
                GateSpec(name: "test", command: "swift test", timeoutSeconds: 900),
                GateSpec(name: "lint", command: "x"),
            ])
        ),
        Row(
            json: #"["make lint", {"name": "t", "command": "true"}]"#,
            allowingCommands: true,
            expected: .success([GateSpec(command: "make lint"), GateSpec(name: "t", command: "true")])
        ),
        Row(json: #"["make lint"]"#, expected: problem(#"gate 1 is a string; write {"name": …, "command": …}"#)),
        Row(json: #"[{"name": "test"}]"#, expected: problem(#"gate 1 has no "command""#)),
        Row(json: #"[{"command": "x"}]"#, expected: problem(#"gate 1 has no "name""#)),
        Row(
            json: #"[{"name": "a", "command": "x"}, {"name": "b", "command": 3}]"#,
            expected: problem(#"gate 2's "command" is not a string"#)
        ),
        Row(
            json: #"[{"name": "a", "command": "x", "timeoutSeconds": 1.5}]"#,
            expected: problem(#"gate 1's "timeoutSeconds" is not a whole number"#)
        ),
        Row(
            json: #"[{"name": "a", "command": "x", "timeoutSeconds": true}]"#,
            expected: problem(#"gate 1's "timeoutSeconds" is not a whole number"#)
        ),
        Row(
            json: #"[{"name": "a", "command": "x", "timeoutSeconds": 0}]"#,
            expected: problem("gate 1's timeoutSeconds is 0, not 1 or more")
        ),
        Row(
            json: #"[{"name": "a", "command": "x", "timeout": 5}]"#,
            expected: problem(#"gate 1 has the unknown key "timeout""#)
        ),
        Row(
            json: #"[{"name": "a b", "command": "x"}]"#,
            expected: problem(#"gate 1's name "a b" is not [A-Za-z0-9._-]{1,40}"#)
        ),
        Row(
            json: #"[{"name": "", "command": "x"}]"#,
            expected: problem(#"gate 1's name "" is not [A-Za-z0-9._-]{1,40}"#)
        ),
        Row(
            json: #"[{"name": "\#(String(repeating: "n", count: 41))", "command": "x"}]"#,
            expected: problem(#"gate 1's name "\#(String(repeating: "n", count: 41))" is not [A-Za-z0-9._-]{1,40}"#)
        ),
        Row(json: #"[{"name": "a", "command": "  "}]"#, expected: problem("gate 1 has an empty command")),
        Row(
            json: #"[{"name": "a", "command": "x"}, {"name": "a", "command": "y"}]"#,
            expected: problem(#"the name "a" is given to two gates"#)
        ),
        Row(json: #"{"name": "a", "command": "x"}"#, expected: problem("not a JSON list")),
        Row(json: #"[3]"#, expected: problem("gate 1 is not a gate object")),
        Row(json: #"[{"name": "a", "command": "x"}"#, expected: problem("not valid JSON")),
    ])
    func listsAreReadStrictly(_ row: Row) async {
        #expect(GateSpec.list(fromJSON: Data(row.json.utf8), allowingCommands: row.allowingCommands) == row.expected)
    }

    @Test func setTakesTheJSONOfVerifyGates() async throws {
        let layer = try ConfigLayer(assignments: [#"verify.gates=[{"name":"test","command":"swift test"}]"#])
        #expect(layer.values["verify.gates"] == .gates([GateSpec(name: "test", command: "swift test")]))
        let config = try ResolvedConfig(layers: [layer])
        #expect(config[ConfigKeys.verifyGates] == [GateSpec(name: "test", command: "swift test")])
        #expect(try ResolvedConfig(layers: [])[ConfigKeys.verifyGates].isEmpty)
    }

    @Test func aBadGateListNamesTheProblemAndTheForm() async {
        #expect {
            try ConfigLayer(assignments: [#"verify.gates=[{"name":"te st","command":"x"}]"#])
        } throws: { error in
            let text = "\(error)"
            return text.hasPrefix(#"--set: "verify.gates" is "#)
                && text.contains(#"gate 1's name "te st" is not [A-Za-z0-9._-]{1,40}"#)
                && text.contains(#"a JSON list of gates, each {"name""#)
        }
        #expect(throws: ConfigError.self) { try ConfigLayer(assignments: ["verify.gates=swift test"]) }
    }

    @Test func aConfigFileTakesGateObjects() async throws {
        let json = #"{"verify": {"gates": [{"name": "diff", "command": "git diff --check", "timeoutSeconds": 30}]}}"#
        let layer = try ConfigLayer(json: Data(json.utf8), source: "job.json")
        #expect(
            layer.values["verify.gates"]
                == .gates([GateSpec(name: "diff", command: "git diff --check", timeoutSeconds: 30)])
        )
        #expect {
            try ConfigLayer(json: Data(#"{"verify.gates": [{"name": "x"}]}"#.utf8), source: "job.json")
        } throws: { error in
            "\(error)".hasPrefix(#"job.json: "verify.gates" is "#) && "\(error)".contains(#"gate 1 has no "command""#)
        }
    }

    @Test func critiqueGatesStillTakePlainCommands() async throws {
        let set = try ConfigLayer(assignments: ["critique.revision.gates=make lint, test -s plan.md"])
        let resolved = try ResolvedConfig(layers: [set])
        #expect(
            resolved[ConfigKeys.critiqueRevisionGates] == [
                GateSpec(command: "make lint"), GateSpec(command: "test -s plan.md"),
            ]
        )
        let file = try ConfigLayer(
            json: Data(
                #"{"critique.revision.gates": ["make lint", {"name": "risks", "command": "grep -q Risks plan.md"}]}"#
                    .utf8
            ),
            source: "expert.json"
        )
        #expect(
            file.values["critique.revision.gates"]
                == .gates([GateSpec(command: "make lint"), GateSpec(name: "risks", command: "grep -q Risks plan.md")])
        )
    }

    @Test func gatesSurviveTheResolvedConfigsRoundTrip() async throws {
        let layer = try ConfigLayer(assignments: [#"verify.gates=[{"name":"t","command":"true","timeoutSeconds":5}]"#])
        let config = try ResolvedConfig(layers: [layer])
        let decoded = try JSONDecoder().decode(ResolvedConfig.self, from: JSONEncoder().encode(config))
        #expect(decoded[ConfigKeys.verifyGates] == [GateSpec(name: "t", command: "true", timeoutSeconds: 5)])
        #expect(
            ConfigValue.gates([GateSpec(name: "t", command: "a/b")]).description == #"[{"command":"a/b","name":"t"}]"#
        )
    }

    @Test(arguments: ["auto", "single", "tasks"])
    func dispatchModeIsAChoice(_ mode: String) async throws {
        #expect(try ConfigLayer(assignments: ["dispatch.mode=\(mode)"]).values["dispatch.mode"] == .string(mode))
    }

    @Test func dispatchRefusesOtherModesAndParallelismOutOfRange() async {
        #expect(throws: ConfigError.self) { try ConfigLayer(assignments: ["dispatch.mode=parallel"]) }
        #expect(throws: ConfigError.self) { try ConfigLayer(assignments: ["dispatch.maxParallel=0"]) }
        #expect(throws: ConfigError.self) { try ConfigLayer(assignments: ["dispatch.maxParallel=65"]) }
    }
}
