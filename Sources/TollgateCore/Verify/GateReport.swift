import Foundation

/// The verification of one revision of a phase: the gates' results and the texts committed for them
/// (`verify/phase-N/rev-M/gates.json` and `report.md`, DESIGN §10), and the commit statuses that report them.
public struct GateReport: Sendable, Equatable, Codable {
    /// The layout of `gates.json`.
    public static let version = 1

    /// The phase's number.
    public var phase: Int
    /// The revision (1 for the first run of the gates, then one more after each round of changes).
    public var revision: Int
    /// The commit the gates ran on (the phase branch's head).
    public var commit: String
    /// Every gate's result, in the order they ran.
    public var results: [GateResult]

    /// Creates a report.
    public init(phase: Int, revision: Int, commit: String, results: [GateResult]) {
        self.phase = phase
        self.revision = revision
        self.commit = commit
        self.results = results
    }

    /// Whether every gate passed (true when there is none).
    public var passed: Bool { results.allSatisfy(\.passed) }

    /// The folder of this revision's files in the workspace: `verify/phase-N/rev-M`.
    public var folder: String { Self.folder(phase: phase, revision: revision) }

    /// The folder of a revision's files in the workspace: `verify/phase-N/rev-M`.
    public static func folder(phase: Int, revision: Int) -> String { "verify/phase-\(phase)/rev-\(revision)" }

    // MARK: - gates.json

    enum CodingKeys: String, CodingKey {
        case version, phase, revision, commit, passed
        case results = "gates"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let version = try container.decode(Int.self, forKey: .version)
        guard version == Self.version else {
            throw DecodingError.dataCorruptedError(
                forKey: .version,
                in: container,
                debugDescription: "gates.json layout \(version) is not \(Self.version)"
            )
        }
        phase = try container.decode(Int.self, forKey: .phase)
        revision = try container.decode(Int.self, forKey: .revision)
        commit = try container.decode(String.self, forKey: .commit)
        results = try container.decode([GateResult].self, forKey: .results)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.version, forKey: .version)
        try container.encode(phase, forKey: .phase)
        try container.encode(revision, forKey: .revision)
        try container.encode(commit, forKey: .commit)
        try container.encode(passed, forKey: .passed)
        try container.encode(results, forKey: .results)
    }

    /// `gates.json`: this report as JSON, keys sorted, two-space indented, one final newline.
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Encoding plain values with string keys cannot fail.
        let data = (try? encoder.encode(self)) ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    // MARK: - report.md

    /// `report.md`: a table of the gates, then the output's end of each gate that failed.
    public func markdown() -> String {
        let failed = results.filter { !$0.passed }
        let verdict =
            results.isEmpty
            ? "no gates" : failed.isEmpty ? "all \(results.count) passed" : "\(failed.count) of \(results.count) failed"
        var lines = [
            "# Verify: phase \(phase), revision \(revision)",
            "",
            "Commit `\(commit.prefix(12))`: \(verdict).",
        ]
        if !results.isEmpty {
            lines += ["", "| Gate | Result | Time | Command |", "|---|---|---|---|"]
            for result in results {
                let outcome = result.passed ? "passed" : "**\(result.outcome)**"
                lines.append(
                    "| \(Self.cell(result.name)) | \(outcome) | \(Self.seconds(result.durationMs)) | \(Self.cell(result.command)) |"
                )
            }
        }
        for result in failed {
            lines += ["", "## \(result.name): \(result.outcome)", ""]
            if let startError = result.startError { lines += [startError, ""] }
            if let budgetStop = result.budgetStop { lines += [budgetStop, ""] }
            if result.outputTail.isEmpty {
                lines.append("No output.")
            } else {
                let fence = Self.fence(for: result.outputTail)
                lines += [fence + "text", result.outputTail, fence]
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A duration as `12.3 s`.
    public static func seconds(_ milliseconds: Int) -> String {
        String(format: "%.1f s", Double(milliseconds) / 1000)
    }

    /// Text as a table cell: in code, `|` escaped, on one line, with a backtick fence longer than any run inside.
    static func cell(_ text: String) -> String {
        let flat = text.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "|", with: "\\|")
        let ticks = String(repeating: "`", count: longestRun(of: "`", in: flat) + 1)
        let pad = flat.hasPrefix("`") || flat.hasSuffix("`") ? " " : ""
        return ticks + pad + flat + pad + ticks
    }

    /// A code fence for `text`: three backticks, or more than the longest run of them in it.
    static func fence(for text: String) -> String {
        String(repeating: "`", count: max(3, longestRun(of: "`", in: text) + 1))
    }

    private static func longestRun(of character: Character, in text: String) -> Int {
        var longest = 0
        var current = 0
        for each in text {
            current = each == character ? current + 1 : 0
            longest = max(longest, current)
        }
        return longest
    }

    // MARK: - Commit statuses

    /// The context of a gate's commit status: `tollgate/gate/<name>`.
    public static func statusContext(ofGate name: String) -> String { "tollgate/gate/\(name)" }

    /// The context of the whole verification's commit status.
    public static let verifyContext = "tollgate/verify"

    /// A commit status to post: a context, a state (`pending`, `success` or `failure`) and a description.
    public struct Status: Sendable, Equatable {
        public var context: String
        public var state: String
        public var description: String

        public init(context: String, state: String, description: String) {
            self.context = context
            self.state = state
            self.description = description
        }
    }

    /// The status of a gate that has started.
    public static func started(_ gate: GateSpec) -> Status {
        Status(context: statusContext(ofGate: gate.name), state: "pending", description: "running")
    }

    /// The status of a gate that has ended: `success` saying how long it took, or `failure` saying how it ended.
    public static func finished(_ result: GateResult) -> Status {
        let time = seconds(result.durationMs)
        return Status(
            context: statusContext(ofGate: result.name),
            state: result.passed ? "success" : "failure",
            description: result.passed ? "passed in \(time)" : "\(result.outcome) (\(time))"
        )
    }

    /// The status of the whole verification while its gates run.
    public static func verifyStarted(gates: Int) -> Status {
        Status(context: verifyContext, state: "pending", description: "running \(gates) gate\(gates == 1 ? "" : "s")")
    }

    /// The status of the whole verification once every gate ran.
    public var verifyFinished: Status {
        let time = Self.seconds(results.reduce(0) { $0 + $1.durationMs })
        let failed = results.filter { !$0.passed }.map(\.name)
        return Status(
            context: Self.verifyContext,
            state: failed.isEmpty ? "success" : "failure",
            description: failed.isEmpty
                ? "\(results.count) gate\(results.count == 1 ? "" : "s") passed in \(time)"
                : "failed: \(failed.joined(separator: ", ")) (\(time))"
        )
    }
}
