import Foundation
import TollgateCore

/// Renders and writes the files a reviewer reads for one artifact's critique: `transcript.ndjson`, `summary.json`
/// and `report.md`, plus every iteration's own three files under `iterations/<k>/` when the revision loop ran.
public enum CritiqueDocuments {
    /// A critique run's report: the scoreboard's rounds, then the lint findings on the artifact it keeps.
    public static func stepReport(_ step: CritiqueStep, artifact: String) -> String {
        CritiqueReport.render(step.summary, title: "Critique of `\(artifact)`") + "\n" + lintSection(step.lint)
    }

    static func lintSection(_ findings: [ArtifactLint.Finding]) -> String {
        var lines = ["## Lint", ""]
        if findings.isEmpty {
            lines.append("No findings: no TODO marker, no placeholder text, no broken relative link.")
        } else {
            lines.append("Each finding is a must-fix item (\(findings.count) open):")
            lines.append("")
            for finding in findings {
                lines.append("- line \(finding.line), \(finding.rule): \(finding.message)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// What a loop left for one artifact, ready to publish.
    struct Published {
        var artifact: String
        var loop: RevisionLoopSummary
        /// Every finished critique run, by index (0: the first critique; n: the one of iteration n).
        var steps: [Int: CritiqueStep]
        var iterations: [RevisionLoopMachine.Iteration]
        var store: CritiqueLoopStore

        /// The run whose artifact is kept.
        var best: CritiqueStep? { steps[loop.bestIteration] ?? steps[0] }
    }

    /// Writes `published`'s files into `folder` of the working tree (created if needed).
    static func publish(_ published: Published, into folder: URL, config: CritiqueConfig) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let bestIndex = published.steps[published.loop.bestIteration] == nil ? 0 : published.loop.bestIteration
        let source = published.store.critiqueDirectory(bestIndex)
        try copy(
            source.appendingPathComponent("transcript.ndjson"),
            to: folder.appendingPathComponent("transcript.ndjson")
        )
        if let best = published.best {
            let summary = SummaryDocument(
                summary: best.summary,
                artifact: published.artifact,
                lint: best.lint,
                loop: published.loop,
                keptIteration: bestIndex
            )
            try Workspace.writeAtomically(try encoded(summary), to: folder.appendingPathComponent("summary.json"))
            var report = stepReport(best, artifact: published.artifact)
            report += "\n" + loopSection(published, keptIteration: bestIndex, config: config)
            try Workspace.writeAtomically(Data(report.utf8), to: folder.appendingPathComponent("report.md"))
        }
        let iterationsFolder = folder.appendingPathComponent("iterations", isDirectory: true)
        guard published.steps.count > 1 else { return }
        for index in published.steps.keys.sorted() {
            let target = iterationsFolder.appendingPathComponent("\(index)", isDirectory: true)
            try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
            for name in ["transcript.ndjson", "summary.json", "report.md"] {
                try copy(
                    published.store.critiqueDirectory(index).appendingPathComponent(name),
                    to: target.appendingPathComponent(name)
                )
            }
        }
    }

    static func loopSection(_ published: Published, keptIteration: Int, config: CritiqueConfig) -> String {
        let loop = published.loop
        func number(_ value: Double?) -> String { value.map { "\(Scoreboard.rounded($0))" } ?? "none" }
        var lines = ["## Revision loop", "", "| | |", "|---|---|"]
        lines.append("| Iterations | \(loop.iterations) of at most \(config.effectiveMaxIterations) |")
        lines.append("| Stop reason | \(loop.stopReason.rawValue)\(loop.failure.map { ": " + $0 } ?? "") |")
        lines.append("| Composite | \(number(loop.startComposite)) at first, \(number(loop.endComposite)) kept |")
        lines.append(
            "| Kept | \(keptIteration == 0 ? "the first critique's artifact" : "iteration \(keptIteration)") |"
        )
        lines.append("| Tokens | \(loop.tokens) |")
        lines.append("| Time | \(String(format: "%.1f", Double(loop.latencyMs) / 1000)) s |")
        lines += gatesSection(published.iterations)
        guard published.steps.count > 1 else { return lines.joined(separator: "\n") + "\n" }
        lines += ["", "| Iteration | Revised from | Similarity | Status | Composite | Must-fix | Report |"]
        lines.append("|---:|---:|---:|---|---:|---:|---|")
        for index in published.steps.keys.sorted() {
            guard let step = published.steps[index] else { continue }
            let record = published.iterations.first { $0.iteration == index }
            let base = record.map { "\($0.base)" } ?? "–"
            let similarity = record?.similarity.map { "\($0)" } ?? "–"
            lines.append(
                "| \(index) | \(base) | \(similarity) | \(step.status.rawValue) | \(number(step.summary.composite)) | "
                    + "\(step.openMustFix) | [report](iterations/\(index)/report.md) |"
            )
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The lines on the gates of each iteration that ran them, with the end of a failed gate's output; none when
    /// no gate ran.
    static func gatesSection(_ iterations: [RevisionLoopMachine.Iteration]) -> [String] {
        let gated = iterations.compactMap { record in record.gates.map { (record.iteration, $0) } }
        guard !gated.isEmpty else { return [] }
        var lines = ["", "### Gates", "", "| Iteration | Result | Failed gate | Time |", "|---:|---|---|---:|"]
        for (iteration, gates) in gated {
            let result = gates.passed ? "passed" : gates.blocking ? "failed (blocking)" : "failed (not blocking)"
            let gate = gates.failedGate.map { "`\($0.replacingOccurrences(of: "|", with: "\\|"))`" } ?? "–"
            let time = String(format: "%.1f s", Double(gates.latencyMs) / 1000)
            lines.append("| \(iteration) | \(result) | \(gate) | \(time) |")
        }
        for (iteration, gates) in gated where !gates.passed {
            guard let tail = gates.outputTail, !tail.isEmpty else { continue }
            lines += ["", "Output of the failed gate of iteration \(iteration) (its end):", "", "```", tail, "```"]
        }
        return lines
    }

    static func encoded(_ value: some Encodable) throws -> Data {
        var data = try JSONCoding.encoder.encode(value)
        data.append(0x0A)
        return data
    }

    private static func copy(_ source: URL, to target: URL) throws {
        try Workspace.writeAtomically(try Data(contentsOf: source), to: target)
    }

    /// `summary.json` of a phase's artifact: the scoreboard's summary, unchanged, with the artifact, its lint
    /// findings, the loop's summary and the iteration kept beside it.
    struct SummaryDocument: Encodable {
        var summary: CritiqueSummary
        var artifact: String
        var lint: [ArtifactLint.Finding]
        var loop: RevisionLoopSummary
        var keptIteration: Int

        private enum Keys: String, CodingKey { case artifact, lint, loop, keptIteration }

        func encode(to encoder: any Encoder) throws {
            try summary.encode(to: encoder)
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(artifact, forKey: .artifact)
            try container.encode(lint, forKey: .lint)
            try container.encode(loop, forKey: .loop)
            try container.encode(keptIteration, forKey: .keptIteration)
        }
    }
}
