import Foundation
import GitKit
import TollgateCore

/// The files of one batch in its worktree: `critique/batch-<id>/batch.json`, `summary.json`, `report.md`, and per
/// unit `units/<unit path>/` with `transcript.ndjson`, `summary.json` and `report.md`.
struct BatchStore {
    /// The worktree's root.
    var root: URL
    var batch: String

    var folder: URL { root.appendingPathComponent(BatchSettings.folder(batch), isDirectory: true) }

    /// The repository paths ``writeSummary(_:)`` writes.
    var summaryPaths: [String] { ["summary.json", "report.md"].map { BatchSettings.folder(batch) + "/" + $0 } }

    /// The repository paths ``writeSettings(_:)`` and ``writeSummary(_:)`` write.
    var recordPaths: [String] { [BatchSettings.folder(batch) + "/batch.json"] + summaryPaths }

    /// The repository paths ``writeUnit(_:)`` may write for `outcome` (those it did not write are gone), and the
    /// summary's.
    func unitPaths(_ outcome: BatchUnitCritic.Outcome) -> [String] {
        let folder = BatchSettings.folder(batch) + "/units/" + outcome.unit
        return ["transcript.ndjson", "summary.json", "report.md"].map { folder + "/" + $0 }
            + (outcome.revised == nil ? [] : [outcome.unit]) + summaryPaths
    }

    func writeSettings(_ settings: BatchSettings) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Workspace.writeAtomically(
            try CritiqueDocuments.encoded(settings),
            to: folder.appendingPathComponent("batch.json")
        )
    }

    /// Writes `summary.json` and `report.md`.
    func writeSummary(_ summary: BatchSummary) throws {
        try Workspace.writeAtomically(
            try CritiqueDocuments.encoded(summary),
            to: folder.appendingPathComponent("summary.json")
        )
        try Workspace.writeAtomically(Data(summary.report().utf8), to: folder.appendingPathComponent("report.md"))
    }

    /// Writes a finished unit's files (and its kept revision over the unit's file, when it has one).
    func writeUnit(_ outcome: BatchUnitCritic.Outcome) throws {
        let unitFolder = folder.appendingPathComponent("units", isDirectory: true)
            .appendingPathComponent(outcome.unit, isDirectory: true)
        try FileManager.default.createDirectory(at: unitFolder, withIntermediateDirectories: true)
        if let transcript = outcome.transcript {
            try Workspace.writeAtomically(
                Data(transcript.utf8),
                to: unitFolder.appendingPathComponent("transcript.ndjson")
            )
        }
        if let summary = outcome.summary {
            try Workspace.writeAtomically(
                try summary.encodedJSON(),
                to: unitFolder.appendingPathComponent("summary.json")
            )
        }
        try Workspace.writeAtomically(Data(outcome.report.utf8), to: unitFolder.appendingPathComponent("report.md"))
        if let revised = outcome.revised {
            try Workspace.writeAtomically(Data(revised.utf8), to: root.appendingPathComponent(outcome.unit))
        }
    }

    /// The settings and summary of batch `id` as committed on its branch.
    ///
    /// - Throws: `EngineError.usage` when there is no such batch or its records cannot be read.
    static func recorded(_ id: String, in repository: Repository) throws -> (
        settings: BatchSettings, summary: BatchSummary
    ) {
        guard BatchSettings.isValidID(id), let tip = try repository.branchTip(BatchSettings.branch(id)) else {
            throw EngineError.usage(
                "no batch \(id) in this repository (no branch \(BatchSettings.branch(id))): the id is the one a batch "
                    + "printed when it started"
            )
        }
        let folder = BatchSettings.folder(id)
        guard let settingsData = try repository.fileContents(folder + "/batch.json", at: tip),
            let summaryData = try repository.fileContents(folder + "/summary.json", at: tip)
        else {
            throw EngineError.usage(
                "the branch \(BatchSettings.branch(id)) holds no batch record (\(folder)/batch.json)"
            )
        }
        do {
            let settings = try JSONDecoder().decode(BatchSettings.self, from: settingsData)
            return (settings, try JSONDecoder().decode(BatchSummary.self, from: summaryData))
        } catch {
            throw EngineError.usage("the record of batch \(id) on its branch cannot be read: \(error)")
        }
    }
}
