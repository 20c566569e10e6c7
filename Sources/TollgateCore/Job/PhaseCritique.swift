import Foundation

/// The result of a phase's critique (and its revision loop), as the job keeps and shows it.
public struct PhaseCritique: Codable, Sendable, Equatable {
    /// `shipped`, `below_threshold`, `timed_out`, `interrupted`, `degraded` or `failed`.
    public var status: String
    public var composite: Double?
    public var threshold: Double
    public var openMustFix: Int
    /// Revision iterations the loop used (0 when the first critique shipped).
    public var iterations: Int
    public var stopReason: String?
    /// Where the report is, relative to the workspace root.
    public var report: String

    public init(
        status: String, composite: Double?, threshold: Double, openMustFix: Int, iterations: Int, stopReason: String?,
        report: String
    ) {
        self.status = status
        self.composite = composite
        self.threshold = threshold
        self.openMustFix = openMustFix
        self.iterations = iterations
        self.stopReason = stopReason
        self.report = report
    }

    /// Whether the critique passed: it shipped with no open must-fix item.
    public var passed: Bool { status == "shipped" && openMustFix == 0 }

    /// One line for status and PR bodies.
    public var line: String {
        let score = composite.map { String(format: "%.1f", $0) } ?? "none"
        return "critique \(status): composite \(score) / threshold \(String(format: "%.1f", threshold)), "
            + "\(openMustFix) open must-fix item(s), \(iterations) revision iteration(s) (report: \(report))"
    }

    /// Why this critique escalates a boundary the autonomy level would merge, if it does.
    public var escalationReason: String? {
        if passed { return nil }
        let score = composite.map { String(format: "%.1f", $0) } ?? "none"
        return "the critique did not pass (\(status), composite \(score) < \(String(format: "%.1f", threshold)) "
            + "or \(openMustFix) open must-fix item(s))"
    }
}
