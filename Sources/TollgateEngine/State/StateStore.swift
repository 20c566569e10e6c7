import Foundation
import GitKit
import TollgateCore

/// The orphan branch `tollgate/state`: `job.json` (the job's state), `config.json` (its resolved configuration),
/// merged phases ten to a file in `merged/`, the local host's `reviews.json`, and the events, each carried by the
/// message of the state commit that recorded it.
///
/// Every state commit's parent is the previous state, and the ref moves by compare-and-swap, so two processes cannot
/// both advance a job: the loser gets ``EngineError/stateMoved`` and nothing of its change lands.
///
/// A state commit writes O(1) new bytes: the new `job.json`, a root tree of at most four entries, and a commit whose
/// message ends with one `Tollgate-Event: {json}` trailer per new event (`config.json` only when the configuration
/// changed). Nothing rewrites the trail, and merged phases move out of `job.json` ten at a time into
/// `merged/00001-00010.json`, … (written once, never again), so `job.json` stays small and the 300th phase costs
/// what the 3rd did. Reading the job (``load()``) reads the tip only; the whole trail (``trail()``, for
/// `tollgate log`) is the first-parent history, which a clone has (``cloneReference``). `git log tollgate/state`
/// reads as the story. See `docs/state.md`.
///
/// A transition is either committed at once (``commit(_:events:extraFiles:now:)``) or kept in memory
/// (``record(_:events:now:)``) when the engine can do its step again from the last state commit; what is kept
/// rides with the next commit, whoever makes it (the local review host too), or with ``flush(now:)``.
///
/// Layout 1 (``JobDocument`` version 1) kept every event in `events.ndjson`, rewritten whole by each transition;
/// layout 2 kept the configuration inside `job.json`. Both are still read: the next state commit writes layout 3
/// (migrating the job), and the trail of a job migrated from layout 1 is the `events.ndjson` of its last layout-1
/// commit followed by the events of the commits after it.
public final class StateStore {
    /// The full name of the state branch.
    public static let reference = "refs/heads/tollgate/state"
    /// The short name, as users type it.
    public static let branch = "tollgate/state"
    /// The trailer that carries one event in a state commit's message.
    static let eventTrailer = "Tollgate-Event: "
    /// Layout 1's file of every event.
    static let legacyEventsFile = "events.ndjson"
    /// The folder of merged phases moved out of `job.json`.
    static let mergedFolder = "merged/"
    /// Merged phases per file of ``mergedFolder``: also how many at most stay in `job.json`.
    static let mergedPerFile = 10
    /// The file of the resolved configuration (layout 3).
    static let configFile = "config.json"

    let repository: Repository
    let signature: Signature
    private(set) var tip: OID?
    /// The tip's files (never `events.ndjson`, which the next commit leaves out).
    private(set) var files: [String: Data] = [:]
    /// The job and its configuration as last recorded: committed, or kept in memory with ``pending``.
    public private(set) var document: JobDocument?
    /// Events recorded but not committed yet, oldest first: the next state commit carries them before its own.
    private(set) var pending: [RecordedEvent] = []
    /// The configuration `config.json` holds at the tip; nil when the tip has none (layouts 1 and 2).
    private var configOnBranch: ResolvedConfig?
    /// The blob id of each of ``files``: a state commit writes only the files that changed.
    private var blobs: [String: OID] = [:]
    /// How many merged phases the tip's `merged/` files hold: a commit writes only the files after them.
    private var mergedOnBranch = 0
    /// The `merged/` folder's tree as last written, with its number of files (written once, never changed).
    private var mergedTree: (count: Int, id: OID)?
    /// What of ``pending`` is journaled (``recordJournaled(_:events:now:)``), as the journal file holds it.
    private var journal: Journal?

    init(repository: Repository, signature: Signature) {
        self.repository = repository
        self.signature = signature
    }

    /// Where a clone of a workspace has the job: `origin`'s branch, read (never written) when there is no local one.
    static let cloneReference = "refs/remotes/origin/tollgate/state"

    /// Whether the repository holds a job, on its own state branch or, in a clone, on `origin`'s.
    static func exists(in repository: Repository) -> Bool {
        [reference, cloneReference].contains { ((try? repository.resolve(reference: $0)) ?? nil) != nil }
    }

    /// The job was read from `origin/tollgate/state` (a clone): it can be shown, not advanced.
    private(set) var isClone = false

