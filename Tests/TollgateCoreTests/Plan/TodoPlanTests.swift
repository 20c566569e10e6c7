import Foundation
import Testing
import TollgateCore
import TollgateTestSupport

/// `todos.yaml` (DESIGN §10): the YAML subset, the todos and the graph, pinned by a golden table of valid and
/// invalid inputs (`Fixtures/plans/*.yaml`, results in `Fixtures/plans.golden.txt`).
struct TodoPlanTests {
    /// `Tests/TollgateCoreTests/Fixtures`.
    static func fixtures(filePath: StaticString = #filePath) -> URL {
        URL(fileURLWithPath: "\(filePath)").deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures")
    }

    static let inputs: [URL] = {
        let folder = fixtures().appendingPathComponent("plans")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.sorted().map { folder.appendingPathComponent($0) }
    }()

    /// One block of the golden table: the input's name, then what the reader made of it.
    static func render(_ name: String, _ reading: PlanReading) -> String {
        var lines = ["== \(name)"]
        switch reading {
        case .noPlan:
            lines.append("no plan")
        case .invalid(let errors):
            lines += errors.map { "error \($0)" }
        case .plan(let plan):
            for todo in plan.todos {
                var line = "todo \(todo.id) at \(todo.position) title=\(Self.quote(todo.title))"
                if !todo.dependsOn.isEmpty { line += " dependsOn=[\(todo.dependsOn.joined(separator: ","))]" }
                if let priority = todo.priority { line += " priority=\(priority)" }
                if let details = todo.details { line += " details=\(Self.quote(details))" }
                lines.append(line)
            }
        }
        return lines.joined(separator: "\n")
    }

    static func quote(_ text: String) -> String {
        let data = (try? JSONEncoder().encode(text)) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    @Test func readsEveryFixtureAsTheGoldenTableSays() async throws {
        #expect(Self.inputs.count >= 20, "the fixtures folder was not found")
        let table = try Self.inputs.map { url in
            Self.render(url.lastPathComponent, TodoPlan.read(try String(contentsOf: url, encoding: .utf8)))
        }
        try Golden.assertMatches(
            table.joined(separator: "\n\n") + "\n",
            at: Self.fixtures().appendingPathComponent("plans.golden.txt")
        )
    }

    @Test func namesTheFixturesByWhatTheyShouldGive() async throws {
        for url in Self.inputs {
            let reading = TodoPlan.read(try String(contentsOf: url, encoding: .utf8))
            let name = url.lastPathComponent
            switch reading {
            case .noPlan: #expect(name.hasPrefix("noplan-"), "\(name) holds no plan")
            case .plan: #expect(name.hasPrefix("valid-"), "\(name) is a valid plan")
            case .invalid(let errors):
                #expect(name.hasPrefix("invalid-"), "\(name) is invalid: \(errors)")
                #expect(errors.allSatisfy { $0.line > 0 && $0.column > 0 }, "every error has a position")
            }
        }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var yaml: String
        var expected: String
        var testDescription: String { expected }
    }

    /// Each rule of the subset on its own, with the position the error must name.
    static let errorCases: [Case] = [
        Case(yaml: "todos:\n\t- id: a\n", expected: "todos.yaml:2:1: a tab in the indentation"),
        Case(yaml: "todos:\n  - id: a\n    title: &x A\n", expected: "todos.yaml:3:12: anchors (`&`)"),
        Case(yaml: "todos:\n  - id: a\n    title: *x\n", expected: "todos.yaml:3:12: aliases (`*`)"),
        Case(
            yaml: "todos:\n  - id: a\n    title: A\n    id: b\n",
            expected: "todos.yaml:4:5: the key `id` appears twice"
        ),
        Case(
            yaml: "todos:\n  - id: a\n    title: 'A\n",
            expected: "todos.yaml:3:12: the quote opened here is not closed"
        ),
        Case(yaml: "todos:\n  - id: a\n   title: A\n", expected: "todos.yaml:3:4: unexpected indentation"),
        Case(yaml: "  todos: []\n", expected: "todos.yaml:1:3: the document's first line is indented"),
        Case(yaml: "todos:\n  - id: a\n    title: {x: 1}\n", expected: "todos.yaml:3:12: flow mappings"),
        Case(yaml: "%YAML 1.2\n", expected: "todos.yaml:1:1: directives"),
        Case(yaml: "? complex\n", expected: "todos.yaml:1:1: complex keys"),
        Case(yaml: "todos:\n  - id: a\n    title: A\n    details: |x\n", expected: "todos.yaml:4:15: after `|`"),
        Case(yaml: "todos:\n  - id: a\n    title: \"\\q\"\n", expected: "todos.yaml:3:13: unknown escape `\\q`"),
        Case(
            yaml: "todos:\n  - id: a\n    title: \"A\" trailing\n",
            expected: "todos.yaml:3:16: unexpected text after"
        ),
        Case(yaml: "todos:\n  - id: a\n    title: two\n      lines\n", expected: "todos.yaml:4:7: a value continues"),
        Case(
            yaml: "todos:\n  - id: a\n    title: A\n    dependsOn: [a]\n",
            expected: "todos.yaml:4:17: `a` depends on itself"
        ),
        Case(
            yaml: "todos:\n  - id: -a\n    title: A\n",
            expected: "todos.yaml:2:9: the id `-a` is not allowed"
        ),
        Case(
            yaml: "todos:\n  - id: \(String(repeating: "a", count: 41))\n    title: A\n",
            expected: "todos.yaml:2:9: the id `\(String(repeating: "a", count: 41))` is not allowed"
        ),
        Case(
            yaml: "todos:\n  - id: a\n    title: A\n    priority: \"1\"\n",
            expected: "todos.yaml:4:15: the priority `1` is not a whole number"
        ),
        Case(yaml: "- a\n- b\n", expected: "todos.yaml:1:1: the file is a list"),
        Case(
            yaml: "todos:\n  - id: a\n    title: A\n    dependsOn: [b, b]\n  - id: b\n    title: B\n",
            expected: "todos.yaml:4:20: `a` lists `b` twice"
        ),
    ]

    @Test(arguments: errorCases)
    func refusesWithThePositionAndWhatIsAllowed(_ row: Case) async {
        guard case .invalid(let errors) = TodoPlan.read(row.yaml) else {
            Issue.record("\(row.yaml) was accepted")
            return
        }
        #expect(errors.first.map { "\($0)".hasPrefix(row.expected) } == true, "got \(errors)")
    }

    @Test func namesACycleFromItsFirstTodo() async {
        let yaml = """
            todos:
              - id: x
                title: X
              - id: a
                title: A
                dependsOn: [b]
              - id: b
                title: B
                dependsOn: [a, x]
            """
        #expect(
            TodoPlan.read(yaml)
                == .invalid([
                    PlanError(line: 4, column: 9, message: "the todos depend on each other in a cycle: a → b → a")
                ])
        )
    }

