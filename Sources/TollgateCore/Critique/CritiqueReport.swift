/// Renders a ``CritiqueSummary`` as the Markdown report a reviewer reads next to the pull request.
///
/// The report opens with the outcome, then gives each round its composite, a table of the panelists'
/// scores, each panelist's dimensions, the must-fix items and the decision, and ends with the warnings.
/// Plain CommonMark with tables, so Gitea renders it.
public enum CritiqueReport {
    /// The report for `summary`, ending in a newline.
    public static func render(_ summary: CritiqueSummary, title: String = "Critique report") -> String {
        var lines: [String] = ["# \(title)", ""]
        lines.append("| | |")
        lines.append("|---|---|")
        lines.append("| Status | **\(summary.status.rawValue)** |")
        if let cause = summary.cause { lines.append("| Why | \(Self.cell(cause)) |") }
        let composite = summary.composite.map(Self.number) ?? "none"
        lines.append(
            "| Composite | \(composite) / \(Self.number(summary.scale)) (ships from \(Self.number(summary.threshold)) with no open must-fix) |"
        )
        lines.append("| Open must-fix | \(summary.openMustFix.map(String.init) ?? "none") |")
        lines.append("| Kept round | \(summary.shippedRound.map(String.init) ?? "none") |")
        lines.append(
            "| Rounds | \(summary.rounds.count) of at most \(summary.maxRounds); fallback \(summary.fallbackPolicy.rawValue) |"
        )
        if let reason = summary.degradedReason { lines.append("| Degraded | \(Self.cell(reason.description)) |") }
        for round in summary.rounds {
            lines += [
                "", "## Round \(round.n): composite \(Self.number(round.composite)), \(round.decision.rawValue)", "",
            ]
            lines.append("| Panelist | Weight | Score | Must-fix |")
            lines.append("|---|---:|---:|---:|")
            for panelist in round.panelists {
                let score = panelist.score.map(Self.number) ?? "–"
                let count = round.mustFix.filter { $0.role == panelist.role }.count
                let name = panelist.missing ? "\(panelist.role) (missing)" : panelist.role.rawValue
                lines.append("| \(name) | \(Self.number(panelist.weight)) | \(score) | \(count) |")
            }
            for panelist in round.panelists where !panelist.dimensions.isEmpty || panelist.notes != nil {
                lines += ["", "**\(panelist.role)**" + (panelist.score.map { " (\(Self.number($0)))" } ?? "")]
                if let notes = panelist.notes, !notes.isEmpty { lines += ["", Self.inline(notes)] }
                if !panelist.dimensions.isEmpty { lines.append("") }
                for dimension in panelist.dimensions {
                    let score = dimension.score.map(Self.number) ?? "–"
                    lines.append("- \(Self.inline(dimension.name)): \(score) — \(Self.inline(dimension.note))")
                }
            }
            if !round.mustFix.isEmpty {
                lines += ["", "**Must fix** (\(round.openMustFix) open)", ""]
                for (index, item) in round.mustFix.enumerated() {
                    lines.append("\(index + 1). *\(item.role)*: \(Self.inline(item.text))")
                }
            } else if round.openMustFix > 0 {
                lines += ["", "**Must fix:** \(round.openMustFix) open (counted, not itemised)"]
            }
            var decision = "**Decision:** \(round.decision.rawValue)"
            if let claimed = round.streamComposite { decision += " (the critic claimed \(Self.number(claimed)))" }
            lines += ["", decision]
            if let reason = round.reason, !reason.isEmpty { lines += ["", "> \(Self.inline(reason))"] }
        }
        if !summary.warnings.isEmpty {
            lines += ["", "## Warnings", ""]
            for warning in summary.warnings { lines.append("- \(Self.inline(warning.description))") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A number as reports show it: at most two decimals.
    static func number(_ value: Double) -> String {
        "\(Scoreboard.rounded(value))"
    }

    /// Text on one line, safe inside a list item.
    private static func inline(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).map { $0.trimmingPrefix(while: \.isWhitespace) }.joined(separator: " ")
    }

    /// Text safe inside a table cell.
    private static func cell(_ text: String) -> String {
        Self.inline(text).replacing("|", with: "\\|")
    }
}
