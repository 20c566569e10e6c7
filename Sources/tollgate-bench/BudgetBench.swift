import Foundation
import GitKit
import TollgateCore
import TollgateEngine

/// Times what the budget check adds to each run (DESIGN §11: "≤ 1 ms a run"), against a run with no cap, which
/// does none of it.
///
/// A capped run's check is three pieces, each timed over many reserve + charge cycles:
/// - the rules (``BudgetRules/admit(_:reservation:caps:account:)`` and ``BudgetRules/charge(_:usage:caps:account:)``
///   on the job's account, what the engine's guard decides with);
/// - the reservation's journal: the engine keeps the reservation in memory and in `.git/tollgate/uncommitted.json`
///   (``StateStore/Journal``, rewritten in place) until the next state commit carries it, so a crash keeps it; the
///   charge rides with the run's own commit (and a plan's task's reservation with its `task.started` commit). For
///   comparison, the state commit a reservation used to cost (blob, tree, commit, reference, by GitKit, as the state
///   store does), which is no longer paid;
/// - with `budget.project`, the project's ledger: ``ProjectLedger`` reserve and settle, each under `flock`, each a
///   line appended to the ledger's log, the reservation's `fdatasync`ed (compactions included, as they come).
enum BudgetBench {
    static let ruleCycles = 20_000
    static let commitCycles = 300
    static let ledgerCycles = 300
    /// The limit the design sets on the check, per run.
    static let limitMs = 1.0

    static func run() throws {
        print("## budget: what the budget check adds to a run (reserve + charge), against none")
        print("")
        print("none = an uncapped run: no check, no reservation, nothing extra committed. Medians of 10 batches.")
        print("")
        let caps = BudgetCaps(soft: [.tokens: 800_000], hard: [.tokens: 1e12, .costUSD: 1e9])
        let reservation: [BudgetUnit: Double] = [.tokens: 1_000, .costUSD: 0.05]
        let usage: [BudgetUnit: Double] = [.tokens: 900, .costUSD: 0.04, .seconds: 12]

        let rules = try batches(cycles: ruleCycles) { cycles in
            var account = BudgetAccount()
            for index in 0..<cycles {
                let key = "run-\(index)"
                guard
                    case .success(let admitted) = BudgetRules.admit(
                        key,
                        reservation: reservation,
                        caps: caps,
                        account: account
                    )
                else {
                    throw BenchError("the rules refused run \(index)")
                }
                account = BudgetRules.charge(key, usage: usage, caps: caps, account: admitted).account
            }
        }

        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("tollgate-bench-budget-\(UUID().uuidString.prefix(8))", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)

        let repository = try Repository.create(at: root.appendingPathComponent("job"))
        let signature = Signature(name: "bench", email: "bench@example.com")
        let reference = "refs/heads/tollgate/state"
        // A job's state as it is committed: job.json (a few kB) and its events file, which every commit rewrites.
        let others = try repository.writeBlob(Data(String(repeating: "{\"event\": \"x\"}\n", count: 400).utf8))
        var job = Data(String(repeating: "x", count: 4_000).utf8)
        var tip: OID?
        let commit = try batches(cycles: commitCycles) { cycles in
            for index in 0..<cycles {
                job.replaceSubrange(0..<8, with: Data(String(format: "%08d", index % 100_000_000).utf8))
                let blob = try repository.writeBlob(job)
                let tree = try repository.writeTree(blobs: ["job.json": blob, "events/0001.ndjson": others])
                let made = try repository.commit(
                    tree: tree,
                    parents: tip.map { [$0] } ?? [],
                    message: "budget.reserved run-\(index)",
                    author: signature,
                    committer: signature
                )
                try repository.updateReference(reference, to: made, expected: tip, message: "tollgate: bench")
                tip = made
            }
        }

        // The journal as a run's reservation writes it: the job's budget and the budget.reserved event.
        let journalFile = root.appendingPathComponent("job/.git/tollgate/uncommitted.json")
        var account = BudgetAccount()
        account.spent = [.tokens: 12_345, .costUSD: 0.6, .seconds: 321]
        let journaled = try batches(cycles: commitCycles) { cycles in
            for index in 0..<cycles {
                account.reserved = ["run-\(index)": reservation]
                var budget = JobBudget()
                budget.account = account
                let event = RecordedEvent(
                    seq: index,
                    at: "2026-12-07T10:00:00.000Z",
                    event: JobEvent(
                        type: .budgetReserved,
                        phase: 3,
                        revision: 1,
                        data: ["run": "run-\(index)", "tokens": "1000", "costUSD": "0.05"]
                    )
                )
                try StateStore.Journal(base: tip?.hex, budget: budget, events: [event]).write(to: journalFile)
            }
        }

        let ledger = try ProjectLedger(project: "bench", directory: root.appendingPathComponent("state"))
        let daily = BudgetCaps(hard: [.tokens: 1e12, .costUSD: 1e9])
        var ledgerRun = 0
        let ledgerTimes = try batches(cycles: ledgerCycles) { cycles in
            for _ in 0..<cycles {
                ledgerRun += 1
                let key = ProjectLedger.runKey(job: "bench", root: root, run: "run-\(ledgerRun)")
                let result = try ledger.reserve(
                    key,
                    reservation: reservation,
                    caps: daily,
                    settlingAbandoned: ProjectLedger.runKey(job: "bench", root: root, run: ""),
                    live: []
                )
                guard case .success = result else { throw BenchError("the ledger refused run \(ledgerRun)") }
                guard try ledger.settle(key, usage: usage, caps: daily) != nil else {
                    throw BenchError("the ledger lost run \(ledgerRun)'s reservation")
                }
            }
        }

        print(row("piece", "cycles", "per run"))
        print(row("none", "-", milliseconds(0)))
        print(row("rules (admit + charge)", "\(ruleCycles)", milliseconds(rules)))
        print(row("reservation journal", "\(commitCycles)", milliseconds(journaled)))
        print(row("project ledger (append, 1 sync)", "\(ledgerCycles)", milliseconds(ledgerTimes)))
        print(row("(a state commit, no longer paid)", "\(commitCycles)", milliseconds(commit)))
        let jobOnly = rules + journaled
        let withProject = jobOnly + ledgerTimes
        print("")
        print(row("job caps, a plan's task", "", milliseconds(rules) + verdict(rules)))
        print(row("job caps", "", milliseconds(jobOnly) + verdict(jobOnly)))
        print(row("job caps + budget.project", "", milliseconds(withProject) + verdict(withProject)))
        print("")
    }

    /// The median seconds a cycle takes, over 10 batches of `cycles / 10` (a first, untimed batch warms caches).
    static func batches(cycles: Int, _ body: (Int) throws -> Void) throws -> Double {
        let size = max(1, cycles / 10)
        try body(size)
        var perCycle: [Double] = []
        let clock = ContinuousClock()
        for _ in 0..<10 {
            let start = clock.now
            try body(size)
            perCycle.append(GitBench.seconds(clock.now - start) / Double(size))
        }
        return GitBench.median(perCycle)
    }

    static func verdict(_ seconds: Double) -> String {
        seconds * 1000 <= limitMs ? "  meets ≤ 1 ms a run" : "  over the ≤ 1 ms a run"
    }

    static func milliseconds(_ seconds: Double) -> String { String(format: "%.4f ms", seconds * 1000) }

    static func row(_ cells: String...) -> String {
        let widths = [32, 8, 40]
        return zip(cells, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: " ")
    }
}