    @Test func refusesADeeplyNestedFileWithoutExhaustingTheStack() async {
        let yaml = (0..<200).map { String(repeating: "  ", count: $0) + "k\($0):" }.joined(separator: "\n")
        guard case .invalid(let errors) = TodoPlan.read(yaml) else {
            Issue.record("accepted")
            return
        }
        #expect(errors.first?.message.contains("nested deeper") == true)
    }

    // MARK: - Order

    static let diamond = TodoPlan(todos: [
        PlanTodo(id: "a", title: "A"),
        PlanTodo(id: "b", title: "B", dependsOn: ["a"]),
        PlanTodo(id: "c", title: "C", dependsOn: ["a"]),
        PlanTodo(id: "d", title: "D", dependsOn: ["b", "c"]),
    ])

    @Test func startsTheDiamondInItsOrder() async {
        let plan = Self.diamond
        #expect(plan.ready(merged: [], started: []).map(\.id) == ["a"])
        #expect(plan.ready(merged: [], started: ["a"]).map(\.id) == [])
        #expect(plan.ready(merged: ["a"], started: ["a"]).map(\.id) == ["b", "c"])
        #expect(plan.ready(merged: ["a", "b"], started: ["a", "b", "c"]).map(\.id) == [])
        #expect(plan.ready(merged: ["a", "b", "c"], started: ["a", "b", "c"]).map(\.id) == ["d"])
    }

    @Test func startsByPriorityThenFileOrder() async {
        let plan = TodoPlan(todos: [
            PlanTodo(id: "none", title: "N"),
            PlanTodo(id: "late", title: "L", priority: 5),
            PlanTodo(id: "early", title: "E", priority: -1),
            PlanTodo(id: "late-too", title: "L2", priority: 5),
        ])
        #expect(plan.ready(merged: [], started: []).map(\.id) == ["early", "late", "late-too", "none"])
    }

    @Test func blocksEveryDependentOfAFailedTodo() async {
        #expect(Self.diamond.blocked(byFailed: ["b"]) == ["d"])
        #expect(Self.diamond.blocked(byFailed: ["a"]) == ["b", "c", "d"])
        #expect(Self.diamond.blocked(byFailed: []) == [])
    }
}

/// Hostile input: every fixture cut and spliced with YAML's special characters, thousands of times.
///
/// The reader must answer each with a plan, no plan or errors that have a position, and never trap.
struct TodoPlanMutationTests {
    /// A fixed-seed generator, so a failure names a case that reproduces.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let pieces: [String] = [
        "\t", " ", "  ", "\n", "- ", ": ", ":", "#", " #", "[", "]", ",", "{", "}", "\"", "'", "\\", "|", ">", "|-",
        "&a",
        "*a", "!", "%", "?", "---", "...", "é", "\u{FEFF}", "\r\n", "todos:", "id: x", "dependsOn: [", "\\u12",
    ]

    @Test func answersEveryMutatedFixtureWithoutTrapping() async throws {
        var random = SplitMix(state: 2026)
        let fixtures = try TodoPlanTests.inputs.map { try String(contentsOf: $0, encoding: .utf8) }
        #expect(!fixtures.isEmpty)
        var outcomes = [0, 0, 0]
        for _ in 0..<3000 {
            var characters = Array(fixtures[Int.random(in: 0..<fixtures.count, using: &random)])
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                let at = Int.random(in: 0...characters.count, using: &random)
                if Bool.random(using: &random), at < characters.count {
                    characters.removeSubrange(at..<min(characters.count, at + Int.random(in: 1...6, using: &random)))
                } else {
                    characters.insert(contentsOf: Self.pieces.randomElement(using: &random) ?? "", at: at)
                }
            }
            let text = String(characters)
            switch TodoPlan.read(text) {
            case .noPlan: outcomes[0] += 1
            case .plan(let plan):
                outcomes[1] += 1
                #expect(plan.todos.allSatisfy { PlanTodo.isValidID($0.id) && !$0.title.isEmpty }, "\(text)")
            case .invalid(let errors):
                outcomes[2] += 1
                #expect(!errors.isEmpty && errors.allSatisfy { $0.line > 0 && $0.column > 0 }, "\(errors) for \(text)")
            }
        }
        // The mutations must reach all three answers, or they test too little.
        #expect(outcomes.allSatisfy { $0 > 0 }, "\(outcomes)")
    }
}
