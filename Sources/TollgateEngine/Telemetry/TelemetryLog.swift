import Foundation
import TollgateCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A workspace's telemetry (DESIGN §11): `.git/tollgate/telemetry.ndjson`, one metric a line.
///
/// It lives inside `.git`, so nothing of it is ever committed or pushed, and nothing sends it anywhere. Writing never fails a job: a
/// metric that cannot be written is dropped.
public struct TelemetryLog: Sendable {
    /// The file's place inside a workspace's git directory.
    public static let relativePath = "tollgate/telemetry.ndjson"

    public let file: URL
    /// The id of the job the metrics are of.
    public let job: String
    /// `telemetry.enabled`: when false nothing is written.
    public let enabled: Bool

    public init(gitDirectory: URL, job: String, enabled: Bool) {
        self.file = gitDirectory.appendingPathComponent(Self.relativePath)
        self.job = job
        self.enabled = enabled
    }

    /// The log of the workspace at `root` (its git directory is `root/.git`), for reading.
    public init(workspace root: URL) {
        self.init(gitDirectory: root.appendingPathComponent(".git", isDirectory: true), job: "", enabled: false)
    }

    /// Appends one metric, in one `write` to a file opened for appending, so lines of processes writing at once
    /// never interleave.
    public func record(_ metric: TelemetryMetric, _ value: Double, phase: Int?, at date: Date = Date()) {
        guard enabled, value.isFinite else { return }
        let record = TelemetryRecord(at: date, metric: metric, value: value, job: job, phase: phase)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard var line = try? encoder.encode(record) else { return }
        line.append(0x0A)
        removeUnlessOwnRegularFile(file.path)
        var descriptor = open(file.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0o600)
        if descriptor < 0 && errno == ENOENT {
            // The first record of a workspace: its private folder may not be there yet.
            try? FileManager.default.createDirectory(
                at: file.deletingLastPathComponent(),
                withIntermediateDirectories: true
            )
            descriptor = open(file.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0o600)
        }
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        _ = line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
    }

    /// The metrics in the file, and how many lines could not be read; an absent file holds none.
    public func records() -> (records: [TelemetryRecord], skipped: Int) {
        guard let data = try? Data(contentsOf: file) else { return ([], 0) }
        var records: [TelemetryRecord] = []
        var skipped = 0
        let decoder = JSONDecoder()
        for line in data.split(separator: 0x0A) where !line.allSatisfy({ $0 == 0x20 || $0 == 0x0D }) {
            if let record = try? decoder.decode(TelemetryRecord.self, from: Data(line)) {
                records.append(record)
            } else {
                skipped += 1
            }
        }
        return (records, skipped)
    }
}