    /// Whether the repository is a clone of a job: `origin`'s state is there, no local one.
    static func isClone(_ repository: Repository) -> Bool {
        ((try? repository.resolve(reference: reference)) ?? nil) == nil
            && ((try? repository.resolve(reference: cloneReference)) ?? nil) != nil
    }

    /// Reads the current state from the branch tip: its files, never its history.
    func load() throws {
        var tip = try repository.resolve(reference: Self.reference)
        isClone = false
        if tip == nil, let cloned = try repository.resolve(reference: Self.cloneReference) {
            tip = cloned
            isClone = true
        }
        guard let tip else { throw EngineError.notAJob(path: path) }
        var files: [String: Data] = [:]
        for file in try repository.filePaths(at: tip) where file != Self.legacyEventsFile {
            if let data = try repository.fileContents(file, at: tip) { files[file] = data }
        }
        guard let job = files["job.json"] else {
            throw EngineError.stateDamaged(path: path, reason: Self.damage(at: tip, in: repository))
        }
        var document = try JobDocument.decode(job, config: files[Self.configFile], path: path)
        document.job.merged =
            try Self.mergedInFiles(files, count: document.mergedInFiles, path: path)
            + document.job.merged
        if document.version == 1 {
            // Layout 1 counts its events by its events.ndjson, read this once: the next commit migrates the job.
            let legacy = try repository.fileContents(Self.legacyEventsFile, at: tip) ?? Data()
            document.eventCount = try Self.decodeEvents(legacy, path: path).last?.seq ?? 0
        }
        self.document = document
        self.files = files
        self.tip = tip
        self.pending = []
        self.journal = nil
        self.configOnBranch = files[Self.configFile] == nil ? nil : document.config
        self.blobs = try files.mapValues { try Repository.blobID(of: $0) }
        self.mergedOnBranch = document.mergedInFiles
        self.mergedTree = nil
        if !isClone { adoptJournal() }
    }

    /// Writes the first state commit: the branch must not exist yet.
    func create(_ document: JobDocument, events: [JobEvent], now: Date) throws {
        self.tip = nil
        self.files = [:]
        self.document = nil
        self.pending = []
        self.configOnBranch = nil
        self.blobs = [:]
        self.mergedOnBranch = 0
        try commit(document, events: events, extraFiles: [:], now: now)
    }

    /// Records a new state and its events in memory only: the next state commit carries them (``flush(now:)`` or
    /// any ``commit(_:events:extraFiles:now:)``).
    ///
    /// For a transition whose step the engine can do again, finding its
    /// own effect, if the process ends before that commit.
    func record(_ document: JobDocument, events newEvents: [JobEvent], now: Date) throws {
        try refuseOnAClone()
        var stored = document
        pending += sequenced(newEvents, in: &stored, now: now)
        self.document = stored
    }

    /// Records like ``record(_:events:now:)``, and journals the transition in `.git/tollgate/uncommitted.json`
    /// until a state commit carries it: for a transition a crash must not lose although its step is not done again
    /// the same way (a budget reservation: DESIGN §11 counts the reservation of a run that never reported as spent).
    ///
    /// The journal names the state commit it was made on. The next ``load()`` of any process (a rerun, `status`,
    /// `config --set`) keeps its transitions again while that commit is still the tip; once a commit moved the tip,
    /// it carried them (a commit clears the journal, and a process that loads first adopts it), so they are never
    /// counted twice. The file is rewritten in place, without `fsync`: one small `write` that a killed process does
    /// not cut, and no new file a run.
    func recordJournaled(_ document: JobDocument, events newEvents: [JobEvent], now: Date) throws {
        try record(document, events: newEvents, now: now)
        var kept = journal ?? Journal(base: tip?.hex, budget: nil, events: [])
        kept.budget = self.document?.job.budget
        kept.events += pending.suffix(newEvents.count)
        try kept.write(to: journalFile)
        journal = kept
    }

    /// Transitions recorded in memory that a crash must not lose, with the state commit they were made on.
    public struct Journal: Codable, Equatable, Sendable {
        /// The state tip the transitions were recorded on.
        public var base: String?
        /// The job's budget after them.
        public var budget: JobBudget?
        /// Their events, as recorded (numbered again when adopted).
        public var events: [RecordedEvent]

        public init(base: String?, budget: JobBudget?, events: [RecordedEvent]) {
            self.base = base
            self.budget = budget
            self.events = events
        }

