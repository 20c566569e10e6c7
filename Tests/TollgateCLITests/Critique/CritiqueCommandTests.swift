import Foundation
import Testing
import TollgateCLI
import TollgateTestSupport

/// `tollgate critique`, `tollgate critique replay` and `tollgate example-critic`, through the built executable.
@Suite(.runsProcesses)
struct CritiqueCommandTests {
    let binary: TollgateBinary
    let directory: TemporaryDirectory

    init() throws {
        binary = try TollgateBinary()
        directory = try TemporaryDirectory("critique-command")
        try directory.write("plan.md", "# Plan\n\n## Goals\n- Ship it.\n\n## Steps\n1. Build.\n2. Check.\n")
    }

    func tollgate(_ arguments: String..., environment: [String: String] = [:]) async throws -> ProcessResult {
        try await binary.run(arguments, environment: environment, directory: directory.url)
    }

    @Test func aFileCritiqueAndTheReplayOfItsTranscriptPrintTheSameSummary() async throws {
        let live = try await tollgate(
            "critique",
            "plan.md",
            "--command",
            "tollgate example-critic --rounds 3",
            "--json",
            "--out",
            "out"
        )
        #expect(live.status == 0, "\(live)")
        let summary = try #require(JSONSerialization.jsonObject(with: Data(live.stdout.utf8)) as? [String: Any])
        #expect(summary["status"] as? String == "shipped")
        #expect(summary["openMustFix"] as? Int == 0)
        let rounds = try #require(summary["rounds"] as? [[String: Any]])
        #expect(rounds.map { $0["n"] as? Int } == [1, 2])
        #expect(rounds.map { $0["decision"] as? String } == ["continue", "ship"])
        #expect((rounds.first?["mustFix"] as? [Any])?.isEmpty == false)
        #expect((rounds.first?["composite"] as? Double ?? 10) < (summary["composite"] as? Double ?? 0))
        for name in ["transcript.ndjson", "summary.json", "report.md"] {
            #expect(FileManager.default.fileExists(atPath: directory.path("out/\(name)").path), "\(name)")
        }

        let replay = try await tollgate("critique", "replay", "out/transcript.ndjson", "--json")
        #expect(replay.status == 0, "\(replay)")
        #expect(replay.stdout == live.stdout)
        #expect(try String(contentsOf: directory.path("out/summary.json"), encoding: .utf8) == live.stdout)
    }

    @Test func aCritiqueBelowThresholdExitsOneAndItsReplayAgrees() async throws {
        let live = try await tollgate("critique", "plan.md", "--command", "tollgate example-critic", "--out", "out")
        #expect(live.status == 1, "\(live)")
        #expect(live.stdout.contains("critique below_threshold"))
        #expect(live.stdout.contains("round 1: composite 7.5, must-fix 2, continue"))
        let json = try await tollgate("critique", "replay", "out/transcript.ndjson", "--json")
        #expect(json.status == 1)
        #expect(json.stdout == (try String(contentsOf: directory.path("out/summary.json"), encoding: .utf8)))
    }

    @Test func environmentOverridesApplyToTheRunAndTheReplay() async throws {
        try directory.write(
            "risks.md",
            "# Plan\n\n## Goals\n- Ship it.\n\n## Steps\n1. Build.\n\n## Risks\n- It slips: we check daily.\n"
        )
        let environment = ["TOLLGATE_CRITIQUE_THRESHOLD": "9"]
        let live = try await tollgate(
            "critique",
            "risks.md",
            "--command",
            "tollgate example-critic",
            "--json",
            "--out",
            "out",
            environment: environment
        )
        #expect(live.status == 1, "\(live)")
        #expect(live.stdout.contains("\"status\" : \"below_threshold\""))
        let replay = try await tollgate(
            "critique",
            "replay",
            "out/transcript.ndjson",
            "--json",
            environment: environment
        )
        #expect(replay.stdout == live.stdout)
        // Without the override the same transcript ships.
        #expect(try await tollgate("critique", "replay", "out/transcript.ndjson").status == 0)
    }

