/// A deterministic critic for the example agent's `plan.md`, speaking protocol v1.
///
/// It reads the plan's shape: a title (`# …`), a `## Goals` section with items, a `## Steps` section
/// that is a numbered list, and a `## Risks` section with items. The example agent's first plan has no
/// risks, so round 1 scores it below the threshold with must-fix items from the critic and the copy
/// panelist; the designer then adds what is missing (``revised(_:)``), and round 2 ships. A plan that
/// already has every section ships in round 1. The same input always yields the same bytes.
public enum ExampleCritic {
    /// What the critic found in a plan.
    struct Findings: Equatable {
        var hasTitle = false
        var goals = 0
        var steps = 0
        var unnumberedSteps = 0
        var risks = 0

        init(_ plan: String) {
            var section = ""
            for rawLine in plan.split(whereSeparator: \.isNewline) {
                let line = rawLine.trimmingPrefix(while: \.isWhitespace)
                if line.hasPrefix("## ") {
                    section = line.dropFirst(3).trimmingPrefix(while: \.isWhitespace).lowercased()
                } else if line.hasPrefix("# ") {
                    self.hasTitle = true
                } else if line.hasPrefix("- ") || line.hasPrefix("* ") || Self.isNumbered(line) {
                    switch section {
                    case "goals": self.goals += 1
                    case "steps":
                        if Self.isNumbered(line) { self.steps += 1 } else { self.unnumberedSteps += 1 }
                    case "risks": self.risks += 1
                    default: break
                    }
                }
            }
        }

        static func isNumbered(_ line: Substring) -> Bool {
            let digits = line.prefix { $0.isASCII && $0.isNumber }
            return !digits.isEmpty && line.dropFirst(digits.count).hasPrefix(". ")
        }
    }

    /// One panelist's verdict.
    struct Verdict {
        var role: PanelistRole
        var score: Double
        var dimensions: [(name: String, score: Double, note: String)]
        var mustFix: [String]
    }

    /// The panel's verdicts on `plan`, in panel order (the designer excluded).
    static func verdicts(on plan: String) -> [Verdict] {
        let found = Findings(plan)
        let structure: Double = (found.hasTitle ? 3 : 0) + (found.goals > 0 ? 3 : 0) + (found.steps > 0 ? 3 : 0) + 1
        let risk: Double = found.risks > 0 ? 9 : 4
        var criticFixes: [String] = []
        if found.goals == 0 { criticFixes.append("Add a \"## Goals\" section that lists what the work must achieve.") }
        if found.steps == 0 { criticFixes.append("Add a \"## Steps\" section as a numbered list.") }
        if found.risks == 0 {
            criticFixes.append("Add a \"## Risks\" section naming what could go wrong and how you would notice.")
        }
        var a11yFixes: [String] = []
        if found.unnumberedSteps > 0 { a11yFixes.append("Number every step so readers can refer to it.") }
        var copyFixes: [String] = []
        if found.risks == 0 { copyFixes.append("Give each risk one plain sentence on what you will do if it happens.") }
        if !found.hasTitle { copyFixes.append("Open with a \"# \" title that names the job.") }
        let critic = Verdict(
            role: .critic,
            score: found.risks > 0 ? min(9, structure) : min(7, structure),
            dimensions: [
                (
                    "structure", structure,
                    found.steps > 0 ? "Goals and numbered steps are in place." : "The plan lacks its skeleton."
                ),
                ("risk", risk, found.risks > 0 ? "Risks are named with a way to notice them." : "No risks are named."),
            ],
            mustFix: criticFixes
        )
        let brand = Verdict(
            role: .brand,
            score: (found.hasTitle ? 8 : 6) + (found.risks > 0 ? 0.5 : 0),
            dimensions: [("voice", found.hasTitle ? 8 : 6, "Plain, direct headings.")],
            mustFix: []
        )
        let a11y = Verdict(
            role: .a11y,
            score: found.unnumberedSteps == 0 && found.steps > 0 ? 8 : 6,
            dimensions: [("scannability", found.steps > 0 ? 8 : 5, "Numbered steps read well with a screen reader.")],
            mustFix: a11yFixes
        )
        let copy = Verdict(
            role: .copy,
            score: found.risks > 0 ? 8.5 : 7.5,
            dimensions: [("clarity", found.risks > 0 ? 8.5 : 7.5, "Short sentences; the fallbacks are spelled out.")],
            mustFix: copyFixes
        )
        return [critic, brand, a11y, copy]
    }

