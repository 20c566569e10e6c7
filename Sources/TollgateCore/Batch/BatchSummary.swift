import Foundation

/// A batch's `summary.json` (DESIGN §11): every unit with its state and figures, and how many units are in each
/// state.
///
/// Written after each unit finishes, so the copy on the batch's branch always says which units are done; a resumed
/// batch reads it back to skip them.
public struct BatchSummary: Sendable, Equatable, Codable {
    /// One unit's line.
    public struct Unit: Sendable, Equatable, Codable {
        /// The unit's repository path.
        public var unit: String
        /// Where it stands.
        public var state: BatchUnitState
        /// The first critique's composite; nil when it produced none.
        public var firstComposite: Double?
        /// The composite of the artifact kept (the first one's without a revision loop).
        public var finalComposite: Double?
        /// Open must-fix items of the kept critique.
        public var mustFix: Int
        /// Revision iterations run (0 without `--revise`).
        public var iterations: Int
        /// Wall time of the unit's critique and revisions.
        public var durationMs: Int

        /// Creates a unit's line.
        public init(
            unit: String,
            state: BatchUnitState,
            firstComposite: Double? = nil,
            finalComposite: Double? = nil,
            mustFix: Int = 0,
            iterations: Int = 0,
            durationMs: Int = 0
        ) {
            self.unit = unit
            self.state = state
            self.firstComposite = firstComposite
            self.finalComposite = finalComposite
            self.mustFix = mustFix
            self.iterations = iterations
            self.durationMs = durationMs
        }
    }

    /// The batch's id.
    public var batch: String
    /// Every unit, in path order.
    public var units: [Unit]
    /// The batch's spend and open reservations when runs are reserved (a cap is set or a project named): kept here
    /// so a resume, a crash or a raised cap never resets it.
    public var budget: BudgetAccount?
    /// Why the batch's remaining units are blocked, while they are.
    public var blocked: String?

    /// Creates a summary.
    public init(batch: String, units: [Unit]) {
        self.batch = batch
        self.units = units
    }

    /// How many units are in each state, every state named (0 included).
    public var counts: [String: Int] {
        var counts = Dictionary(uniqueKeysWithValues: BatchUnitState.allCases.map { ($0.rawValue, 0) })
        for unit in units { counts[unit.state.rawValue, default: 0] += 1 }
        return counts
    }

    /// Whether every unit shipped (the batch exits 0).
    public var allShipped: Bool { units.allSatisfy { $0.state == .shipped } }

    /// The paths of the units that are finished.
    public var finishedUnits: Set<String> { Set(units.filter(\.state.isFinished).map(\.unit)) }

    /// Sets `unit`'s line (added in path order when it has none).
    public mutating func record(_ unit: Unit) {
        if let index = units.firstIndex(where: { $0.unit == unit.unit }) {
            units[index] = unit
        } else {
            units.append(unit)
            units.sort { $0.unit < $1.unit }
        }
    }

    /// Whether a budget blocked units (the batch exits 4).
    public var isBlocked: Bool { units.contains { $0.state == .blocked } }

    private enum Keys: String, CodingKey { case batch, units, counts, budget, blocked }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        self.batch = try container.decode(String.self, forKey: .batch)
        self.units = try container.decode([Unit].self, forKey: .units)
        self.budget = try container.decodeIfPresent(BudgetAccount.self, forKey: .budget)
        self.blocked = try container.decodeIfPresent(String.self, forKey: .blocked)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(batch, forKey: .batch)
        try container.encode(units, forKey: .units)
        try container.encode(counts, forKey: .counts)
        try container.encodeIfPresent(budget, forKey: .budget)
        try container.encodeIfPresent(blocked, forKey: .blocked)
    }

    /// `report.md`: a table of the units that reads well in Gitea and in a terminal.
    public func report() -> String {
        func number(_ value: Double?) -> String { value.map { "\(Scoreboard.rounded($0))" } ?? "–" }
        // Looked for in the bytes first: the report is written again after every unit, and Foundation's search and
        // replacement cost microseconds even when there is nothing to replace (a fifth of a 1,000-unit batch's CPU).
        func cell(_ text: String) -> String {
            text.utf8.contains(UInt8(ascii: "|")) ? text.replacingOccurrences(of: "|", with: "\\|") : text
        }
        let counts = self.counts
        let tally = BatchUnitState.allCases.filter { $0.isFinished || $0 == .blocked }.compactMap { state -> String? in
            let count = counts[state.rawValue] ?? 0
            return count == 0 ? nil : "\(count) \(state.words)"
        }
        var lines = [
            "# Batch critique `\(batch)`", "",
            "\(units.count) unit(s)\(tally.isEmpty ? "" : ": " + tally.joined(separator: ", ")).", "",
            "| Unit | State | First | Final | Must-fix | Iterations | Time |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        if let blocked { lines.insert(contentsOf: ["Blocked: \(blocked)", ""], at: 4) }
        for unit in units {
            let path = "units/\(unit.unit)/report.md"
            let link = path.utf8.contains(UInt8(ascii: " ")) ? path.replacingOccurrences(of: " ", with: "%20") : path
            let report = unit.state.isFinished ? "[`\(cell(unit.unit))`](\(link))" : "`\(cell(unit.unit))`"
            lines.append(
                "| \(report) | \(unit.state.words) | \(number(unit.firstComposite)) | \(number(unit.finalComposite)) | "
                    + "\(unit.mustFix) | \(unit.iterations) | \(String(format: "%.1f s", Double(unit.durationMs) / 1000)) |"
            )
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
