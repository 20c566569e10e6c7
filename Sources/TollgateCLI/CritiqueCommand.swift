import Foundation
import TollgateCore
import TollgateEngine

/// `tollgate critique FILE --command CMD [--json] [--out DIR]` and `tollgate critique replay TRANSCRIPT [--json]`.
///
/// The first runs a critic over any file, outside a job, through the same runner the engine uses, and prints the
/// summary; `--out` also writes `transcript.ndjson`, `summary.json` and `report.md` there. The second rebuilds the
/// summary from a transcript through the same scoreboard. Both start from the default critique settings with the
/// `TOLLGATE_CRITIQUE_*` overrides of the environment applied; a bad override is a usage error (exit 64). Exit 0
/// when the critique ships (for a file, also with no lint finding), 1 otherwise.
public struct CritiqueCommand: Sendable, Equatable {
    /// What to critique.
    public enum Mode: Sendable, Equatable {
        case file(String, command: String?, out: String?)
        case replay(transcript: String)
    }

    public var mode: Mode
    public var json: Bool

    public init(mode: Mode, json: Bool) {
        self.mode = mode
        self.json = json
    }

    static let help = """
        USAGE: tollgate critique FILE [--command CMD] [--json] [--out DIR]
               tollgate critique replay TRANSCRIPT [--json]

        Runs a critic over FILE outside any job and prints the critique's summary: status, composite, open must-fix
        items and each round. CMD is run by /bin/sh -c in the current directory; it gets the file on standard input
        and its path in TOLLGATE_CRITIQUE_ARTIFACT, and speaks critique protocol v1 on standard output (default:
        $TOLLGATE_CRITIQUE_COMMAND). The kept artifact is linted (TODO, lorem ipsum, broken relative links); each
        finding is a must-fix item, printed on standard error.

        `critique replay` rebuilds the same summary from a transcript.ndjson, through the same scoreboard.

        OPTIONS:
          --command CMD   the critic command
          --json          print summary.json instead of text
          --out DIR       also write transcript.ndjson, summary.json and report.md into DIR

        Settings come from the defaults and the TOLLGATE_CRITIQUE_* environment (for example
        TOLLGATE_CRITIQUE_THRESHOLD=7.5, TOLLGATE_CRITIQUE_MAX_ROUNDS=2); a bad value exits 64.
        EXIT STATUS: 0 the critique shipped, 1 it did not, 64 usage error.
        """

    /// Reads the command's arguments from `scanner` (the words after `critique`).
    static func parse(_ scanner: inout OptionScanner) throws(UsageError) -> CritiqueCommand {
        let command = try scanner.value("--command")
        let out = try scanner.value("--out")
        let json = scanner.flag("--json")
        let positionals = scanner.positionals
        scanner.positionals = []
        if positionals.first == "replay" {
            guard positionals.count == 2 else {
                throw UsageError("critique replay takes one transcript file", command: "critique")
            }
            guard command == nil, out == nil else {
                throw UsageError("critique replay takes no --command or --out: it runs no critic", command: "critique")
            }
            return CritiqueCommand(mode: .replay(transcript: positionals[1]), json: json)
        }
        guard positionals.count == 1 else {
            throw UsageError(
                positionals.isEmpty
                    ? "critique needs the file to critique" : "critique takes one file, got \(positionals.count)",
                command: "critique"
            )
        }
        return CritiqueCommand(mode: .file(positionals[0], command: command, out: out), json: json)
    }

    /// The schema's defaults with the `TOLLGATE_CRITIQUE_*` variables of `environment` over them.
    static func settings(environment: [String: String], command: String) throws(UsageError) -> CritiqueConfig {
        do {
            return CritiqueConfig(try ResolvedConfig(layers: ConfigLayer.environment(environment)))
        } catch {
            throw UsageError("bad critique setting: \(error.description)", command: command)
        }
    }

