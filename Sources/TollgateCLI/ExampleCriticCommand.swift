import Foundation
import TollgateCore
import TollgateEngine

/// `tollgate example-critic [FILE] [--rounds N]`: the built-in deterministic critic, speaking protocol v1.
///
/// It judges the artifact as the critique runner passes it: FILE when given, else the file named by
/// `TOLLGATE_CRITIQUE_ARTIFACT`, else standard input. By default it runs one round per invocation and leaves the
/// revising to the agent: the example agent's first plan (no `## Risks` section) scores below the threshold with
/// must-fix items, and the plan the agent revises in revise mode ships. With `--rounds N` (at most the configured
/// `maxRounds`) its own designer adds the missing sections between rounds, so a later round of the same run ships.
/// The `TOLLGATE_CRITIQUE_*` settings the runner passes (threshold, weights, panel...) are applied.
public struct ExampleCriticCommand: Sendable, Equatable {
    public var file: String?
    public var rounds: Int

    public init(file: String?, rounds: Int) {
        self.file = file
        self.rounds = rounds
    }

    static let help = """
        USAGE: tollgate example-critic [FILE] [--rounds N]

        The built-in deterministic critic (used as --set critique.command="tollgate example-critic"). It reads the
        artifact from FILE, else from the path in TOLLGATE_CRITIQUE_ARTIFACT, else from standard input, scores the
        plan's shape (a title, goals, numbered steps, risks) and prints a critique in protocol v1. One round by
        default: a plan without a "## Risks" section is below the threshold, with must-fix items for the agent.
        --rounds N lets its designer add what is missing between rounds, so a later round ships.
        """

    static func parse(_ scanner: inout OptionScanner) throws(UsageError) -> ExampleCriticCommand {
        let roundsText = try scanner.value("--rounds")
        var rounds = 1
        if let roundsText {
            guard let value = Int(roundsText), value >= 1 else {
                throw UsageError(
                    "--rounds takes a whole number of at least 1, got '\(roundsText)'",
                    command: "example-critic"
                )
            }
            rounds = value
        }
        let positionals = scanner.positionals
        guard positionals.count <= 1 else {
            throw UsageError("example-critic takes at most one file", command: "example-critic")
        }
        scanner.positionals = []
        return ExampleCriticCommand(file: positionals.first, rounds: rounds)
    }

    func run(output: Output) throws -> ExitCode {
        let environment = ProcessInfo.processInfo.environment
        var config = try CritiqueCommand.settings(environment: environment, command: "example-critic")
        config.maxRounds = min(rounds, config.maxRounds)
        let data: Data
        if let path = file ?? environment[CritiqueRunner.artifactVariable].flatMap({ $0.isEmpty ? nil : $0 }) {
            do {
                data = try Data(contentsOf: CLI.url(path))
            } catch {
                throw UsageError(
                    "cannot read the artifact \(path): \(error.localizedDescription)",
                    command: "example-critic"
                )
            }
        } else {
            data = FileHandle.standardInput.readDataToEndOfFile()
        }
        var transcript = ExampleCritic.transcript(artifact: String(decoding: data, as: UTF8.self), config: config)
        if transcript.hasSuffix("\n") { transcript.removeLast() }
        output.out(transcript)
        return .success
    }
}
