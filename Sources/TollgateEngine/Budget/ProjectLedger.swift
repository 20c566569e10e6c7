import Foundation
import TollgateCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What can go wrong with a project's ledger file; each names the file and what to do.
public enum LedgerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file is not a ledger this build can read: its spend is unknown, so no run may start against it.
    case corrupt(path: String, reason: String)
    case unsupportedVersion(path: String, found: Int)
    /// The file or its folder cannot be opened or written.
    case unavailable(path: String, reason: String)
    /// `budget.project` cannot name a file.
    case badProjectName(String)
    /// Neither `XDG_STATE_HOME` nor `HOME` says where the ledgers live.
    case noStateDirectory

    public var description: String {
        switch self {
        case .corrupt(let path, let reason):
            "the project's budget ledger \(path) cannot be read (\(reason)). It holds the day's spend of every job "
                + "of the project, so no run starts against it: restore it from a backup, or move it away to count "
                + "the day from zero (what it held is then forgotten)"
        case .unsupportedVersion(let path, let found):
            "the project's budget ledger \(path) has layout version \(found); this tollgate reads version "
                + "\(LedgerBook.currentVersion). Use the tollgate that wrote it, or move the file away"
        case .unavailable(let path, let reason):
            "the project's budget ledger \(path) cannot be used (\(reason)). Check the folder's permissions, or "
                + "set XDG_STATE_HOME to a folder tollgate may write"
        case .badProjectName(let problem):
            problem
        case .noStateDirectory:
            "neither XDG_STATE_HOME nor HOME is set, so there is no place for the project's budget ledger: set one"
        }
    }
}

/// A project's daily ledger on disk (DESIGN §11): `<state>/tollgate/projects/<project>.ndjson`, shared by the jobs
/// of the machine, each change made under an exclusive `flock` on `<project>.lock` beside it.
///
/// The file is a log of books, one compact JSON line each, the last one current: a change appends the new book,
/// so no file is created and nothing is renamed on the way (``LedgerLog``). A reservation is on the disk (`fdatasync`)
/// before the run it holds for may start, so a crash of the machine at any point keeps it; a charge, a settlement or
/// a release is appended without waiting for the disk: a crash that loses one leaves the run's reservation open, and
/// an open reservation whose run never reported counts as spent, which is what a crash of that run does anyway. A
/// line cut short by a crash is never the book: the one before it is, and the next change writes over the cut.
///
/// The day is the UTC day of `now` (``BudgetRules/utcDay(_:)``). Run keys must be unique on the machine: the
/// caller prefixes them with something that tells its job apart (``runKey(job:root:run:)``).
public struct ProjectLedger: Sendable {
    public let project: String
    /// The log, `<project>.ndjson`.
    public let file: URL
    /// The single-object `<project>.json` that tollgate wrote before the log; read while there is no log, and removed
    /// once the log holds its book.
    public let legacyFile: URL
    private let lockFile: URL

    /// The ledger of `project` in `directory` (``defaultDirectory(environment:)`` for the real one).
    /// - Throws: `LedgerError.badProjectName` when the name cannot name a file.
    public init(project: String, directory: URL) throws(LedgerError) {
        if let problem = LedgerBook.problem(withProjectName: project) { throw .badProjectName(problem) }
        self.project = project
        let folder = directory.appendingPathComponent("projects", isDirectory: true)
        self.file = folder.appendingPathComponent(project + ".ndjson")
        self.legacyFile = folder.appendingPathComponent(project + ".json")
        self.lockFile = folder.appendingPathComponent(project + ".lock")
    }

    /// `$XDG_STATE_HOME/tollgate`, or `~/.local/state/tollgate` when the variable is unset or not absolute (the
    /// XDG Base Directory specification ignores a relative value).
    public static func defaultDirectory(environment: [String: String]) throws(LedgerError) -> URL {
        if let state = environment["XDG_STATE_HOME"], state.hasPrefix("/") {
            return URL(fileURLWithPath: state, isDirectory: true).appendingPathComponent("tollgate", isDirectory: true)
        }
        guard let home = environment["HOME"], !home.isEmpty else { throw .noStateDirectory }
        return URL(fileURLWithPath: home, isDirectory: true)
            .appendingPathComponent(".local/state/tollgate", isDirectory: true)
    }

    /// A run key unique on the machine: the job's id, a digest of its folder (two jobs of one name elsewhere stay
    /// apart) and the run (`phase-1-strategic/run-3`).
    public static func runKey(job: String, root: URL, run: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a
        for byte in root.standardizedFileURL.path.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return "\(job)@\(String(hash, radix: 16))/\(run)"
    }

    /// Reserves `reservation` for run `key` against the project's daily hard caps, or says why it may not start.
    public func reserve(
        _ key: String,
        reservation: [BudgetUnit: Double],
        caps: BudgetCaps,
        now: Date = Date()
    ) throws(LedgerError) -> Result<BudgetAccount, BudgetRules.Refusal> {
        let day = BudgetRules.utcDay(now)
        return try update(now: now, durable: true) { book in
            let result = book.reserve(key, reservation: reservation, caps: caps, day: day)
            return (result, (try? result.get()) != nil)
        }
    }