    func run(output: Output) throws -> ExitCode {
        let environment = ProcessInfo.processInfo.environment
        var config = try Self.settings(environment: environment, command: "critique")
        switch mode {
        case .replay(let path):
            let text: String
            do {
                text = try String(contentsOf: CLI.url(path), encoding: .utf8)
            } catch {
                throw UsageError(
                    "cannot read the transcript \(path): \(error.localizedDescription)",
                    command: "critique"
                )
            }
            let summary: CritiqueSummary
            do {
                summary = try CritiqueReplay.summary(transcript: text, config: config)
            } catch {
                output.err("tollgate: \(path) is not a critique transcript: \(error.description)")
                return .failure
            }
            try print(summary, lint: [], output: output)
            return summary.status == .shipped ? .success : .failure
        case .file(let path, let command, let out):
            if let command { config.command = command }
            guard !config.command.isEmpty else {
                throw UsageError(
                    "critique needs a critic: --command CMD (or TOLLGATE_CRITIQUE_COMMAND)",
                    command: "critique"
                )
            }
            let file = CLI.url(path)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: file.path, isDirectory: &isDirectory), !isDirectory.boolValue
            else {
                throw UsageError("no file at \(path)", command: "critique")
            }
            let directory = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
            let runner = CritiqueRunner(config: config, environment: ShellAgentRunner.defaultEnvironment())
            var outcome = try runner.run(artifact: file, directory: directory)
            let original = String(decoding: try Data(contentsOf: file), as: UTF8.self)
            // Links resolve against the current directory when the file is under it, else against the file's folder.
            let inside = file.path.hasPrefix(directory.path + "/")
            let relative = inside ? String(file.path.dropFirst(directory.path.count + 1)) : file.lastPathComponent
            let lint = ArtifactLint.findings(
                in: outcome.keptArtifact ?? original,
                path: relative,
                root: inside ? directory : file.deletingLastPathComponent()
            )
            outcome.addLint(lint)
            if let out {
                let folder = CLI.url(out)
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                try Data(try outcome.transcript().utf8).write(to: folder.appendingPathComponent("transcript.ndjson"))
                try outcome.summary.encodedJSON().write(to: folder.appendingPathComponent("summary.json"))
                let step = CritiqueStep(
                    summary: outcome.summary,
                    lint: lint,
                    critiqued: original,
                    kept: outcome.keptArtifact,
                    latencyMs: outcome.latencyMs
                )
                try Data(CritiqueDocuments.stepReport(step, artifact: relative).utf8)
                    .write(to: folder.appendingPathComponent("report.md"))
            }
            try print(outcome.summary, lint: lint, output: output)
            return outcome.summary.status == .shipped && lint.isEmpty ? .success : .failure
        }
    }

    private func print(_ summary: CritiqueSummary, lint: [ArtifactLint.Finding], output: Output) throws {
        for finding in lint { output.err("lint: \(finding)") }
        if json {
            var text = String(decoding: try summary.encodedJSON(), as: UTF8.self)
            if text.hasSuffix("\n") { text.removeLast() }
            output.out(text)
            return
        }
        let composite = summary.composite.map { "\(Scoreboard.rounded($0))" } ?? "none"
        output.out("critique \(summary.status.rawValue): composite \(composite) (ships from \(summary.threshold))")
        output.out(
            "open must-fix: \(summary.openMustFix.map(String.init) ?? "none")"
                + (lint.isEmpty ? "" : ", lint \(lint.count)")
        )
        if let cause = summary.cause { output.out("why: \(cause)") }
        for round in summary.rounds {
            output.out(
                "round \(round.n): composite \(Scoreboard.rounded(round.composite)), must-fix \(round.openMustFix), "
                    + "\(round.decision.rawValue)"
            )
            for item in round.mustFix { output.out("  - \(item.role): \(item.text)") }
        }
        for warning in summary.warnings { output.out("warning: \(warning)") }
    }
}