        /// Writes the journal over `file`, in place.
        /// - Throws: ``EngineError/stateDamaged(path:reason:)`` when it cannot be written whole.
        public func write(to file: URL) throws {
            guard StateStore.overwrite(file, with: try JSONCoding.lineEncoder.encode(self)) else {
                throw EngineError.stateDamaged(
                    path: file.path,
                    reason: "cannot write it (\(String(cString: strerror(errno)))); it keeps a budget reservation "
                        + "until the next state commit: check the folder's permissions and free space"
                )
            }
        }
    }

    /// `.git/tollgate/uncommitted.json`.
    var journalFile: URL {
        repository.gitDirectory.appendingPathComponent("tollgate/uncommitted.json", isDirectory: false)
    }

    /// Keeps the journal's transitions again when they were made on the tip just loaded: a process recorded them and
    /// ended before any state commit.
    private func adoptJournal() {
        guard let data = try? Data(contentsOf: journalFile), data.contains(where: { $0 != 0x20 }),
            let kept = try? JSONDecoder().decode(Journal.self, from: data), kept.base == tip?.hex,
            var document
        else { return }
        document.job.budget = kept.budget
        var seq = document.eventCount
        pending = kept.events.map { event in
            seq += 1
            var renumbered = event
            renumbered.seq = seq
            return renumbered
        }
        document.eventCount = seq
        self.document = document
        journal = kept
    }

