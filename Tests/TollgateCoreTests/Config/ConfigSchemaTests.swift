import Foundation
import Testing
import TollgateCore

struct ConfigSchemaTests {
    private let schema = ConfigSchema.standard

    @Test func keysAreSortedAndUnique() async {
        let names = self.schema.keys.map(\.name)
        #expect(names == names.sorted())
        #expect(Set(names).count == names.count)
    }

    /// Every typed constant of `ConfigKeys` is in `ConfigKeys.all` (and so in the schema) once: a constant left out
    /// would never be resolved and would always read as its default.
    @Test func everyTypedKeyIsInTheSchema() async throws {
        let source = try RepositoryFiles.text("Sources/TollgateCore/Config/ConfigKeys.swift")
        let constants = source.split(separator: "\n").compactMap { line -> String? in
            let words = line.trimmingCharacters(in: .whitespaces).split(separator: " ")
            guard words.count > 4, words[0] == "public", words[1] == "static", words[2] == "let",
                words[4] == "=", words.count > 5, words[5].hasPrefix("Setting<")
            else { return nil }
            return String(words[3])
        }
        let listed = source.split(separator: "\n").compactMap { line -> String? in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasSuffix(".key,") else { return nil }
            return String(trimmed.dropLast(".key,".count))
        }
        #expect(constants.count == self.schema.keys.count && !constants.isEmpty)
        #expect(listed == constants)
        #expect(ConfigKeys.all.map(\.name).sorted() == self.schema.keys.map(\.name))
    }

    @Test func everyDefaultIsAValidValueOfItsKey() async throws {
        for key in self.schema.keys {
            #expect(try key.validate(key.defaultValue, source: "defaults") == key.defaultValue, "\(key.name)")
        }
    }

    /// The defaults the design asks for, key by key.
    @Test(arguments: [
        ("autonomy", ConfigValue.string("partial")),
        ("agent.command", .string("tollgate example-agent")),
        ("agent.timeoutSeconds", .int(1800)),
        ("agent.graceSeconds", .int(5)),
        ("maxPhases", .int(20)),
        ("review.host", .string("local")),
        ("review.reviewers", .strings([])),
        ("git.authorName", .string("Tollgate")),
        ("git.authorEmail", .string("tollgate@localhost")),
        ("gitea.url", .string("")),
        ("gitea.owner", .string("")),
        ("gitea.repo", .string("")),
        ("gitea.tokenEnv", .string("TOLLGATE_GITEA_TOKEN")),
        ("gitea.tokenFile", .string("")),
        ("gitea.caFile", .string("")),
        ("gitea.insecureSkipTLSVerify", .bool(false)),
        ("gitea.timeoutSeconds", .int(30)),
        ("gitea.mergeWaitSeconds", .int(120)),
        ("gitea.pollIntervalSeconds", .int(60)),
        ("critique.enabled", .bool(false)),
        ("critique.command", .string("")),
        ("critique.threshold", .double(8)),
        ("critique.maxRounds", .int(3)),
        ("critique.weights.critic", .double(0.4)),
        ("critique.weights.brand", .double(0.2)),
        ("critique.weights.a11y", .double(0.2)),
        ("critique.weights.copy", .double(0.2)),
        ("critique.weights.designer", .double(0)),
        ("critique.roundTimeoutSeconds", .int(90)),
        ("critique.totalTimeoutSeconds", .int(240)),
        ("critique.parserMaxBlockBytes", .int(262_144)),
        ("critique.fallbackPolicy", .string("ship_best")),
        ("critique.phaseTypes", .strings(["strategic"])),
        ("critique.artifacts", .strings(["plan.md"])),
        ("critique.escalate", .bool(true)),
        ("critique.revision.maxIterations", .int(3)),
        ("critique.revision.loopTimeoutSeconds", .int(600)),
        ("critique.revision.floorSeconds", .int(20)),
        ("critique.revision.maxOutputTokens", .int(20_000)),
        ("critique.revision.gates", .gates([])),
        ("critique.revision.gatesBlocking", .bool(true)),
        ("critique.revision.gateTimeoutSeconds", .int(120)),
        ("dispatch.mode", .string("auto")),
        ("dispatch.maxParallel", .int(2)),
        ("verify.gates", .gates([])),
    ])
    func defaultMatchesTheDesign(name: String, value: ConfigValue) async throws {
        let key = try #require(self.schema.key(named: name))
        #expect(key.defaultValue == value)
    }

