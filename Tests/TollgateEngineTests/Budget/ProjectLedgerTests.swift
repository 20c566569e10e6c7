import Foundation
import Testing
import TollgateCore
import TollgateEngine
import TollgateTestSupport

/// The project ledger on disk (DESIGN §11): shared through a file under `flock`, parallel reservations never
/// passing a cap, spend surviving a process that died between reserve and charge, and a damaged file refused.
@Suite(.runsProcesses)
struct ProjectLedgerTests {
    let directory: TemporaryDirectory
    let caps = BudgetCaps(hard: [.tokens: 1_000])
    let now = Date(timeIntervalSince1970: 1_796_300_000)  // 2026-12-03 UTC

    init() throws { directory = try TemporaryDirectory("ledger") }

    func ledger(_ project: String = "docs") throws -> ProjectLedger {
        try ProjectLedger(project: project, directory: directory.url)
    }

    @Test func parallelReservationsNeverPassTheCap() async throws {
        // 16 workers, each with its own ledger value and so its own open file (flock excludes those within one
        // process as between processes), race for 1,000 tokens in reservations of 100.
        let workers = 16
        let admitted = Counter()
        let failures = Counter()
        let directory = directory.url
        let caps = caps
        let now = now
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            guard let ledger = try? ProjectLedger(project: "docs", directory: directory) else {
                failures.add()
                return
            }
            for run in 0..<5 {
                switch try? ledger.reserve(
                    "job-\(worker)/run-\(run)",
                    reservation: [.tokens: 100],
                    caps: caps,
                    now: now
                )
                {
                case .success: admitted.add()
                case .failure: break
                case nil: failures.add()
                }
            }
        }
        #expect(failures.value == 0)
        #expect(admitted.value == 10)
        let account = try ledger().account(now: now)
        #expect(account.reservedTotal[.tokens] == 1_000)
        #expect(account.reserved.count == 10)
    }

    @Test func aReservationLeftByARunThatNeverReportedIsSpent() async throws {
        // The first process reserved and died: nothing of it is in memory, everything of it is on disk.
        _ = try ledger().reserve("job/run-1", reservation: [.tokens: 600], caps: caps, now: now).get()

        let later = try ledger()
        let other = try later.reserve("other/run-1", reservation: [.tokens: 600], caps: caps, now: now)
        #expect(other == .failure(.overHardCap(unit: .tokens, cap: 1_000, spent: 0, reserved: 600, reservation: 600)))
        // The run starts again under its key: its first reservation becomes spend, and the cap still holds.
        let again = try later.reserve("job/run-1", reservation: [.tokens: 300], caps: caps, now: now).get()
        #expect(again.spent[.tokens] == 600)
        let charge = try later.charge("job/run-1", usage: [.tokens: 250], caps: caps, now: now)
        #expect(charge.account.spent[.tokens] == 850)
        #expect(try later.account(now: now).spent[.tokens] == 850)
    }

    @Test func aReleaseGivesTheRoomBack() async throws {
        let ledger = try ledger()
        _ = try ledger.reserve("job/run-1", reservation: [.tokens: 900], caps: caps, now: now).get()
        try ledger.release("job/run-1", now: now)
        #expect(try ledger.account(now: now) == BudgetAccount())
        _ = try ledger.reserve("job/run-2", reservation: [.tokens: 900], caps: caps, now: now).get()
    }

    @Test func aRefusedReservationWritesNothing() async throws {
        let ledger = try ledger()
        _ = try ledger.reserve("job/run-1", reservation: [.tokens: 900], caps: caps, now: now).get()
        let before = try Data(contentsOf: ledger.file)
        let refused = try ledger.reserve("job/run-2", reservation: [.tokens: 900], caps: caps, now: now)
        #expect((try? refused.get()) == nil)
        #expect(try Data(contentsOf: ledger.file) == before)
    }

    struct Damage: Sendable, CustomStringConvertible {
        var contents: String
        var words: [String]
        var description: String { contents }
    }

    @Test(arguments: [
        Damage(
            contents: "{\"version\": 1, \"days\": {\"2026-12-02\": {\"spent\": {\"tokens\": \"many\"}}",
            words: ["cannot be read"]
        ),
        Damage(contents: "not json", words: ["cannot be read", "not a JSON object with a version"]),
        Damage(contents: "{\"version\": 9, \"days\": {}}", words: ["layout version 9", "reads version 1"]),
        Damage(contents: "not json\n{\"version\": 1, \"da", words: ["cannot be read", "last two lines"]),
    ])
    func aDamagedLedgerIsRefusedWithItsPathAndLeftAsItIs(_ damage: Damage) async throws {
        let ledger = try ledger()
        try FileManager.default.createDirectory(
            at: ledger.file.deletingLastPathComponent(),
            withIntermediateDirectories: true
        )
        try Data(damage.contents.utf8).write(to: ledger.file)
        do {
            _ = try ledger.reserve("job/run-1", reservation: [.tokens: 100], caps: caps, now: now)
            Issue.record("a damaged ledger was used")
        } catch {
            for words in damage.words + [ledger.file.path] {
                #expect(error.description.contains(words), "'\(words)' missing from: \(error)")
            }
        }
        #expect(try String(contentsOf: ledger.file, encoding: .utf8) == damage.contents)
    }

    @Test func aChangeAppendsItsBookToTheSameFile() async throws {
        let ledger = try ledger()
        _ = try ledger.reserve("job/run-1", reservation: [.tokens: 100], caps: caps, now: now).get()
        let inode = try inodeNumber(ledger.file)
        _ = try ledger.charge("job/run-1", usage: [.tokens: 80], caps: caps, now: now)
        _ = try ledger.reserve("job/run-2", reservation: [.tokens: 100], caps: caps, now: now).get()
        // One line a change, each a whole book, the last the current one; no file made or renamed for them.
        let lines = try String(contentsOf: ledger.file, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3)
        #expect(try inodeNumber(ledger.file) == inode)
        let last = try JSONDecoder().decode(LedgerBook.self, from: Data(try #require(lines.last).utf8))
        #expect(last.account(on: BudgetRules.utcDay(now)).spent[.tokens] == 80)
        #expect(last.account(on: BudgetRules.utcDay(now)).reserved.keys.sorted() == ["job/run-2"])
    }

    @Test func aLineCutShortByACrashIsNotTheBookAndTheNextChangeReplacesIt() async throws {
        let ledger = try ledger()
        _ = try ledger.reserve("job/run-1", reservation: [.tokens: 100], caps: caps, now: now).get()
        let whole = try Data(contentsOf: ledger.file)
        // The machine went down while the next book was being appended: half a line, no newline.
        let handle = try FileHandle(forWritingTo: ledger.file)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"days\":{\"2026-12-02\":{\"res".utf8))
        try handle.close()
        #expect(try ledger.account(now: now).reserved.keys.sorted() == ["job/run-1"])
        _ = try ledger.reserve("job/run-2", reservation: [.tokens: 100], caps: caps, now: now).get()
        let text = try String(contentsOf: ledger.file, encoding: .utf8)
        #expect(text.hasPrefix(String(decoding: whole, as: UTF8.self)))
        #expect(text.split(separator: "\n").count == 2, "\(text)")
        #expect(try ledger.account(now: now).reserved.keys.sorted() == ["job/run-1", "job/run-2"])
    }

    @Test func aBookWhoseNewlineWasCutStaysTheBookAndGetsOne() async throws {
        let ledger = try ledger()
        _ = try ledger.reserve("job/run-1", reservation: [.tokens: 100], caps: caps, now: now).get()
        let text = try String(contentsOf: ledger.file, encoding: .utf8)
        try Data(text.dropLast().utf8).write(to: ledger.file)
        _ = try ledger.reserve("job/run-2", reservation: [.tokens: 100], caps: caps, now: now).get()
        let lines = try String(contentsOf: ledger.file, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(try ledger.account(now: now).reservedTotal[.tokens] == 200)
    }

    @Test func theLogIsCompactedToItsLastBookAndStaysSmall() async throws {
        let ledger = try ledger()
        for run in 0..<400 {
            _ = try ledger.reserve("job/run-\(run)", reservation: [.tokens: 1], caps: caps, now: now).get()
            _ = try ledger.charge("job/run-\(run)", usage: [.tokens: 1], caps: caps, now: now)
        }
        let size = try #require(try FileManager.default.attributesOfItem(atPath: ledger.file.path)[.size] as? Int)
        #expect(size <= 64 * 1024, "\(size) bytes")
        #expect(try ledger.account(now: now).spent[.tokens] == 400)
        let leftovers = try FileManager.default.contentsOfDirectory(
            atPath: ledger.file.deletingLastPathComponent().path
        )
        #expect(leftovers.sorted() == ["docs.lock", "docs.ndjson"])
    }

    @Test func aLedgerOfTheEarlierSingleFileLayoutIsTakenUpAndReplaced() async throws {
        let ledger = try ledger()
        try FileManager.default.createDirectory(
            at: ledger.file.deletingLastPathComponent(),
            withIntermediateDirectories: true
        )
        // As the earlier layout wrote it: the one book, pretty-printed.
        var earlier = LedgerBook()
        var day = BudgetAccount()
        day.spent = [.tokens: 700]
        earlier.days[BudgetRules.utcDay(now)] = day
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try encoder.encode(earlier).write(to: ledger.legacyFile)
        #expect(try ledger.account(now: now).spent[.tokens] == 700)
        let refused = try ledger.reserve("job/run-1", reservation: [.tokens: 400], caps: caps, now: now)
        #expect((try? refused.get()) == nil)
        #expect(FileManager.default.fileExists(atPath: ledger.legacyFile.path))
        _ = try ledger.reserve("job/run-1", reservation: [.tokens: 300], caps: caps, now: now).get()
        #expect(!FileManager.default.fileExists(atPath: ledger.legacyFile.path))
        let account = try ledger.account(now: now)
        #expect(account.spent[.tokens] == 700)
        #expect(account.reservedTotal[.tokens] == 300)
    }

    @Test func aDamagedLedgerOfTheEarlierLayoutIsRefusedWithItsPath() async throws {
        let ledger = try ledger()
        try FileManager.default.createDirectory(
            at: ledger.file.deletingLastPathComponent(),
            withIntermediateDirectories: true
        )
        try Data("{\"version\": 1, \"days\"".utf8).write(to: ledger.legacyFile)
        #expect {
            try ledger.reserve("job/run-1", reservation: [.tokens: 100], caps: caps, now: now)
        } throws: { error in
            "\(error)".contains(ledger.legacyFile.path) && "\(error)".contains("cannot be read")
        }
        #expect(!FileManager.default.fileExists(atPath: ledger.file.path))
    }

    func inodeNumber(_ url: URL) throws -> UInt64 {
        try #require(try FileManager.default.attributesOfItem(atPath: url.path)[.systemFileNumber] as? UInt64)
    }

    @Test func aBadProjectNameIsRefused() async {
        #expect(throws: LedgerError.self) { try ProjectLedger(project: "../elsewhere", directory: directory.url) }
    }

    @Test(arguments: [
        (["XDG_STATE_HOME": "/state", "HOME": "/home/u"], "/state/tollgate"),
        (["XDG_STATE_HOME": "relative", "HOME": "/home/u"], "/home/u/.local/state/tollgate"),
        (["HOME": "/home/u"], "/home/u/.local/state/tollgate"),
    ])
    func theLedgersLiveInTheXDGStateHome(_ environment: [String: String], _ path: String) async throws {
        #expect(try ProjectLedger.defaultDirectory(environment: environment).path == path)
    }

    @Test func withNoHomeTheLedgerHasNoPlaceAndSaysSo() async {
        #expect(throws: LedgerError.noStateDirectory) { try ProjectLedger.defaultDirectory(environment: [:]) }
    }

    @Test func runKeysOfTwoJobsOfOneNameDiffer() async {
        let one = ProjectLedger.runKey(job: "job", root: URL(fileURLWithPath: "/a/job"), run: "run-1")
        let two = ProjectLedger.runKey(job: "job", root: URL(fileURLWithPath: "/b/job"), run: "run-1")
        #expect(one != two)
        #expect(one.hasPrefix("job@") && one.hasSuffix("/run-1"))
    }
}

/// A count shared by worker threads.
final class Counter: Sendable {
    private let lock = NSLock()
    // SAFETY: read and written only under `lock`.
    nonisolated(unsafe) private var count = 0

    func add() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