    /// Replaces `file`'s contents in place (created, with its folder, when missing), without `fsync`; false when
    /// it could not be written whole.
    ///
    /// Written over the old contents from the start, padded with spaces to the old length (JSON readers skip them):
    /// no truncation, which on ext4 makes the close wait for the data to reach the disk, and no moment at which the
    /// file holds a shorter, unreadable mix. Empty `data` leaves only spaces: no journal.
    @discardableResult
    static func overwrite(_ file: URL, with data: Data) -> Bool {
        // Written over, not emptied first (see above), and never through a link an agent left there.
        var descriptor = openOwnRegularFile(file.path, emptied: false)
        if descriptor < 0 && errno == ENOENT {
            try? FileManager.default.createDirectory(
                at: file.deletingLastPathComponent(),
                withIntermediateDirectories: true
            )
            descriptor = openOwnRegularFile(file.path, emptied: false)
        }
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return false }
        var bytes = data
        if Int(info.st_size) > bytes.count {
            bytes.append(Data(repeating: 0x20, count: Int(info.st_size) - bytes.count))
        }
        let written = bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        return written == bytes.count
    }

    /// Commits what ``record(_:events:now:)`` kept in memory, if anything.
    func flush(now: Date) throws {
        guard !pending.isEmpty, let document else { return }
        try commit(document, events: [], now: now)
    }

    /// Records a new state and its events as one commit on top of the one this store last saw, after the events
    /// kept in memory (``pending``).
    /// - Parameter extraFiles: other files of the branch to replace (the local host's reviews).
    func commit(_ document: JobDocument, events newEvents: [JobEvent], extraFiles: [String: Data] = [:], now: Date)
        throws
    {
        try refuseOnAClone()
        var stored = document
        let recorded = pending + sequenced(newEvents, in: &stored, now: now)
        var onBranch = stored
        let merged = stored.job.merged
        onBranch.mergedInFiles = merged.count - merged.count % Self.mergedPerFile
        onBranch.job.merged = Array(merged[onBranch.mergedInFiles...])
        stored.mergedInFiles = onBranch.mergedInFiles
        // Only the files this commit writes are encoded and compared: the others keep their blobs.
        var changed: [String: Data] = [:]
        for start in stride(from: mergedOnBranch, to: onBranch.mergedInFiles, by: Self.mergedPerFile) {
            let name = Self.mergedFile(from: start + 1, to: start + Self.mergedPerFile)
            if files[name] == nil {
                changed[name] = try Self.lines(
                    JSONCoding.encoder.encode(Array(merged[start..<start + Self.mergedPerFile]))
                )
            }
        }
        changed["job.json"] = try onBranch.encodedJobFile()
        if configOnBranch != stored.config || files[Self.configFile] == nil {
            changed[Self.configFile] = try stored.encodedConfig()
        }
        for (name, data) in extraFiles { changed[name] = data }
        var files = self.files
        var blobs = self.blobs
        for (name, data) in changed where self.blobs[name] == nil || self.files[name] != data {
            files[name] = data
            blobs[name] = try repository.writeBlob(data)
        }
        let tree = try writeStateTree(blobs)
        let message = try Self.message(for: recorded, job: stored.job)
        let stampedSignature = Signature(name: signature.name, email: signature.email, date: now)
        let commit = try repository.commit(
            tree: tree,
            parents: tip.map { [$0] } ?? [],
            message: message,
            author: stampedSignature,
            committer: stampedSignature
        )
        try FaultPoint.beforeStateUpdate.trip()
        do {
            let title = message.prefix { !$0.isNewline }
            try repository.updateReference(Self.reference, to: commit, expected: tip, message: "tollgate: \(title)")
        } catch {
            if error.isModified { throw EngineError.stateMoved }
            throw error
        }
        self.tip = commit
        self.files = files
        self.document = stored
        self.pending = []
        self.configOnBranch = stored.config
        self.blobs = blobs
        self.mergedOnBranch = stored.mergedInFiles
        if journal != nil {
            // Committed: the journal's transitions are in the state now.
            journal = nil
            Self.overwrite(journalFile, with: Data())
        }
    }

    /// The tree of `blobs`, with `merged/` written again only when a file joined it (it changes every ten phases).
    private func writeStateTree(_ blobs: [String: OID]) throws -> OID {
        let merged = blobs.filter { $0.key.hasPrefix(Self.mergedFolder) }
        guard !merged.isEmpty else { return try repository.writeTree(blobs: blobs) }
        let folder: OID
        if let known = mergedTree, known.count == merged.count {
            folder = known.id
        } else {
            folder = try repository.writeTree(
                blobs: Dictionary(
                    uniqueKeysWithValues: merged.map { (String($0.key.dropFirst(Self.mergedFolder.count)), $0.value) }
                )
            )
            mergedTree = (merged.count, folder)
        }
        return try repository.writeTree(
            blobs: blobs.filter { !$0.key.hasPrefix(Self.mergedFolder) },
            trees: [String(Self.mergedFolder.dropLast()): folder]
        )
    }

    /// Numbers `events` after the last one recorded and stamps them with `now`; `document` gets the new count and
    /// this build's version.
    private func sequenced(_ events: [JobEvent], in document: inout JobDocument, now: Date) -> [RecordedEvent] {
        document.version = JobDocument.currentVersion
        var seq = self.document?.eventCount ?? 0
        guard !events.isEmpty else {
            document.eventCount = seq
            return []
        }
        let stamp = Self.timestamp(now)
        let recorded = events.map { event in
            seq += 1
            return RecordedEvent(seq: seq, at: stamp, event: event)
        }
        document.eventCount = seq
        return recorded
    }

    /// Refuses to advance a job read from `origin/tollgate/state`.
    private func refuseOnAClone() throws {
        guard isClone else { return }
        throw EngineError.usage(
            "\(path) has the job only as origin/\(Self.branch) (a clone): status and log read it; to work on "
                + "the job here, run `git branch \(Self.branch) origin/\(Self.branch)` first"
        )
    }

    // MARK: - The trail

    /// The whole evidence trail, oldest first: every state commit's events, read from the history.
    ///
    /// Only `tollgate log` asks for it; everything else reads the tip (``load()``) or the last few commits
    /// (``lastEvent(where:)``).
    public func trail() throws -> [RecordedEvent] {
        var newestFirst: [[RecordedEvent]] = []
        try walkBack { events in
            newestFirst.append(events)
            return true
        }
        return newestFirst.reversed().flatMap { $0 }
    }

    /// The latest event that satisfies `predicate`, found by reading back from the tip only as far as it is.
    public func lastEvent(where predicate: (RecordedEvent) -> Bool) throws -> RecordedEvent? {
        var found: RecordedEvent?
        try walkBack { events in
            found = events.last(where: predicate)
            return found == nil
        }
        return found
    }

    /// Calls `body` with each state commit's events, newest commit first, while it returns true; a layout-1 commit
    /// gives its whole `events.ndjson` and ends the walk.
    private func walkBack(_ body: ([RecordedEvent]) throws -> Bool) throws {
        var next = tip
        while let oid = next {
            let commit = try repository.commitInfo(oid)
            let events = try Self.events(inMessage: commit.message, path: path)
            if events.isEmpty, let legacy = try repository.fileContents(Self.legacyEventsFile, at: oid) {
                _ = try body(try Self.decodeEvents(legacy, path: path))
                return
            }
            guard try body(events) else { return }
            next = commit.parents.first
        }
    }

    /// A file of the state branch other than the job and the events.
    func file(_ name: String) -> Data? { files[name] }

    // MARK: - Helpers

    /// The file of merged phases `first` through `last` (numbered from 1 in merge order).
    static func mergedFile(from first: Int, to last: Int) -> String {
        func padded(_ number: Int) -> String {
            let digits = String(number)
            return String(repeating: "0", count: max(5 - digits.count, 0)) + digits
        }
        return mergedFolder + padded(first) + "-" + padded(last) + ".json"
    }

    /// The first `count` merged phases, read from the files of ``mergedFolder`` in order.
    static func mergedInFiles(_ files: [String: Data], count: Int, path: String) throws -> [MergedPhase] {
        var merged: [MergedPhase] = []
        for name in files.keys.sorted() where name.hasPrefix(mergedFolder) {
            guard let data = files[name] else { continue }
            do {
                merged += try JSONDecoder().decode([MergedPhase].self, from: data)
            } catch {
                throw EngineError.corruptState(path: path, reason: "\(name) does not decode: \(error)")
            }
        }
        guard merged.count == count else {
            throw EngineError.corruptState(
                path: path,
                reason: "job.json counts \(count) merged phases in \(mergedFolder), the files hold \(merged.count)"
            )
        }
        return merged
    }

    /// `data` with a final newline.
    static func lines(_ data: Data) -> Data {
        var data = data
        data.append(0x0A)
        return data
    }

    static func decodeEvents(_ data: Data, path: String) throws -> [RecordedEvent] {
        var events: [RecordedEvent] = []
        for line in data.split(separator: 0x0A) where !line.isEmpty {
            do {
                events.append(try JSONDecoder().decode(RecordedEvent.self, from: Data(line)))
            } catch {
                throw EngineError.corruptState(path: path, reason: "\(legacyEventsFile) has a bad line: \(error)")
            }
        }
        return events
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(timestampStyle)
    }

    /// ISO 8601 in UTC with milliseconds, as `2026-12-03T06:21:07.412Z`.
    ///
    /// A format style, not an
    /// `ISO8601DateFormatter`: making one of those per event cost more than the rest of a state commit.
    private static let timestampStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    /// `git log tollgate/state` reads as the job's story: a title naming the commit's last event (where the job now
    /// stands), the earlier events' types and the job's status and next step, then one trailer per event with the
    /// event itself, one JSON line each.
    ///
    /// Title and body are folded onto single lines, so the trailers are always the message's last paragraph and
    /// nothing an agent or a reviewer wrote can pass for one.
    static func message(for events: [RecordedEvent], job: JobState) throws -> String {
        var title = "state: \(job.status.rawValue)"
        if let last = events.last {
            title = last.type.rawValue
            if let phase = last.phase, last.type != .jobCreated { title += " (phase \(phase))" }
            for key in ["branch", "summary", "cause", "by", "location", "commit", "description"] {
                if let value = last.data[key], !value.isEmpty {
                    title += ": \(value)"
                    break
                }
            }
        }
        var body = events.dropLast().map(\.type.rawValue)
        body.append("status: \(job.status.rawValue), next: \(job.next?.description ?? "none")")
        var message = "\(oneLine(String(title.prefix(100))))\n\n\(body.map(oneLine).joined(separator: "\n"))\n"
        if !events.isEmpty { message += "\n" }
        for event in events {
            message += eventTrailer + String(decoding: try JSONCoding.lineEncoder.encode(event), as: UTF8.self) + "\n"
        }
        return message
    }

    /// The events a state commit's message carries: its last paragraph's `Tollgate-Event` trailers.
    static func events(inMessage message: String, path: String) throws -> [RecordedEvent] {
        let lines = message.split(separator: "\n", omittingEmptySubsequences: false)
        var end = lines.endIndex
        while end > lines.startIndex, lines[end - 1].isEmpty { end -= 1 }
        var start = end
        while start > lines.startIndex, !lines[start - 1].isEmpty { start -= 1 }
        var events: [RecordedEvent] = []
        for line in lines[start..<end] where line.hasPrefix(eventTrailer) {
            do {
                events.append(
                    try JSONDecoder().decode(RecordedEvent.self, from: Data(line.dropFirst(eventTrailer.count).utf8))
                )
            } catch {
                throw EngineError.corruptState(path: path, reason: "a state commit has a bad event trailer: \(error)")
            }
        }
        return events
    }

    /// `text` with every line break as a space.
    static func oneLine(_ text: String) -> String {
        String(text.map { $0.isNewline ? " " : $0 })
    }

    /// The workspace, for messages.
    private var path: String { repository.workingDirectory?.path ?? repository.gitDirectory.path }
}

@available(*, unavailable)
extension StateStore: Sendable {}