    @Test(arguments: [
        ("critique.maxRounds", 0, false), ("critique.maxRounds", 1, true), ("critique.maxRounds", 10, true),
        ("critique.maxRounds", 11, false), ("critique.revision.maxIterations", 3, true),
        ("critique.revision.maxIterations", 4, false), ("agent.graceSeconds", 0, true),
        ("agent.graceSeconds", -1, false), ("critique.revision.gateTimeoutSeconds", 0, false),
        ("critique.revision.gateTimeoutSeconds", 1, true),
    ])
    func integerBounds(name: String, value: Int, accepted: Bool) async throws {
        let key = try #require(self.schema.key(named: name))
        let isValid = (try? key.validate(.int(value), source: "t")) != nil
        #expect(isValid == accepted)
    }

    @Test func negativeWeightsAreRejected() async throws {
        let key = try #require(self.schema.key(named: "critique.weights.brand"))
        #expect(
            throws: ConfigError.invalidValue(
                source: "t",
                key: key.name,
                value: "-0.1",
                allowed: "a number of at least 0.0"
            )
        ) {
            try key.validate(.double(-0.1), source: "t")
        }
    }

    @Test func valueJSONIsPlain() async throws {
        let values: [ConfigValue] = [.string("a\"b"), .int(3), .double(0.5), .bool(true), .strings(["x", "y"])]
        let json = String(decoding: try JSONEncoder().encode(values), as: UTF8.self)
        #expect(json == #"["a\"b",3,0.5,true,["x","y"]]"#)
        #expect(try JSONDecoder().decode([ConfigValue].self, from: Data(json.utf8)) == values)
    }

    // MARK: - docs/configuration.md

    static let keysBegin = "<!-- keys:begin (generated by ConfigSchemaTests; RECORD_GOLDENS=1 to update) -->"
    static let keysEnd = "<!-- keys:end -->"

    /// The table of keys in `docs/configuration.md`, as the schema says it should read.
    static func keysTable(_ schema: ConfigSchema) -> String {
        var lines = ["| key | default | allowed | what it does | variable |", "|---|---|---|---|---|"]
        for key in schema.keys {
            let variable = ConfigLayer.environmentVariable(for: key).map { "`\($0)`" } ?? ""
            let cells = ["`\(key.name)`", "`\(key.defaultValue)`", key.allowed, key.doc, variable]
            lines.append(
                "| " + cells.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |"
            )
        }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test func documentationListsEveryKey() async throws {
        let path = "docs/configuration.md"
        let text = try RepositoryFiles.text(path)
        let expected = Self.keysTable(self.schema)
        let current = RepositoryFiles.section(of: text, between: Self.keysBegin, and: Self.keysEnd)
        if ProcessInfo.processInfo.environment["RECORD_GOLDENS"] != nil, let current {
            let updated = text.replacingOccurrences(
                of: Self.keysBegin + "\n" + current,
                with: Self.keysBegin + "\n" + expected
            )
            try updated.write(
                to: RepositoryFiles.root().appendingPathComponent(path),
                atomically: true,
                encoding: .utf8
            )
            Issue.record("Recorded the key table of \(path); re-run without RECORD_GOLDENS")
            return
        }
        #expect(current == expected, "the key table of \(path) is out of date; run with RECORD_GOLDENS=1")
        for key in self.schema.keys {
            #expect(text.contains("`\(key.name)`"), "\(path) does not list \(key.name)")
        }
    }
}
