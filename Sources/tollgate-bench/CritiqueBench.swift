import Foundation
import TollgateCore

/// Timings for the critique parser and scoreboard.
///
/// - Parser throughput on two large generated transcripts fed in 64 KiB chunks (the target is at least
///   200 MB/s in release): one dense with tags (small artifacts, many short blocks) and one where each
///   round carries a large artifact, as an HTML or Markdown critique does. Each reports the parser's
///   peak buffered bytes and the process's resident memory before and after, to show that memory stays
///   flat as the stream grows.
/// - The scoreboard's cost per event, p50 and p99 in microseconds (the budget is 2 ms per event).
///
/// `tollgate-bench critique parser [rounds]` runs only the tag-dense parser figure, on `rounds` rounds
/// (default ``denseRounds``): small enough to run under callgrind, whose instruction counts do not
/// depend on the machine's load.
enum CritiqueBench {
    /// Rounds in the tag-dense transcript; about 1.2 KiB each.
    static let denseRounds = 60_000
    /// Rounds in the artifact-heavy transcript; about 200 KiB each.
    static let heavyRounds = 350
    /// The chunk size the shell reads a critic's stdout with.
    static let chunkBytes = 64 * 1024
    /// Scoreboard runs over a three-round transcript, for the per-event figures.
    static let scoreboardRuns = 20_000
    /// The parser's throughput aim in a release build, in MB/s.
    static let aimMegabytesPerSecond = 200.0

    static func run() throws {
        print("== critique")
        let arguments = Array(CommandLine.arguments.dropFirst(2))
        if arguments.first == "parser" {
            let given = arguments.dropFirst().first
            guard let rounds = given.map({ Int($0) }) ?? Self.denseRounds, rounds >= 1 else {
                print("usage: tollgate-bench critique parser [rounds], rounds a whole number of at least 1")
                exit(64)
            }
            try Self.parserThroughput(name: "tag-dense", rounds: rounds, artifactLines: 8)
            return
        }
        let dense = try Self.parserThroughput(name: "tag-dense", rounds: Self.denseRounds, artifactLines: 8)
        let heavy = try Self.parserThroughput(name: "artifact-heavy", rounds: Self.heavyRounds, artifactLines: 3500)
        print(
            String(
                format: "parser throughput: tag-dense %.0f MB/s (%.2fx the %.0f MB/s aim),"
                    + " artifact-heavy %.0f MB/s (%.2fx the aim)",
                dense,
                dense / Self.aimMegabytesPerSecond,
                Self.aimMegabytesPerSecond,
                heavy,
                heavy / Self.aimMegabytesPerSecond
            )
        )
        Self.scoreboardCost()
    }

    // MARK: - Parser

