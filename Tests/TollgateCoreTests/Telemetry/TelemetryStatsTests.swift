import Foundation
import Testing
import TollgateCore

/// `tollgate stats`' figures and text (DESIGN §11), on values.
struct TelemetryStatsTests {
    static func records(_ metric: TelemetryMetric, _ values: [Double]) -> [TelemetryRecord] {
        values.map {
            TelemetryRecord(at: Date(timeIntervalSince1970: 0), metric: metric, value: $0, job: "j", phase: 1)
        }
    }

    @Test(arguments: [
        ([1.0], 50.0, 1.0),
        ([1.0], 95.0, 1.0),
        ([1.0, 2.0], 50.0, 1.0),
        ([1.0, 2.0], 95.0, 2.0),
        ([1.0, 2.0, 3.0, 4.0], 50.0, 2.0),
        (Array(stride(from: 1.0, through: 20.0, by: 1.0)), 95.0, 19.0),
        (Array(stride(from: 1.0, through: 100.0, by: 1.0)), 95.0, 95.0),
        (Array(stride(from: 1.0, through: 101.0, by: 1.0)), 50.0, 51.0),
        ([], 50.0, 0.0),
    ])
    func percentilesAreNearestRank(_ values: [Double], _ percent: Double, _ expected: Double) async {
        #expect(TelemetryStats.percentile(percent, ofSorted: values) == expected)
    }

    @Test(arguments: [
        ([5.0, 5.0, 5.0], [[5.0, 5.0, 3.0]]),
        (
            [0.0, 1.0, 2.0, 9.0, 10.0],
            [[0.0, 2.0, 2.0], [2.0, 4.0, 1.0], [4.0, 6.0, 0.0], [6.0, 8.0, 0.0], [8.0, 10.0, 2.0]]
        ),
        ([], []),
    ])
    func theHistogramHasEqualBucketsFromTheLeastToTheGreatest(_ values: [Double], _ expected: [[Double]]) async {
        let buckets = TelemetryStats.histogram(ofSorted: values).map { [$0.from, $0.to, Double($0.count)] }
        #expect(buckets == expected)
    }

    @Test func eachMetricIsSummarisedInTheDesignsOrderAndUnknownOnesLast() async {
        let records =
            Self.records(.gateDuration, [30, 10, 20])
            + Self.records(.agentDuration, [100])
            + [TelemetryRecord(at: Date(), metric: .critiqueAcceptRate, value: .nan, job: "j", phase: nil)]
            + [
                {
                    var record = TelemetryRecord(at: Date(), metric: .agentDuration, value: 7, job: "j", phase: nil)
                    record.metric = "future.metric"
                    return record
                }()
            ]
        let summaries = TelemetryStats.summaries(of: records)
        #expect(summaries.map(\.metric) == ["agent.duration_ms", "gate.duration_ms", "future.metric"])
        let gates = summaries[1]
        #expect(gates.count == 3 && gates.p50 == 20 && gates.p95 == 30 && gates.max == 30)
        #expect(gates.unit == "ms")
    }

    @Test func theTextShowsFiguresAndBars() async {
        let text = TelemetryStats.rendered(
            TelemetryStats.summaries(of: Self.records(.agentDuration, [0, 1, 2, 9, 10])),
            skipped: 1,
            barWidth: 4
        )
        #expect(
            text == """
                agent.duration_ms (ms): count 5, p50 2, p95 10, max 10
                   0-2 | #### 2
                   2-4 | ## 1
                   4-6 | 0
                   6-8 | 0
                  8-10 | #### 2
                (1 line of the telemetry could not be read and were left out)
                """
        )
    }

    @Test func nothingRecordedSaysSo() async {
        #expect(TelemetryStats.rendered([]) == "no telemetry recorded yet")
    }

    @Test(arguments: TelemetryMetric.allCases)
    func everyMetricHasAUnit(_ metric: TelemetryMetric) async {
        let expected: String
        if metric.rawValue.hasSuffix("_ms") {
            expected = "ms"
        } else if metric == TelemetryMetric.critiqueAcceptRate {
            expected = "ratio"
        } else {
            expected = "notes/kword"
        }
        #expect(metric.unit == expected)
    }
}
