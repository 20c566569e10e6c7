import Foundation
import Testing
import TollgateCore

struct PathGlobTests {
    @Test(arguments: [
        ("ch/*.md", "ch/1.md", true),
        ("ch/*.md", "ch/sub/1.md", false),  // * stays within a folder
        ("ch/*.md", "ch/1.txt", false),
        ("ch/*.md", "xch/1.md", false),  // a whole path, never a part
        ("*.md", "a.md", true),
        ("*.md", "docs/a.md", false),
        ("**/*.md", "a.md", true),  // ** is zero folders too
        ("**/*.md", "docs/x/y/a.md", true),
        ("docs/**/*.md", "docs/a.md", true),
        ("docs/**/*.md", "docs/x/y/a.md", true),
        ("docs/**/*.md", "other/a.md", false),
        ("docs/**", "docs/x/y/a.md", true),
        ("docs/**", "docs", true),
        ("ch/?.md", "ch/1.md", true),
        ("ch/?.md", "ch/12.md", false),
        ("ch/*a", "ch/*ba", true),  // a literal * in a name still backtracks
        ("ch/a*b*c", "ch/aXbYbZc", true),
        ("ch/a*b*c", "ch/aXbYbZ", false),
        ("ch/1.md", "ch/1.md", true),
        ("ch/*", "ch/", false),
    ])
    func matchesWholePathsFolderByFolder(pattern: String, path: String, expected: Bool) async throws {
        let glob = try #require(PathGlob(pattern))
        #expect(glob.matches(path) == expected, "\(pattern) ~ \(path)")
    }

    @Test(arguments: ["", "/abs/*.md", "a/../b", "./a", "a//b", "a/"])
    func refusesPatternsNoRepositoryPathMatches(pattern: String) async {
        #expect(PathGlob(pattern) == nil)
    }

    @Test func selectTakesEachPathOnceSorted() async throws {
        let globs = try ["ch/*.md", "**/2.md"].map { try #require(PathGlob($0)) }
        let paths = ["ch/2.md", "ch/1.md", "notes/2.md", "README.md", "ch/sub/3.md"]
        #expect(PathGlob.select(paths, matching: globs) == ["ch/1.md", "ch/2.md", "notes/2.md"])
    }
}

struct BatchSummaryTests {
    @Test(arguments: [
        (CritiqueStatus.shipped, BatchUnitState?.some(.shipped)),
        (.belowThreshold, .belowThreshold),
        (.degraded, .degraded),
        (.failed, .failed),
        (.timedOut, .failed),
        (.interrupted, nil),  // not finished: a resume critiques it again
    ])
    func aCritiqueStatusLeavesItsUnitInAState(status: CritiqueStatus, expected: BatchUnitState?) async {
        #expect(BatchUnitState(status) == expected)
    }

    @Test func countsNameEveryStateAndTheJSONHasTheContractsKeys() async throws {
        var summary = BatchSummary(batch: "b1", units: [.init(unit: "b.md", state: .queued)])
        summary.record(.init(unit: "a.md", state: .shipped, firstComposite: 8.6, finalComposite: 8.6, durationMs: 1200))
        summary.record(.init(unit: "b.md", state: .failed))
        #expect(summary.units.map(\.unit) == ["a.md", "b.md"])
        #expect(
            summary.counts == [
                "queued": 0, "running": 0, "shipped": 1, "below_threshold": 0, "degraded": 0, "failed": 1,
                "blocked": 0,
            ]
        )
        #expect(!summary.allShipped)
        #expect(summary.finishedUnits == ["a.md", "b.md"])
        let encoded = try JSONEncoder().encode(summary)
        let object = try #require(JSONSerialization.jsonObject(with: encoded) as? [String: Any])
        #expect(Set(object.keys) == ["batch", "units", "counts"])
        let unit = try #require((object["units"] as? [[String: Any]])?.first)
        #expect(
            Set(unit.keys).isSuperset(of: [
                "unit", "state", "finalComposite", "firstComposite", "mustFix", "iterations", "durationMs",
            ])
        )
        #expect(try JSONDecoder().decode(BatchSummary.self, from: encoded) == summary)
    }

    @Test func aBlockedUnitIsNotFinishedAndTheSpendAndWhyRoundTrip() async throws {
        var summary = BatchSummary(batch: "b1", units: [.init(unit: "a.md", state: .shipped)])
        summary.record(.init(unit: "b.md", state: .blocked))
        var account = BudgetAccount()
        account.spent[.tokens] = 200
        summary.budget = account
        summary.blocked = "budget.tokens.hard is 250 tokens"
        #expect(summary.finishedUnits == ["a.md"])
        #expect(summary.isBlocked)
        #expect(!BatchUnitState.blocked.isFinished)
        let encoded = try JSONEncoder().encode(summary)
        let object = try #require(JSONSerialization.jsonObject(with: encoded) as? [String: Any])
        #expect(Set(object.keys) == ["batch", "units", "counts", "budget", "blocked"])
        #expect(try JSONDecoder().decode(BatchSummary.self, from: encoded) == summary)
        #expect(summary.report().contains("Blocked: budget.tokens.hard is 250 tokens"))
        #expect(summary.report().contains("2 unit(s): 1 shipped, 1 blocked."))
    }

    @Test func theReportIsATableWithALinkToEachFinishedUnit() async {
        let summary = BatchSummary(
            batch: "b1",
            units: [
                .init(unit: "ch/a b.md", state: .shipped, firstComposite: 7.5, finalComposite: 8.6, mustFix: 0),
                .init(unit: "ch/c|d.md", state: .queued),
            ]
        )
        let report = summary.report()
        #expect(report.contains("2 unit(s): 1 shipped."))
        #expect(report.contains("| [`ch/a b.md`](units/ch/a%20b.md/report.md) | shipped | 7.5 | 8.6 | 0 | 0 | 0.0 s |"))
        #expect(report.contains("| `ch/c\\|d.md` | queued | – | – | 0 | 0 | 0.0 s |"))
    }
}

struct BatchSettingsTests {
    @Test(arguments: [
        ("20261203-174501-3fa2", true), ("a", true), ("", false), ("-a", false), ("A1", false), ("a/b", false),
        (String(repeating: "a", count: 41), false),
    ])
    func anIDIsLowercaseLettersDigitsAndDashes(id: String, valid: Bool) async {
        #expect(BatchSettings.isValidID(id) == valid)
    }

    @Test func aNewIDIsTheUTCSecondAndTheSuffix() async {
        let id = BatchSettings.newID(at: Date(timeIntervalSince1970: 1_764_783_901), suffix: 0x3fa2)
        #expect(id == "20251203-174501-3fa2")
        #expect(BatchSettings.isValidID(id))
        #expect(BatchSettings.branch(id) == "batch/\(id)")
        #expect(BatchSettings.folder(id) == "critique/batch-\(id)")
    }

    @Test func progressCountsQueuedRunningAndDone() async {
        var progress = BatchProgress()
        _ = progress.unitChanged("a", to: .queued)
        _ = progress.unitChanged("b", to: .queued)
        let running = progress.unitChanged("a", to: .running)
        #expect((running.queued, running.running, running.done, running.total) == (1, 1, 0, 2))
        let done = progress.unitChanged("a", to: .belowThreshold, composite: 7.456)
        #expect(done.line == "[1/2] below threshold: a (composite 7.46) · queued 1, running 0, done 1")
    }
}