    /// Parses a generated transcript in chunks and prints the figures; returns the throughput in MB/s.
    @discardableResult
    static func parserThroughput(name: String, rounds: Int, artifactLines: Int) throws -> Double {
        var text = #"<CRITIQUE_RUN version="1" maxRounds="3" threshold="8.0" scale="10">"# + "\n"
        for n in 1...rounds { text += Self.round(n, artifactLines: artifactLines) }
        text += "</CRITIQUE_RUN>\n"
        let bytes = Array(text.utf8)
        let rssBefore = Self.residentKiB()
        var parser = CritiqueParser()
        var events = 0
        var peakBuffered = 0
        var bufferedAtQuarter = 0
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            var start = 0
            while start < bytes.count {
                let end = min(start + Self.chunkBytes, bytes.count)
                parser.append(bytes[start..<end])
                while parser.next() != nil { events += 1 }
                peakBuffered = max(peakBuffered, parser.bufferedByteCount)
                if start <= bytes.count / 4 && end > bytes.count / 4 { bufferedAtQuarter = peakBuffered }
                start = end
            }
            events += parser.finish().count
        }
        let rssAfter = Self.residentKiB()
        let seconds = Self.seconds(elapsed)
        let megabytes = Double(bytes.count) / 1_000_000
        print(
            String(
                format: "parser (\(name)): %.1f MB in %.3f s = %.0f MB/s, %d events (%.2f M events/s)",
                megabytes,
                seconds,
                megabytes / seconds,
                events,
                Double(events) / seconds / 1_000_000
            )
        )
        print(
            "parser memory (\(name)): peak buffered \(peakBuffered) bytes (\(bufferedAtQuarter) by the first quarter of the stream),"
                + " limit \(CritiqueParser.defaultMaxBlockBytes); RSS \(rssBefore.map(String.init) ?? "?") KiB before,"
                + " \(rssAfter.map(String.init) ?? "?") KiB after (the \(bytes.count / 1024) KiB input itself is held by the bench)"
        )
        return megabytes / seconds
    }

    static func round(_ n: Int, artifactLines: Int = 8) -> String {
        let artifact = String(
            repeating: "- a line of the plan under review, long enough to matter\n",
            count: artifactLines
        )
        return """
            <ROUND n="\(n)">
            <PANELIST role="designer"><NOTES>Draft \(n).</NOTES><ARTIFACT mime="text/markdown"><![CDATA[\(artifact)]]></ARTIFACT></PANELIST>
            <PANELIST role="critic" score="7.2" must_fix="1"><DIM name="structure" score="7">Fine.</DIM><MUST_FIX>Add risks.</MUST_FIX></PANELIST>
            <PANELIST role="brand" score="8.0" must_fix="0"><DIM name="voice" score="8">Plain.</DIM></PANELIST>
            <PANELIST role="a11y" score="7.5" must_fix="1"><DIM name="scan" score="7.5">Ok.</DIM><MUST_FIX>Shorter lines.</MUST_FIX></PANELIST>
            <PANELIST role="copy" score="8.0" must_fix="0"><DIM name="clarity" score="8">Clear.</DIM></PANELIST>
            <ROUND_END n="\(n)" composite="7.58" must_fix="2" decision="continue"><REASON>Below threshold.</REASON></ROUND_END>
            </ROUND>

            """
    }

    // MARK: - Scoreboard

    static func scoreboardCost() {
        let plan = "# Plan\n\n## Goals\n\n- ship\n\n## Steps\n\n1. a\n2. b\n"
        var text = ExampleCritic.transcript(artifact: plan)
        text = text.replacing("</CRITIQUE_RUN>", with: "") + Self.round(3) + "</CRITIQUE_RUN>\n"
        let events = CritiqueParser.events(in: text)
        let clock = ContinuousClock()
        var perEvent: [Double] = []
        perEvent.reserveCapacity(Self.scoreboardRuns * events.count)
        var perSummary: [Double] = []
        var statuses = 0
        for _ in 0..<Self.scoreboardRuns {
            var scoreboard = Scoreboard(config: .default)
            for event in events {
                let start = clock.now
                let actions = scoreboard.eventReceived(event)
                perEvent.append(Self.seconds(start.duration(to: clock.now)) * 1_000_000)
                statuses += actions.count
            }
            let start = clock.now
            let summary = scoreboard.summary
            perSummary.append(Self.seconds(start.duration(to: clock.now)) * 1_000_000)
            statuses += summary.rounds.count
        }
        perEvent.sort()
        perSummary.sort()
        print(
            String(
                format:
                    "scoreboard: %d events x %d runs: p50 %.2f us, p99 %.2f us, max %.1f us per event (budget 2000 us)",
                events.count,
                Self.scoreboardRuns,
                Self.percentile(perEvent, 0.50),
                Self.percentile(perEvent, 0.99),
                perEvent.last ?? 0
            )
        )
        print(
            String(
                format: "scoreboard summary: p50 %.2f us, p99 %.2f us (checksum %d)",
                Self.percentile(perSummary, 0.50),
                Self.percentile(perSummary, 0.99),
                statuses
            )
        )
    }

    // MARK: - Helpers

    static func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
    }

    static func seconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }

    /// The resident set size from `/proc/self/status`, in KiB (Linux only).
    static func residentKiB() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ").dropFirst().first ?? "")
        }
        return nil
    }
}