    /// Charges run `key` what it reported (its reservation where it reported nothing of a capped unit).
    public func charge(
        _ key: String,
        usage: [BudgetUnit: Double],
        caps: BudgetCaps,
        now: Date = Date()
    ) throws(LedgerError) -> BudgetRules.Charge {
        let day = BudgetRules.utcDay(now)
        return try update(now: now, durable: false) { book in
            (book.charge(key, usage: usage, caps: caps, day: day), true)
        }
    }

    /// Charges run `key` like ``charge(_:usage:caps:now:)``, but only while its reservation is open.
    ///
    /// A run whose charge already landed (the process ended before it recorded that) is not charged twice. Nil when
    /// the reservation is not open.
    public func settle(
        _ key: String,
        usage: [BudgetUnit: Double],
        caps: BudgetCaps,
        now: Date = Date()
    ) throws(LedgerError) -> BudgetRules.Charge? {
        let day = BudgetRules.utcDay(now)
        return try update(now: now, durable: false) { book in
            guard book.isOpen(key) else { return (nil, false) }
            return (book.charge(key, usage: usage, caps: caps, day: day), true)
        }
    }

    /// Reserves like ``reserve(_:reservation:caps:now:)`` after counting as spent the open reservations of the
    /// job's other runs (keys starting with `prefix`, not in `live`): runs that never reported.
    public func reserve(
        _ key: String,
        reservation: [BudgetUnit: Double],
        caps: BudgetCaps,
        settlingAbandoned prefix: String,
        live: Set<String>,
        now: Date = Date()
    ) throws(LedgerError) -> Result<BudgetAccount, BudgetRules.Refusal> {
        let day = BudgetRules.utcDay(now)
        return try update(now: now, durable: true) { book in
            let settled = book.settleAbandoned(prefix: prefix, live: live.union([key]))
            let result = book.reserve(key, reservation: reservation, caps: caps, day: day)
            return (result, (try? result.get()) != nil || !settled.isEmpty)
        }
    }

    /// Gives back the reservation of run `key`, which did not start after all.
    public func release(_ key: String, now: Date = Date()) throws(LedgerError) {
        try update(now: now, durable: false) { book in ((), book.release(key)) }
    }

    /// The account of the UTC day of `now`: spend and open reservations.
    public func account(now: Date = Date()) throws(LedgerError) -> BudgetAccount {
        let lock = try Lock(lockFile, shared: true)
        defer { lock.unlock() }
        return try read().account(on: BudgetRules.utcDay(now))
    }

    // MARK: - Private

    /// Runs `change` on the book under the exclusive lock, and appends the book when it says it changed something,
    /// waiting for the disk when `durable`.
    private func update<T>(
        now: Date,
        durable: Bool,
        _ change: (inout LedgerBook) -> (T, Bool)
    ) throws(LedgerError) -> T {
        let lock = try Lock(lockFile, shared: false)
        defer { lock.unlock() }
        let log = try LedgerLog(file: file, legacyFile: legacyFile, forWriting: true)
        defer { log.close() }
        var book = log.book
        let (result, changed) = change(&book)
        if changed {
            book.forget(before: BudgetRules.utcDay(now.addingTimeInterval(-Double(LedgerBook.keptDays) * 86_400)))
            try log.append(book, durable: durable)
        }
        return result
    }

    private func read() throws(LedgerError) -> LedgerBook {
        let log = try LedgerLog(file: file, legacyFile: legacyFile, forWriting: false)
        defer { log.close() }
        return log.book
    }

    /// A `flock` on the ledger's lock file, waited for: other jobs hold it only for a read and a write.
    private struct Lock {
        let descriptor: Int32

        init(_ url: URL, shared: Bool) throws(LedgerError) {
            var descriptor = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            if descriptor < 0, errno == ENOENT {
                // The first ledger of the machine: make its folder (private: it says what the projects spend).
                do {
                    try FileManager.default.createDirectory(
                        at: url.deletingLastPathComponent(),
                        withIntermediateDirectories: true,
                        attributes: [.posixPermissions: 0o700]
                    )
                } catch {
                    throw .unavailable(path: url.deletingLastPathComponent().path, reason: error.localizedDescription)
                }
                descriptor = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            }
            guard descriptor >= 0 else {
                throw .unavailable(path: url.path, reason: String(cString: strerror(errno)))
            }
            while flock(descriptor, shared ? LOCK_SH : LOCK_EX) != 0 {
                guard errno == EINTR else {
                    let reason = String(cString: strerror(errno))
                    close(descriptor)
                    throw .unavailable(path: url.path, reason: "cannot lock it: \(reason)")
                }
            }
            self.descriptor = descriptor
        }

        func unlock() {
            flock(descriptor, LOCK_UN)
            close(descriptor)
        }
    }
}
