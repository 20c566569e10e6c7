import Foundation
import TollgateCore
import TollgateEngine

/// `tollgate stats DIR|ROOT [--json]` (DESIGN §11): the figures of a job's local telemetry, or of every job in a
/// folder of jobs.
enum StatsCommand {
    struct Report: Encodable {
        var jobs: Int
        var skipped: Int
        var metrics: [TelemetryStats.Summary]
    }

    static func run(directory: URL, json: Bool, output: Output) throws -> ExitCode {
        let workspaces = try self.workspaces(at: directory)
        var records: [TelemetryRecord] = []
        var skipped = 0
        for workspace in workspaces {
            let read = TelemetryLog(workspace: workspace).records()
            records += read.records
            skipped += read.skipped
        }
        let summaries = TelemetryStats.summaries(of: records)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let report = Report(jobs: workspaces.count, skipped: skipped, metrics: summaries)
            output.out(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            output.out(TelemetryStats.rendered(summaries, skipped: skipped))
        }
        return .success
    }

    /// The job at `directory`, or the jobs in it (a jobs root: its folders that are git repositories).
    static func workspaces(at directory: URL) throws -> [URL] {
        let manager = FileManager.default
        if manager.fileExists(atPath: directory.appendingPathComponent(".git").path) { return [directory] }
        let entries =
            (try? manager.contentsOfDirectory(
                at: directory,
                includingPropertiesForKeys: [.isDirectoryKey],
                options: [.skipsHiddenFiles]
            )) ?? []
        let jobs = entries.filter { manager.fileExists(atPath: $0.appendingPathComponent(".git").path) }
        guard !jobs.isEmpty else { throw EngineError.notAJob(path: directory.path) }
        return jobs.sorted { $0.lastPathComponent < $1.lastPathComponent }
    }
}
