import Foundation
import Testing
import TollgateTestSupport

/// The telemetry a batch writes (DESIGN §11), as `tollgate stats` reads it back.
extension BatchCommandTests {
    /// `tollgate stats REPO --json`: each metric's count.
    func metricCounts() async throws -> [String: Int] {
        let result = try await tollgate("stats", repository.path, "--json")
        #expect(result.status == 0, "\(result)")
        let metrics = try #require(try json(result.stdout)["metrics"] as? [[String: Any]])
        return Dictionary(
            uniqueKeysWithValues: metrics.compactMap { metric in
                (metric["metric"] as? String).map { ($0, metric["count"] as? Int ?? 0) }
            }
        )
    }

    @Test func aBatchWritesItsCritiqueAndRewriteMetricsAndStatsShowsThem() async throws {
        _ = try await revisedBatch()  // ch/low.md and ch/low2.md revised once each, ch/ship.md shipped at once
        let counts = try await metricCounts()
        #expect(counts["critique.queue_time_ms"] == 3, "\(counts)")
        #expect(counts["critique.duration_ms"] == 5, "a critique per unit and one per revision: \(counts)")
        #expect(counts["critique.notes_per_kword"] == 3, "\(counts)")
        #expect(counts["critique.accept_rate"] == 1, "\(counts)")
        #expect(counts["rewrite.apply_latency_ms"] == 2, "\(counts)")
        let text = try await tollgate("stats", repository.path)
        #expect(text.stdout.contains("critique.accept_rate (ratio): count 1, p50 1"), "\(text.stdout)")
        let telemetry = try String(
            contentsOf: repository.appendingPathComponent(".git/tollgate/telemetry.ndjson"),
            encoding: .utf8
        )
        #expect(!telemetry.contains("ch/"), "telemetry names no path")
    }

    @Test func withTelemetryOffABatchWritesNone() async throws {
        let result = try await batch("ch/ship.md", "--set", "telemetry.enabled=false")
        #expect(result.status == 0, "\(result)")
        #expect(
            !FileManager.default.fileExists(
                atPath: repository.appendingPathComponent(".git/tollgate/telemetry.ndjson").path
            )
        )
    }
}
