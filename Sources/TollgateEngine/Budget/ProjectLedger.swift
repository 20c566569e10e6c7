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

/// A project's daily ledger on disk (DESIGN §11): `<state>/tollgate/projects/<project>.json`, shared by the jobs
/// of the machine, each change made under an exclusive `flock` on `<project>.lock` beside it and written whole to
/// a temporary file renamed over the old one, so a crash at any point leaves the old book or the new one, and a
/// reservation whose run never reported stays in the book, held against the caps like spend.
///
/// The day is the UTC day of `now` (``BudgetRules/utcDay(_:)``). Run keys must be unique on the machine: the
/// caller prefixes them with something that tells its job apart (``runKey(job:root:run:)``).
public struct ProjectLedger: Sendable {
    public let project: String
    public let file: URL
    private let lockFile: URL

    /// The ledger of `project` in `directory` (``defaultDirectory(environment:)`` for the real one).
    /// - Throws: `LedgerError.badProjectName` when the name cannot name a file.
    public init(project: String, directory: URL) throws(LedgerError) {
        if let problem = LedgerBook.problem(withProjectName: project) { throw .badProjectName(problem) }
        self.project = project
        let folder = directory.appendingPathComponent("projects", isDirectory: true)
        self.file = folder.appendingPathComponent(project + ".json")
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
        return try update(now: now) { book in
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
        return try update(now: now) { book in (book.charge(key, usage: usage, caps: caps, day: day), true) }
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
        return try update(now: now) { book in
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
        return try update(now: now) { book in
            let settled = book.settleAbandoned(prefix: prefix, live: live.union([key]))
            let result = book.reserve(key, reservation: reservation, caps: caps, day: day)
            return (result, (try? result.get()) != nil || !settled.isEmpty)
        }
    }

    /// Gives back the reservation of run `key`, which did not start after all.
    public func release(_ key: String, now: Date = Date()) throws(LedgerError) {
        try update(now: now) { book in ((), book.release(key)) }
    }

    /// The account of the UTC day of `now`: spend and open reservations.
    public func account(now: Date = Date()) throws(LedgerError) -> BudgetAccount {
        let lock = try Lock(lockFile, shared: true)
        defer { lock.unlock() }
        return try read().account(on: BudgetRules.utcDay(now))
    }

    // MARK: - Private

    /// Runs `change` on the book under the exclusive lock, and writes the book when it says it changed something.
    private func update<T>(now: Date, _ change: (inout LedgerBook) -> (T, Bool)) throws(LedgerError) -> T {
        let lock = try Lock(lockFile, shared: false)
        defer { lock.unlock() }
        var book = try read()
        let (result, changed) = change(&book)
        if changed {
            book.forget(before: BudgetRules.utcDay(now.addingTimeInterval(-Double(LedgerBook.keptDays) * 86_400)))
            try write(book)
        }
        return result
    }

    private func read() throws(LedgerError) -> LedgerBook {
        let data: Data
        do {
            data = try Data(contentsOf: file)
        } catch {
            if !FileManager.default.fileExists(atPath: file.path) { return LedgerBook() }
            throw .unavailable(path: file.path, reason: "\(error.localizedDescription)")
        }
        struct Probe: Decodable { var version: Int }
        guard let probe = try? JSONDecoder().decode(Probe.self, from: data) else {
            throw .corrupt(path: file.path, reason: "not a JSON object with a version")
        }
        guard probe.version == LedgerBook.currentVersion else {
            throw .unsupportedVersion(path: file.path, found: probe.version)
        }
        do {
            return try JSONDecoder().decode(LedgerBook.self, from: data)
        } catch {
            throw .corrupt(path: file.path, reason: DecodingProblem.sentence(error))
        }
    }

    private func write(_ book: LedgerBook) throws(LedgerError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let temporary = file.deletingLastPathComponent().appendingPathComponent(".\(project).json.\(getpid())")
        do {
            let data = try encoder.encode(book)
            let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            defer { close(descriptor) }
            let written = data.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            guard written == data.count, fsync(descriptor) == 0 else {
                throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            }
            guard rename(temporary.path, file.path) == 0 else {
                throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw .unavailable(path: file.path, reason: "cannot write it: \(error.localizedDescription)")
        }
    }

    /// A `flock` on the ledger's lock file, waited for: other jobs hold it only for a read and a write.
    private struct Lock {
        let descriptor: Int32

        init(_ url: URL, shared: Bool) throws(LedgerError) {
            do {
                try FileManager.default.createDirectory(
                    at: url.deletingLastPathComponent(),
                    withIntermediateDirectories: true,
                    attributes: [.posixPermissions: 0o700]
                )
            } catch {
                throw .unavailable(path: url.deletingLastPathComponent().path, reason: error.localizedDescription)
            }
            let descriptor = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
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
