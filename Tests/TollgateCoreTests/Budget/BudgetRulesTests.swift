import Foundation
import Testing
import TollgateCore

/// DESIGN §11's budget rules, on values: reserve before, charge after, refuse what cannot be checked.
struct BudgetRulesTests {
    static let caps = BudgetCaps(soft: [.tokens: 800], hard: [.tokens: 1_000])
    static let reserve: [BudgetUnit: Double] = [.tokens: 300]

    private func admitted(_ key: String, _ account: BudgetAccount, caps: BudgetCaps = caps) throws -> BudgetAccount {
        try BudgetRules.admit(key, reservation: Self.reserve, caps: caps, account: account).get()
    }

    @Test func aRunIsAdmittedOnlyWhenItsReservationFitsUnderTheHardCap() async throws {
        var account = try admitted("run-1", BudgetAccount())
        account = BudgetRules.charge("run-1", usage: [.tokens: 600], caps: Self.caps, account: account).account
        // 600 spent + 300 reserved fits under 1,000; a second parallel run does not.
        account = try admitted("run-2", account)
        guard
            case .failure(let refusal) = BudgetRules.admit(
                "run-3",
                reservation: Self.reserve,
                caps: Self.caps,
                account: account
            )
        else {
            Issue.record("a run that would pass the hard cap was admitted")
            return
        }
        #expect(refusal == .overHardCap(unit: .tokens, cap: 1_000, spent: 600, reserved: 300, reservation: 300))
        #expect(refusal.description.contains("budget.tokens.hard is 1000 tokens"))
    }

    @Test func aCapWithoutAReservationRefusesToStartRuns() async {
        let caps = BudgetCaps(hard: [.costUSD: 5])
        let result = BudgetRules.admit("run-1", reservation: [.tokens: 10], caps: caps, account: BudgetAccount())
        #expect(result == .failure(.unreserved(unit: .costUSD, cap: 5)))
    }

    @Test func aRunThatReportsNothingIsChargedItsReservationWithAWarning() async throws {
        let account = try admitted("run-1", BudgetAccount())
        let charge = BudgetRules.charge("run-1", usage: [:], caps: Self.caps, account: account)
        #expect(charge.account.spent[.tokens] == 300)
        #expect(charge.account.reserved.isEmpty)
        #expect(charge.warnings.first?.contains("charged its reservation (300 tokens)") == true)
    }

    @Test func aReservationLeftOpenByACrashCountsAsSpent() async throws {
        let crashed = try admitted("run-1", BudgetAccount())
        // The same run started again: the first reservation is spent, a new one is made.
        let again = try admitted("run-1", crashed)
        #expect(again.spent[.tokens] == 300)
        #expect(again.reserved["run-1"] == [.tokens: 300])
    }

    @Test func aSoftCapIsReportedOncePerCrossingAndRaisingItReArmsIt() async throws {
        var account = BudgetAccount()
        var reports: [[BudgetUnit]] = []
        var caps = BudgetCaps(soft: [.tokens: 500], hard: [.tokens: 10_000])
        for (index, used) in [300.0, 300, 100].enumerated() {
            account = try admitted("run-\(index)", account, caps: caps)
            let charge = BudgetRules.charge("run-\(index)", usage: [.tokens: used], caps: caps, account: account)
            account = charge.account
            reports.append(charge.softCrossed)
        }
        #expect(reports == [[], [.tokens], []])
        caps = BudgetCaps(soft: [.tokens: 900], hard: [.tokens: 10_000])
        account = try admitted("run-9", account, caps: caps)
        #expect(
            BudgetRules.charge("run-9", usage: [.tokens: 250], caps: caps, account: account).softCrossed == [.tokens]
        )
        // Raising a cap never resets the spend.
        #expect(account.spent[.tokens] == 700)
    }

    @Test func secondsShortenTheTimeoutAndBlockWhenNoneIsLeft() async throws {
        let caps = BudgetCaps(hard: [.seconds: 100])
        var account = BudgetAccount()
        #expect(BudgetRules.timeout(1_800, caps: caps, account: account) == 100)
        account.spent[.seconds] = 70
        #expect(BudgetRules.timeout(1_800, caps: caps, account: account) == 30)
        #expect(BudgetRules.timeout(10, caps: caps, account: account) == 10)
        account.spent[.seconds] = 100
        #expect(throws: BudgetRules.Refusal.self) {
            try BudgetRules.admit("run-1", reservation: [:], caps: caps, account: account).get()
        }
    }

    @Test func theLedgerDayIsUTC() async {
        // 2026-12-03 23:30 in UTC-5 is 04:30 on the 4th in UTC.
        let date = Date(timeIntervalSince1970: 1_796_358_600)
        #expect(BudgetRules.utcDay(date) == "2026-12-04")
    }

    @Test func anAccountSurvivesAsJSON() async throws {
        var account = try admitted("run-1", BudgetAccount())
        account.softCrossedAt[.tokens] = 800
        let decoded = try JSONDecoder().decode(BudgetAccount.self, from: try JSONEncoder().encode(account))
        #expect(decoded == account)
    }
}