    @Test(arguments: [
        ["TOLLGATE_CRITIQUE_THRESHOLD": "high"], ["TOLLGATE_CRITIQUE_MAX_ROUNDS": "0"],
        ["TOLLGATE_CRITIQUE_NO_SUCH_SETTING": "1"],
    ])
    func aBadOverrideIsAUsageError(environment: [String: String]) async throws {
        let result = try await tollgate("critique", "plan.md", "--command", "true", environment: environment)
        #expect(result.status == 64, "\(result)")
        let name = try #require(environment.keys.first)
        #expect(result.stderr.contains(name))
    }

    @Test func lintFindingsFailAShippedCritique() async throws {
        try directory.write(
            "todo.md",
            "# Plan\n\n## Goals\n- Ship it.\n\n## Steps\n1. Build.\n\n## Risks\n- TODO: list them.\n"
        )
        let result = try await tollgate(
            "critique",
            "todo.md",
            "--command",
            "tollgate example-critic",
            "--json",
            "--out",
            "todo-critique"
        )
        #expect(result.status == 1, "\(result)")
        #expect(result.stdout.contains("\"status\" : \"shipped\""))
        #expect(result.stderr.contains("lint: todo.md:10: todo"))
        // The finding is also a lint warning of the run, which the transcript keeps for a replay.
        #expect(result.stdout.contains("\"kind\" : \"lint\""), "\(result)")
        let replay = try await tollgate("critique", "replay", "todo-critique/transcript.ndjson", "--json")
        #expect(replay.stdout == result.stdout)
    }

    @Test func theCommandLineIsChecked() async throws {
        #expect(try await tollgate("critique").status == 64)
        #expect(try await tollgate("critique", "plan.md").status == 64)
        #expect(try await tollgate("critique", "missing.md", "--command", "true").status == 64)
        #expect(try await tollgate("critique", "replay", "a", "b").status == 64)
        #expect(try await tollgate("critique", "replay", "x.ndjson", "--command", "true").status == 64)
        #expect(try await tollgate("example-critic", "--rounds", "0").status == 64)
        let help = try await tollgate("critique", "--help")
        #expect(help.status == 0)
        #expect(help.stdout.contains("critique replay TRANSCRIPT"))
        #expect(try await tollgate("--help").stdout.contains("example-critic"))
    }

    @Test func parsesBothFormsOfTheCritiqueCommand() async throws {
        let file = try Invocation.parse(["critique", "plan.md", "--command=cat", "--json"])
        #expect(
            file.command == .critique(CritiqueCommand(mode: .file("plan.md", command: "cat", out: nil), json: true))
        )
        let replay = try Invocation.parse(["critique", "replay", "t.ndjson"])
        #expect(replay.command == .critique(CritiqueCommand(mode: .replay(transcript: "t.ndjson"), json: false)))
        let critic = try Invocation.parse(["example-critic", "plan.md", "--rounds", "2"])
        #expect(critic.command == .exampleCritic(ExampleCriticCommand(file: "plan.md", rounds: 2)))
    }

    @Test func theExampleCriticScoresTheExampleAgentsFirstPlanBelowTheThresholdAndARevisedOneAbove() async throws {
        let first = try await tollgate("example-critic", "plan.md")
        #expect(first.status == 0)
        #expect(first.stdout.hasPrefix("<CRITIQUE_RUN version=\"1\""))
        #expect(first.stdout.contains("decision=\"continue\""))
        #expect(!first.stdout.contains("<SHIP"))
        try directory.write(
            "revised.md",
            try String(contentsOf: directory.path("plan.md"), encoding: .utf8)
                + "## Risks\n- A step slips: each step is checked before the next.\n"
        )
        let revised = try await tollgate(
            "example-critic",
            environment: ["TOLLGATE_CRITIQUE_ARTIFACT": directory.path("revised.md").path]
        )
        #expect(revised.stdout.contains("<SHIP round=\"1\""))
        #expect(try await tollgate("example-critic", "plan.md") == first, "deterministic")
    }
}
