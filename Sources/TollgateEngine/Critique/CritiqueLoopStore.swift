import Foundation
import TollgateCore

/// Where one artifact's critique loop keeps every finished step, so a loop killed at any point and started again
/// re-runs nothing that finished.
///
/// Layout, under the engine's private critique directory of the phase revision:
/// ```
/// <artifact-slug>/critique-<k>/   transcript.ndjson, summary.json, report.md, critic.log, step.json
///                                 (k = 0 for the first critique, then the iteration it judged)
/// <artifact-slug>/iteration-<n>.json   the loop's record of iteration n (RevisionLoopMachine.Iteration)
/// <artifact-slug>/gates-<n>.log        the output of iteration n's gates, each after a `$ command` line
/// <artifact-slug>/loop.json            the loop's summary, once it stopped
/// ```
/// `step.json` is written last, so a critique directory without it is an unfinished run and runs again.
struct CritiqueLoopStore {
    let directory: URL

    init(stateDirectory: URL, artifact: String) {
        directory = stateDirectory.appendingPathComponent(Self.slug(artifact), isDirectory: true)
    }

    /// A file-name-safe form of a workspace path: `docs/plan.md` → `docs-plan.md`.
    static func slug(_ path: String) -> String {
        String(path.map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "_" || $0 == "-" ? $0 : "-" })
    }

    func critiqueDirectory(_ index: Int) -> URL {
        directory.appendingPathComponent("critique-\(index)", isDirectory: true)
    }

    /// The finished critique `index`, if there is one.
    func step(_ index: Int) throws -> CritiqueStep? {
        try read(CritiqueStep.self, at: critiqueDirectory(index).appendingPathComponent("step.json"))
    }

    /// Stores a finished critique with its transcript and report; the step record goes last.
    func save(step: CritiqueStep, index: Int, transcript: String, report: String) throws {
        let folder = critiqueDirectory(index)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Workspace.writeAtomically(Data(transcript.utf8), to: folder.appendingPathComponent("transcript.ndjson"))
        try Workspace.writeAtomically(try step.summary.encodedJSON(), to: folder.appendingPathComponent("summary.json"))
        try Workspace.writeAtomically(Data(report.utf8), to: folder.appendingPathComponent("report.md"))
        try write(step, to: folder.appendingPathComponent("step.json"))
    }

    /// The loop's records, in iteration order.
    func iterations() throws -> [RevisionLoopMachine.Iteration] {
        var records: [RevisionLoopMachine.Iteration] = []
        var number = 1
        while let record = try read(RevisionLoopMachine.Iteration.self, at: iterationFile(number)) {
            records.append(record)
            number += 1
        }
        return records
    }

    func save(iteration record: RevisionLoopMachine.Iteration) throws {
        try write(record, to: iterationFile(record.iteration))
    }

    /// The loop's summary, once it stopped.
    func loopSummary() throws -> RevisionLoopSummary? {
        try read(RevisionLoopSummary.self, at: directory.appendingPathComponent("loop.json"))
    }

    func save(loop summary: RevisionLoopSummary) throws {
        try write(summary, to: directory.appendingPathComponent("loop.json"))
    }

    /// The log the gates of iteration `number` append their output to.
    func gatesLog(_ number: Int) -> URL { directory.appendingPathComponent("gates-\(number).log") }

    private func iterationFile(_ number: Int) -> URL { directory.appendingPathComponent("iteration-\(number).json") }

    private func read<T: Decodable>(_ type: T.Type, at url: URL) throws -> T? {
        guard let data = try? Data(contentsOf: url) else { return nil }
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw EngineError.corruptState(
                path: url.path,
                reason: "the critique loop's record cannot be read: \(error)"
            )
        }
    }

    private func write(_ value: some Encodable, to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Workspace.writeAtomically(try JSONCoding.encoder.encode(value), to: url)
    }
}
