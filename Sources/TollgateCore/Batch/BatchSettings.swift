import Foundation

/// What a batch was started with, kept as `critique/batch-<id>/batch.json` on its branch so `--resume <id>` goes on
/// with the same units, critic and reviser.
public struct BatchSettings: Sendable, Equatable, Codable {
    /// The batch's id: `[a-z0-9][a-z0-9-]{0,39}`.
    public var batch: String
    /// The `--files` globs, in the order given.
    public var files: [String]
    /// The critic command.
    public var critic: String
    /// The reviser command, if the batch revises.
    public var revise: String?
    /// How many units run at once.
    public var jobs: Int
    /// The commit of the user's branch the batch started from.
    public var base: String
    /// The `--set KEY=VALUE` assignments it runs with (budgets, reservations, privacy, telemetry), in order: those of
    /// every resume after those it started with; nil when none was given.
    public var assignments: [String]?

    /// Creates the settings of a batch.
    public init(
        batch: String,
        files: [String],
        critic: String,
        revise: String?,
        jobs: Int,
        base: String,
        assignments: [String] = []
    ) {
        self.batch = batch
        self.assignments = assignments.isEmpty ? nil : assignments
        self.files = files
        self.critic = critic
        self.revise = revise
        self.jobs = jobs
        self.base = base
    }

    /// The keys `--set` takes for a batch: its own caps and the project's (`budget.*`), what each run reserves, the
    /// privacy mode and telemetry; the critique's own settings come from `TOLLGATE_CRITIQUE_*`.
    public static func isSettable(_ key: String) -> Bool {
        key.hasPrefix("budget.") || key.hasPrefix("agent.reserve.") || key.hasPrefix("critique.reserve.")
            || key == "privacy.mode" || key == "telemetry.enabled"
    }

    /// The most units a batch runs at once.
    public static let maxJobs = 64

    /// Whether `id` may name a batch (it becomes part of a branch and a folder name).
    public static func isValidID(_ id: String) -> Bool {
        guard let first = id.unicodeScalars.first, id.unicodeScalars.count <= 40 else { return false }
        func allowed(_ scalar: Unicode.Scalar) -> Bool { ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) }
        return allowed(first) && id.unicodeScalars.allSatisfy { allowed($0) || $0 == "-" }
    }

    /// A new batch id for a batch started at `date`: the UTC time to the second and a random suffix
    /// (`20261203-174501-3fa2`), so ids sort by start and two batches started in the same second differ.
    public static func newID(at date: Date, suffix: UInt16) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func two(_ value: Int?) -> String { String(format: "%02d", value ?? 0) }
        let day = String(format: "%04d", parts.year ?? 0) + two(parts.month) + two(parts.day)
        return day + "-" + two(parts.hour) + two(parts.minute) + two(parts.second) + "-"
            + String(format: "%04x", Int(suffix))
    }

    /// The branch the batch works on.
    public static func branch(_ id: String) -> String { "batch/\(id)" }

    /// The folder of the batch's results in its branch.
    public static func folder(_ id: String) -> String { "critique/batch-\(id)" }

    /// The linked worktree's name (its folder is `.git/tollgate/worktrees/<name>`).
    public static func worktreeName(_ id: String) -> String { "batch-\(id)" }
}
