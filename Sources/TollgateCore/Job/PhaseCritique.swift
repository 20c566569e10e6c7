import Foundation

/// The result of a phase's critique (and its revision loop), as the job keeps and shows it.
///
/// It is also the one record of the loop: iterations used, the composite before and after, the tokens and time it
/// cost and why it stopped (`critique.finished` carries the same figures).
public struct PhaseCritique: Codable, Sendable, Equatable {
    /// How the kept critique ended.
    public var status: CritiqueStatus
    /// The composite of the artifact kept (the worst artifact's, when there are several).
    public var composite: Double?
    public var threshold: Double
    public var openMustFix: Int
    /// Revision iterations the loop used (0 when the first critique shipped).
    public var iterations: Int
    /// Why the revision loop stopped, when one ran.
    public var stopReason: RevisionLoopSummary.StopReason?
    /// Where the report is, relative to the workspace root.
    public var report: String
    /// The composite of the first critique, before any revision (of the same artifact as ``composite``).
    public var startComposite: Double?
    /// Tokens the loop spent: the agent's reported output tokens in revise mode, plus what critics reported.
    public var tokens: Int
    /// Wall time of the critique and its loop, in milliseconds (steps an earlier, killed run finished count with the
    /// time they took then).
    public var latencyMs: Int

    public init(
        status: CritiqueStatus,
        composite: Double?,
        threshold: Double,
        openMustFix: Int,
        iterations: Int,
        stopReason: RevisionLoopSummary.StopReason?,
        report: String,
        startComposite: Double? = nil,
        tokens: Int = 0,
        latencyMs: Int = 0
    ) {
        self.status = status
        self.composite = composite
        self.threshold = threshold
        self.openMustFix = openMustFix
        self.iterations = iterations
        self.stopReason = stopReason
        self.report = report
        self.startComposite = startComposite
        self.tokens = tokens
        self.latencyMs = latencyMs
    }

    private enum CodingKeys: String, CodingKey {
        case status, composite, threshold, openMustFix, iterations, stopReason, report, startComposite, tokens,
            latencyMs
    }

    /// Reads a result; one recorded before the loop's figures were kept reads with none (0 tokens, 0 ms).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        status = try container.decode(CritiqueStatus.self, forKey: .status)
        composite = try container.decodeIfPresent(Double.self, forKey: .composite)
        threshold = try container.decode(Double.self, forKey: .threshold)
        openMustFix = try container.decode(Int.self, forKey: .openMustFix)
        iterations = try container.decode(Int.self, forKey: .iterations)
        stopReason = try container.decodeIfPresent(RevisionLoopSummary.StopReason.self, forKey: .stopReason)
        report = try container.decode(String.self, forKey: .report)
        startComposite = try container.decodeIfPresent(Double.self, forKey: .startComposite)
        tokens = try container.decodeIfPresent(Int.self, forKey: .tokens) ?? 0
        latencyMs = try container.decodeIfPresent(Int.self, forKey: .latencyMs) ?? 0
    }

    /// Whether the critique passed: it shipped with no open must-fix item.
    public var passed: Bool { status == .shipped && openMustFix == 0 }

    /// One line for status and PR bodies.
    public var line: String {
        let score = composite.map { String(format: "%.1f", $0) } ?? "none"
        return "critique \(status): composite \(score) / threshold \(String(format: "%.1f", threshold)), "
            + "\(openMustFix) open must-fix item(s), \(iterations) revision iteration(s) (report: \(report))"
    }

    /// One line on the revision loop for status: iterations, composite before and after, tokens, time, stop reason.
    public var loopLine: String {
        func score(_ value: Double?) -> String { value.map { String(format: "%.1f", $0) } ?? "none" }
        return "revision loop: \(iterations) iteration(s), composite \(score(startComposite)) → \(score(composite)), "
            + "\(tokens) token(s), \(String(format: "%.1f", Double(latencyMs) / 1000)) s, "
            + "stopped: \(stopReason?.rawValue ?? "unknown")"
    }

    /// The figures `critique.finished` records: the one event of the loop.
    public var eventData: [String: String] {
        var data = [
            "status": status.rawValue, "openMustFix": "\(openMustFix)", "iterations": "\(iterations)", "report": report,
            "tokens": "\(tokens)", "latencyMs": "\(latencyMs)",
        ]
        if let composite { data["composite"] = String(format: "%.2f", composite) }
        if let startComposite { data["startComposite"] = String(format: "%.2f", startComposite) }
        if let stopReason { data["stopReason"] = stopReason.rawValue }
        return data
    }

    /// Why this critique escalates a boundary the autonomy level would merge, if it does.
    public var escalationReason: String? {
        if passed { return nil }
        let score = composite.map { String(format: "%.1f", $0) } ?? "none"
        return "the critique did not pass (\(status), composite \(score) < \(String(format: "%.1f", threshold)) "
            + "or \(openMustFix) open must-fix item(s))"
    }
}
