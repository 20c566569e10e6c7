import Foundation
import GitKit
import TollgateCore

/// A job's workspace: the repository with its working tree, and the engine's private files in the git directory
/// (briefs, run results, logs, the lock), which never enter a commit.
public final class Workspace {
    public let root: URL
    let repository: Repository

    init(root: URL, repository: Repository) {
        self.root = root
        self.repository = repository
    }

    /// Opens the workspace at `path`; throws ``EngineError/notAJob(path:)`` when it is not a job.
    static func open(at root: URL) throws -> Workspace {
        guard Repository.isRepository(at: root) else { throw EngineError.notAJob(path: root.path) }
        let repository = try Repository.open(at: root)
        guard StateStore.exists(in: repository) else {
            throw EngineError.notAJob(path: root.path)
        }
        return Workspace(root: root, repository: repository)
    }

    /// `<git dir>/tollgate`, created on demand.
    var privateDirectory: URL { repository.gitDirectory.appendingPathComponent("tollgate", isDirectory: true) }

    var lockFile: URL { repository.gitDirectory.appendingPathComponent("tollgate.lock") }

    /// The running agent's process group and start time (`<git dir>/tollgate/agent-group`), there while it runs.
    var agentGroupRecord: URL { file("agent-group") }

    /// The folders the engine writes into the working tree, committed whatever `.gitignore` says.
    static let engineFolders = ["archive", "critique", "verify"]

    func runResult(_ run: Int) -> URL { file("runs/run-\(run).json") }
    func referenceSnapshot(_ run: Int) -> URL { file("runs/run-\(run).refs.json") }
    func outcome(_ run: Int) -> URL { file("runs/run-\(run).outcome.json") }
    func brief(_ run: Int) -> URL { file("briefs/run-\(run).md") }
    func feedback(_ run: Int) -> URL { file("briefs/run-\(run).feedback.json") }
    func log(_ run: Int) -> URL { file(Self.logName(run)) }
    /// Where run `run`'s log is, relative to ``privateDirectory``.
    static func logName(_ run: Int) -> String { "logs/run-\(run).log" }
    func critiqueState(phase: PhaseRef, revision: Int) -> URL {
        file("critique/phase-\(phase.number)-\(phase.type.rawValue)-\(phase.attempt)/rev-\(revision)/.keep")
            .deletingLastPathComponent()
    }

    private func file(_ relative: String) -> URL {
        let url = privateDirectory.appendingPathComponent(relative)
        try? FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(),
            withIntermediateDirectories: true
        )
        return url
    }

    /// Writes `data` so that a reader sees either the old file or the whole new one.
    static func writeAtomically(_ data: Data, to url: URL) throws {
        try data.write(to: url, options: .atomic)
    }
}

@available(*, unavailable)
extension Workspace: Sendable {}