    /// The plan with every missing section added: what the designer drafts for the next round.
    public static func revised(_ plan: String) -> String {
        let found = Findings(plan)
        var text = plan.hasSuffix("\n") || plan.isEmpty ? plan : plan + "\n"
        if !found.hasTitle { text = "# Plan\n\n" + text }
        if found.goals == 0 { text += "\n## Goals\n\n- Deliver what the brief asks for.\n" }
        if found.steps == 0 {
            text += "\n## Steps\n\n1. Do the work the goals describe.\n2. Check it against the goals.\n"
        }
        if found.risks == 0 {
            text += "\n## Risks\n\n"
            text += "- A step takes longer than planned: each step is checked before the next one starts.\n"
            text += "- The goals change: the plan is reviewed at every phase boundary.\n"
        }
        return text
    }

    /// One `<ROUND>` block judging `artifact`, which the designer carries.
    public static func round(_ number: Int, artifact: String, config: CritiqueConfig = .default) -> String {
        let verdicts = self.verdicts(on: artifact)
        var scores: [PanelistRole: Double] = [:]
        for verdict in verdicts { scores[verdict.role] = verdict.score }
        let composite = Scoreboard.rounded(Scoreboard.composite(of: scores, weights: config.weights))
        let mustFix = verdicts.reduce(0) { $0 + $1.mustFix.count }
        let ships = composite >= config.threshold && mustFix == 0
        var out = "<ROUND n=\"\(number)\">\n"
        out += "<PANELIST role=\"designer\">\n"
        out += "<NOTES>" + (number == 1 ? "The plan as the agent wrote it." : "Added the sections the panel asked for.")
        out += "</NOTES>\n<ARTIFACT mime=\"text/markdown\"><![CDATA[" + Self.cdata(artifact) + "]]></ARTIFACT>\n"
        out += "</PANELIST>\n"
        for verdict in verdicts {
            out +=
                "<PANELIST role=\"\(verdict.role)\" score=\"\(verdict.score)\" must_fix=\"\(verdict.mustFix.count)\">\n"
            for dimension in verdict.dimensions {
                out +=
                    "<DIM name=\"\(dimension.name)\" score=\"\(dimension.score)\">\(Self.escaped(dimension.note))</DIM>\n"
            }
            for item in verdict.mustFix { out += "<MUST_FIX>\(Self.escaped(item))</MUST_FIX>\n" }
            out += "</PANELIST>\n"
        }
        let reason =
            ships
            ? "Composite \(composite) meets the threshold \(config.threshold) with no must-fix open."
            : "Composite \(composite) against threshold \(config.threshold); \(mustFix) must-fix open."
        out += "<ROUND_END n=\"\(number)\" composite=\"\(composite)\" must_fix=\"\(mustFix)\" "
        out += "decision=\"\(ships ? "ship" : "continue")\">\n<REASON>\(Self.escaped(reason))</REASON>\n</ROUND_END>\n"
        out += "</ROUND>\n"
        return out
    }

    /// A whole run over `artifact`: rounds until one ships or `maxRounds` is reached, then `<SHIP>`.
    ///
    /// Round 1 judges the artifact as given; each later round judges the designer's ``revised(_:)``
    /// draft of the one before.
    public static func transcript(artifact: String, config: CritiqueConfig = .default) -> String {
        var out = "<CRITIQUE_RUN version=\"1\" maxRounds=\"\(config.maxRounds)\" threshold=\"\(config.threshold)\" "
        out += "scale=\"\(Int(config.scale))\">\n"
        var draft = artifact
        for number in 1...max(1, config.maxRounds) {
            if number > 1 { draft = Self.revised(draft) }
            out += Self.round(number, artifact: draft, config: config)
            if Self.ships(draft, config: config) {
                let composite = Self.composite(draft, config: config)
                out += "<SHIP round=\"\(number)\" composite=\"\(composite)\" status=\"shipped\">\n"
                out += "<ARTIFACT mime=\"text/markdown\"><![CDATA[" + Self.cdata(draft) + "]]></ARTIFACT>\n"
                out += "<SUMMARY>"
                out +=
                    number == 1
                    ? "The plan shipped as written." : "The designer added the missing sections; the plan shipped."
                out += "</SUMMARY>\n</SHIP>\n"
                break
            }
        }
        return out + "</CRITIQUE_RUN>\n"
    }

    static func composite(_ plan: String, config: CritiqueConfig) -> Double {
        var scores: [PanelistRole: Double] = [:]
        for verdict in Self.verdicts(on: plan) { scores[verdict.role] = verdict.score }
        return Scoreboard.rounded(Scoreboard.composite(of: scores, weights: config.weights))
    }

    static func ships(_ plan: String, config: CritiqueConfig) -> Bool {
        Self.composite(plan, config: config) >= config.threshold
            && Self.verdicts(on: plan).allSatisfy { $0.mustFix.isEmpty }
    }

    private static func cdata(_ text: String) -> String {
        text.replacing("]]>", with: "]]]]><![CDATA[>")
    }

    private static func escaped(_ text: String) -> String {
        text.replacing("&", with: "&amp;").replacing("<", with: "&lt;").replacing(">", with: "&gt;")
    }
}
