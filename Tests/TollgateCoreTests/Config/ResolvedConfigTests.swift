import Foundation
import Testing
import TollgateCore

struct ResolvedConfigTests {
    private let defaultsFile = ConfigLayer(
        source: "config/defaults.json",
        values: ["autonomy": .string("partial"), "maxPhases": .int(12)]
    )
    private let expertFile = ConfigLayer(
        source: "config/experts/debugger.json",
        values: ["autonomy": .string("full")]
    )

    @Test func anOverrideWinsWithItsSourceAndLeavesTheRestAlone() async throws {
        let resolved = try ResolvedConfig(layers: [defaultsFile, expertFile])
        let changed = try resolved.overriding(
            with: ConfigLayer(source: "config --set", values: ["autonomy": .string("guided")])
        )
        #expect(changed["autonomy"] == ResolvedConfig.Entry(value: .string("guided"), source: "config --set"))
        #expect(changed["maxPhases"] == resolved["maxPhases"])
        #expect(changed.entries.count == resolved.entries.count)
    }

    @Test func anOverrideIsValidatedLikeALayer() async throws {
        let resolved = try ResolvedConfig(layers: [])
        #expect(throws: ConfigError.self) {
            try resolved.overriding(with: ConfigLayer(source: "config --set", values: ["autonomy": .string("often")]))
        }
        #expect(throws: ConfigError.self) {
            try resolved.overriding(with: ConfigLayer(source: "config --set", values: ["no.such.key": .int(1)]))
        }
    }

    @Test func schemaDefaultsFillEveryKey() async throws {
        let config = try ResolvedConfig(layers: [])
        #expect(config.entries.count == ConfigSchema.standard.keys.count)
        for key in ConfigSchema.standard.keys {
            #expect(config[key.name] == ResolvedConfig.Entry(value: key.defaultValue, source: "defaults"))
        }
    }

    /// Each row: the layers applied (by label), and the expected autonomy with the source it came from.
    @Test(arguments: [
        ([String](), "partial", "defaults"),
        (["defaults.json"], "partial", "config/defaults.json"),
        (["defaults.json", "expert"], "full", "config/experts/debugger.json"),
        (["defaults.json", "expert", "--set"], "guided", "--set"),
        (["defaults.json", "expert", "--set", "--autonomy"], "dependent", "--autonomy"),
        (["defaults.json", "--autonomy", "expert"], "full", "config/experts/debugger.json"),
    ])
    func laterLayersWin(labels: [String], autonomy: String, source: String) async throws {
        let available: [String: ConfigLayer] = [
            "defaults.json": self.defaultsFile,
            "expert": self.expertFile,
            "--set": try ConfigLayer(assignments: ["autonomy=guided", "maxPhases=3"]),
            "--autonomy": try ConfigLayer(source: "--autonomy", key: "autonomy", text: "dependent"),
        ]
        let config = try ResolvedConfig(layers: labels.compactMap { available[$0] })
        #expect(config[ConfigKeys.autonomy].rawValue == autonomy)
        #expect(config["autonomy"]?.source == source)
    }

    @Test func eachKeyKeepsTheSourceOfTheLastLayerThatSetIt() async throws {
        let config = try ResolvedConfig(layers: [
            self.defaultsFile, self.expertFile, try ConfigLayer(assignments: ["agent.command=./run.sh"]),
        ])
        #expect(config["maxPhases"] == ResolvedConfig.Entry(value: .int(12), source: "config/defaults.json"))
        #expect(
            config["autonomy"] == ResolvedConfig.Entry(value: .string("full"), source: "config/experts/debugger.json")
        )
        #expect(config["agent.command"] == ResolvedConfig.Entry(value: .string("./run.sh"), source: "--set"))
        #expect(config["agent.graceSeconds"] == ResolvedConfig.Entry(value: .int(5), source: "defaults"))
    }

    @Test func typedAccessorsReturnTheResolvedValues() async throws {
        let config = try ResolvedConfig(layers: [
            try ConfigLayer(assignments: [
                "agent.command=a b", "agent.timeoutSeconds=9", "critique.threshold=6", "critique.escalate=false",
                "review.reviewers=x,y",
            ])
        ])
        #expect(config[ConfigKeys.agentCommand] == "a b")
        #expect(config[ConfigKeys.agentTimeoutSeconds] == 9)
        #expect(config[ConfigKeys.critiqueThreshold] == 6)
        #expect(config[ConfigKeys.critiqueEscalate] == false)
        #expect(config[ConfigKeys.reviewReviewers] == ["x", "y"])
    }

    @Test func unvalidatedLayerValuesAreCheckedWhenResolved() async {
        let agentFlag = ConfigLayer(source: "--autonomy", values: ["autonomy": .string("sometimes")])
        #expect(
            throws: ConfigError.invalidValue(
                source: "--autonomy",
                key: "autonomy",
                value: #""sometimes""#,
                allowed: "one of: full, review, partial, guided, dependent"
            )
        ) {
            try ResolvedConfig(layers: [agentFlag])
        }
        let job = ConfigLayer(source: "job", values: ["agent.timeout": .int(3)])
        #expect(throws: ConfigError.unknownKey(source: "job", key: "agent.timeout", suggestion: "agent.timeoutSeconds"))
        {
            try ResolvedConfig(layers: [job])
        }
    }

    @Test func persistsAsSortedKeyToValueAndSource() async throws {
        let config = try ResolvedConfig(layers: [self.expertFile])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = try #require(String(data: try encoder.encode(config), encoding: .utf8))
        #expect(json.hasPrefix(#"{"agent.command":{"source":"defaults","value":"tollgate example-agent"},"#))
        #expect(json.contains(#""autonomy":{"source":"config\/experts\/debugger.json","value":"full"}"#))
        let keys = ConfigSchema.standard.keys.map(\.name)
        let positions = keys.compactMap { json.range(of: "\"\($0)\":{")?.lowerBound }
        #expect(positions.count == keys.count)
        #expect(positions == positions.sorted())
    }

    @Test func decodingRestoresEachValuesKind() async throws {
        // JSON writes 8.0 as 8; the decoded value must still be a number for a number key.
        let config = try ResolvedConfig(layers: [
            try ConfigLayer(assignments: ["critique.threshold=8", "critique.weights.designer=0"])
        ])
        let data = try JSONEncoder().encode(config)
        let decoded = try JSONDecoder().decode(ResolvedConfig.self, from: data)
        #expect(decoded == config)
        #expect(decoded[ConfigKeys.critiqueThreshold] == 8)
        #expect(decoded["critique.threshold"]?.value == .double(8))
    }

    @Test func decodingFillsKeysMissingFromAnOlderFile() async throws {
        let json = #"{"autonomy": {"value": "review", "source": "job"}, "retired.key": {"value": 1, "source": "job"}}"#
        let decoded = try JSONDecoder().decode(ResolvedConfig.self, from: Data(json.utf8))
        #expect(decoded["autonomy"] == ResolvedConfig.Entry(value: .string("review"), source: "job"))
        #expect(decoded["maxPhases"] == ResolvedConfig.Entry(value: .int(20), source: "defaults"))
        #expect(decoded["retired.key"]?.value == .int(1))
    }

    @Test func decodingRejectsAValueOfTheWrongKind() async {
        let json = #"{"maxPhases": {"value": "many", "source": "job"}}"#
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(ResolvedConfig.self, from: Data(json.utf8))
        }
    }

    @Test func rendersAnAlignedTableWithSources() async throws {
        let config = try ResolvedConfig(layers: [self.defaultsFile, self.expertFile])
        let lines = config.rendered().split(separator: "\n").map(String.init)
        #expect(lines.count == ConfigSchema.standard.keys.count)
        let autonomy = try #require(lines.first { $0.hasPrefix("autonomy ") })
        #expect(autonomy.hasSuffix("  (config/experts/debugger.json)"))
        #expect(autonomy.contains(#" = "full" "#))
        let reviewers = try #require(lines.first { $0.hasPrefix("review.reviewers ") })
        #expect(reviewers.contains(" = [] "))
        #expect(reviewers.hasSuffix("(defaults)"))
        // Every "=" and every "(" sits in the same column.
        let equalsColumns = Set(
            lines.map { $0.distance(from: $0.startIndex, to: $0.firstIndex(of: "=") ?? $0.endIndex) }
        )
        let sourceColumns = Set(
            lines.map { $0.distance(from: $0.startIndex, to: $0.lastIndex(of: "(") ?? $0.endIndex) }
        )
        #expect(equalsColumns.count == 1)
        #expect(sourceColumns.count == 1)
    }
}
