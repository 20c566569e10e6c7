import Foundation

/// The metrics DESIGN §11 names; telemetry holds nothing else (no content, no paths, no names but the job's id).
public enum TelemetryMetric: String, Sendable, CaseIterable, Codable {
    case agentDuration = "agent.duration_ms"
    case agentQueueTime = "agent.queue_time_ms"
    case critiqueQueueTime = "critique.queue_time_ms"
    case critiqueDuration = "critique.duration_ms"
    case critiqueNotesPerKword = "critique.notes_per_kword"
    case critiqueAcceptRate = "critique.accept_rate"
    case gateDuration = "gate.duration_ms"
    case reviewWait = "review.wait_ms"
    case mergeLatency = "merge.latency_ms"
    case rewriteApplyLatency = "rewrite.apply_latency_ms"

    /// The unit written with each value.
    public var unit: String {
        switch self {
        case .critiqueNotesPerKword: "notes/kword"
        case .critiqueAcceptRate: "ratio"
        default: "ms"
        }
    }
}

/// One line of `.git/tollgate/telemetry.ndjson`.
public struct TelemetryRecord: Sendable, Equatable, Codable {
    /// ISO 8601, UTC, to the millisecond.
    public var at: String
    public var metric: String
    public var value: Double
    public var unit: String
    public var job: String
    public var phase: Int?

    public init(at date: Date, metric: TelemetryMetric, value: Double, job: String, phase: Int?) {
        self.at = Self.timestamp(date)
        self.metric = metric.rawValue
        self.value = value
        self.unit = metric.unit
        self.job = job
        self.phase = phase
    }

    /// One style for every record: a value type, so it is made once (a formatter per record cost more than the
    /// rest of the record together).
    private static let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)

    static func timestamp(_ date: Date) -> String {
        date.formatted(style)
    }
}

/// `tollgate stats`: count, p50, p95 and max per metric, with a small text histogram (pure; the CLI reads the files).
public enum TelemetryStats {
    /// One metric's figures.
    public struct Summary: Sendable, Equatable, Encodable {
        public struct Bucket: Sendable, Equatable, Encodable {
            /// The bucket holds values from `from` (inclusive) to `to` (exclusive; inclusive for the last).
            public var from: Double
            public var to: Double
            public var count: Int
        }

        public var metric: String
        public var unit: String
        public var count: Int
        public var p50: Double
        public var p95: Double
        public var max: Double
        public var histogram: [Bucket]
    }

    /// Buckets of a histogram.
    public static let bucketCount = 5

    /// The figures of every metric with at least one value, in the order of ``TelemetryMetric`` (metrics this
    /// build does not know come after, by name).
    public static func summaries(of records: [TelemetryRecord]) -> [Summary] {
        let grouped = Dictionary(grouping: records.filter { $0.value.isFinite }, by: \.metric)
        let known = TelemetryMetric.allCases.map(\.rawValue)
        let order = known.filter { grouped[$0] != nil } + grouped.keys.filter { !known.contains($0) }.sorted()
        return order.compactMap { metric in
            guard let group = grouped[metric], let first = group.first else { return nil }
            let values = group.map(\.value).sorted()
            return Summary(
                metric: metric,
                unit: first.unit,
                count: values.count,
                p50: percentile(50, ofSorted: values),
                p95: percentile(95, ofSorted: values),
                max: values[values.count - 1],
                histogram: histogram(ofSorted: values)
            )
        }
    }

    /// The nearest-rank percentile: the smallest value with at least `percent` % of the values at or below it.
    public static func percentile(_ percent: Double, ofSorted values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let rank = Int((percent / 100 * Double(values.count)).rounded(.up))
        return values[min(values.count, Swift.max(1, rank)) - 1]
    }

    /// ``bucketCount`` equal buckets from the least value to the greatest; one bucket when all are equal.
    public static func histogram(ofSorted values: [Double]) -> [Summary.Bucket] {
        guard let low = values.first, let high = values.last else { return [] }
        guard high > low else { return [Summary.Bucket(from: low, to: high, count: values.count)] }
        let width = (high - low) / Double(bucketCount)
        var buckets = (0..<bucketCount).map { index in
            Summary.Bucket(
                from: low + Double(index) * width,
                to: index == bucketCount - 1 ? high : low + Double(index + 1) * width,
                count: 0
            )
        }
        for value in values {
            buckets[Swift.min(bucketCount - 1, Int((value - low) / width))].count += 1
        }
        return buckets
    }

    /// The text of `tollgate stats`: a heading line per metric, then its histogram with bars of up to `barWidth`.
    public static func rendered(_ summaries: [Summary], skipped: Int = 0, barWidth: Int = 24) -> String {
        var lines: [String] = []
        if summaries.isEmpty { lines.append("no telemetry recorded yet") }
        for summary in summaries {
            lines.append(
                "\(summary.metric) (\(summary.unit)): count \(summary.count), p50 \(shown(summary.p50)), "
                    + "p95 \(shown(summary.p95)), max \(shown(summary.max))"
            )
            let most = summary.histogram.map(\.count).max() ?? 0
            let ranges = summary.histogram.map { "\(shown($0.from))-\(shown($0.to))" }
            let rangeWidth = ranges.map(\.count).max() ?? 0
            for (bucket, range) in zip(summary.histogram, ranges) {
                let length = most == 0 ? 0 : Int((Double(bucket.count) / Double(most) * Double(barWidth)).rounded(.up))
                let padded = String(repeating: " ", count: rangeWidth - range.count) + range
                let bar = String(repeating: "#", count: length)
                lines.append("  \(padded) | \(bar)\(bar.isEmpty ? "" : " ")\(bucket.count)")
            }
        }
        if skipped > 0 {
            lines.append(
                "(\(skipped) line\(skipped == 1 ? "" : "s") of the telemetry could not be read and were left out)"
            )
        }
        return lines.joined(separator: "\n")
    }

    /// A figure as shown: whole numbers without a fraction, others to two places.
    static func shown(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(format: "%.2f", value)
    }
}
