import Foundation
import GitKit
import TollgateCore

/// The orphan branch `tollgate/state`: `job.json`, `events.ndjson` and the local host's `reviews.json`.
///
/// Every change is one commit whose parent is the previous state, and the ref moves by compare-and-swap, so two
/// processes cannot both advance a job: the loser gets ``EngineError/stateMoved`` and nothing of its change lands.
public final class StateStore {
    /// The full name of the state branch.
    public static let reference = "refs/heads/tollgate/state"
    /// The short name, as users type it.
    public static let branch = "tollgate/state"
    /// Where a `git clone` of a published job has the state (DESIGN §6: a clone can be inspected).
    public static let cloneReference = "refs/remotes/origin/tollgate/state"

    /// The reference the state is read from: the state branch, or in a clone the remote's copy (read only).
    var readReference = StateStore.reference

    let repository: Repository
    let signature: Signature
    private(set) var tip: OID?
    private(set) var files: [String: Data] = [:]
    private(set) var events: [RecordedEvent] = []
    /// The job and its configuration as last read or written.
    public private(set) var document: JobDocument?

    init(repository: Repository, signature: Signature) {
        self.repository = repository
        self.signature = signature
    }

    /// Whether the repository holds a job.
    static func exists(in repository: Repository) -> Bool {
        ((try? repository.resolve(reference: reference)) ?? nil) != nil
    }

    /// Whether the repository is a clone of a job: the remote's state is there, no local one.
    static func isClone(_ repository: Repository) -> Bool {
        !exists(in: repository) && ((try? repository.resolve(reference: cloneReference)) ?? nil) != nil
    }

    /// Reads the current state from the branch tip.
    func load() throws {
        let path = repository.workingDirectory?.path ?? repository.gitDirectory.path
        guard let tip = try repository.resolve(reference: readReference) else { throw EngineError.notAJob(path: path) }
        var files: [String: Data] = [:]
        for file in try repository.filePaths(at: tip) {
            if let data = try repository.fileContents(file, at: tip) { files[file] = data }
        }
        guard let job = files["job.json"] else {
            throw EngineError.stateDamaged(path: path, reason: Self.damage(at: tip, in: repository))
        }
        self.document = try JobDocument.decode(job, path: path)
        self.events = try Self.decodeEvents(files["events.ndjson"] ?? Data(), path: path)
        self.files = files
        self.tip = tip
    }

    /// Writes the first state commit: the branch must not exist yet.
    func create(_ document: JobDocument, events: [JobEvent], now: Date) throws {
        self.tip = nil
        self.files = [:]
        self.events = []
        try commit(document, events: events, extraFiles: [:], now: now)
    }

    /// Records a new state and its events as one commit on top of the one this store last saw.
    /// - Parameter extraFiles: other files of the branch to replace (the local host's reviews).
    func commit(_ document: JobDocument, events newEvents: [JobEvent], extraFiles: [String: Data] = [:], now: Date)
        throws
    {
        let stamp = Self.timestamp(now)
        var events = self.events
        var lines = files["events.ndjson"] ?? Data()
        for event in newEvents {
            let recorded = RecordedEvent(seq: (events.last?.seq ?? 0) + 1, at: stamp, event: event)
            events.append(recorded)
            lines.append(try JSONCoding.lineEncoder.encode(recorded))
            lines.append(0x0A)
        }
        var files = self.files
        files["job.json"] = try document.encoded()
        files["events.ndjson"] = lines
        for (name, data) in extraFiles { files[name] = data }
        let tree = try repository.writeTree(files)
        let message = Self.message(for: newEvents, job: document.job)
        let stampedSignature = Signature(name: signature.name, email: signature.email, date: now)
        let commit = try repository.commit(
            tree: tree,
            parents: tip.map { [$0] } ?? [],
            message: message,
            author: stampedSignature,
            committer: stampedSignature
        )
        FaultPoint.beforeStateUpdate.trip()
        do {
            try repository.updateReference(Self.reference, to: commit, expected: tip, message: "tollgate: \(message)")
        } catch {
            if error.isModified { throw EngineError.stateMoved }
            throw error
        }
        self.tip = commit
        self.files = files
        self.events = events
        self.document = document
    }

    /// A file of the state branch other than the job and the events.
    func file(_ name: String) -> Data? { files[name] }

    /// The evidence trail.
    public var recordedEvents: [RecordedEvent] { events }

    // MARK: - Helpers

    static func decodeEvents(_ data: Data, path: String) throws -> [RecordedEvent] {
        var events: [RecordedEvent] = []
        for line in data.split(separator: 0x0A) where !line.isEmpty {
            do {
                events.append(try JSONDecoder().decode(RecordedEvent.self, from: Data(line)))
            } catch {
                throw EngineError.corruptState(path: path, reason: "events.ndjson has a bad line: \(error)")
            }
        }
        return events
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    /// `git log tollgate/state` reads as the job's story: one line per transition.
    static func message(for events: [JobEvent], job: JobState) -> String {
        guard let first = events.first else { return "state: \(job.status.rawValue)" }
        var title = first.type
        if let phase = first.phase, first.type != "job.created" { title += " (phase \(phase))" }
        for key in ["branch", "summary", "cause", "by", "location", "commit", "description"] {
            if let value = first.data[key], !value.isEmpty {
                title += ": \(value)"
                break
            }
        }
        var body = events.dropFirst().map(\.type)
        body.append("status: \(job.status.rawValue), next: \(job.next?.description ?? "none")")
        return "\(title.prefix(100))\n\n\(body.joined(separator: "\n"))\n"
    }
}

@available(*, unavailable)
extension StateStore: Sendable {}
