import Foundation
import Testing
import TollgateCore

/// A project's daily book (DESIGN §11), on values: the day's caps across jobs, a reservation's charge landing on
/// the day it was made, abandoned reservations counted as spent, and what is forgotten.
struct LedgerBookTests {
    static let caps = BudgetCaps(soft: [.tokens: 500], hard: [.tokens: 1_000])
    static let reserve: [BudgetUnit: Double] = [.tokens: 400]

    @Test func twoJobsShareTheDaysHardCap() async throws {
        var book = LedgerBook()
        _ = try book.reserve("a/run-1", reservation: Self.reserve, caps: Self.caps, day: "2026-12-03").get()
        _ = try book.reserve("b/run-1", reservation: Self.reserve, caps: Self.caps, day: "2026-12-03").get()
        let third = book.reserve("a/run-2", reservation: Self.reserve, caps: Self.caps, day: "2026-12-03")
        #expect(third == .failure(.overHardCap(unit: .tokens, cap: 1_000, spent: 0, reserved: 800, reservation: 400)))
        // The next day starts from zero.
        let nextDay = book.reserve("a/run-2", reservation: Self.reserve, caps: Self.caps, day: "2026-12-04")
        #expect((try? nextDay.get()) != nil)
    }

    @Test func aChargeLandsOnTheDayItsRunStarted() async throws {
        var book = LedgerBook()
        _ = try book.reserve("a/run-1", reservation: Self.reserve, caps: Self.caps, day: "2026-12-03").get()
        let charge = book.charge("a/run-1", usage: [.tokens: 600], caps: Self.caps, day: "2026-12-04")
        #expect(charge.softCrossed == [.tokens])
        #expect(book.account(on: "2026-12-03").spent == [.tokens: 600])
        #expect(book.account(on: "2026-12-03").reserved.isEmpty)
        #expect(book.account(on: "2026-12-04") == BudgetAccount())
    }

    @Test func aChargeWithoutAReservationLandsOnTheGivenDay() async {
        var book = LedgerBook()
        _ = book.charge("a/run-1", usage: [.tokens: 10], caps: Self.caps, day: "2026-12-04")
        #expect(book.account(on: "2026-12-04").spent == [.tokens: 10])
    }

    struct Abandoned: Sendable, CustomStringConvertible {
        var rerunDay: String
        var spentOnFirstDay: Double
        var description: String { "rerun on \(rerunDay)" }
    }

    @Test(arguments: [
        Abandoned(rerunDay: "2026-12-03", spentOnFirstDay: 400),
        Abandoned(rerunDay: "2026-12-04", spentOnFirstDay: 400),
    ])
    func aReservationWhoseRunNeverReportedIsSpentWhenTheRunStartsAgain(_ case: Abandoned) async throws {
        var book = LedgerBook()
        _ = try book.reserve("a/run-1", reservation: Self.reserve, caps: Self.caps, day: "2026-12-03").get()
        // The process died here; the run starts again under the same key.
        _ = try book.reserve("a/run-1", reservation: Self.reserve, caps: Self.caps, day: `case`.rerunDay).get()
        #expect(book.account(on: "2026-12-03").spent[.tokens] == `case`.spentOnFirstDay)
        #expect(book.account(on: `case`.rerunDay).reserved == ["a/run-1": Self.reserve])
    }

    @Test func anOpenReservationHoldsAgainstTheCapLikeSpend() async throws {
        var book = LedgerBook()
        _ = try book.reserve("a/run-1", reservation: [.tokens: 700], caps: Self.caps, day: "2026-12-03").get()
        let other = book.reserve("b/run-1", reservation: Self.reserve, caps: Self.caps, day: "2026-12-03")
        #expect(other == .failure(.overHardCap(unit: .tokens, cap: 1_000, spent: 0, reserved: 700, reservation: 400)))
    }

    @Test func aReleasedReservationFreesItsRoom() async throws {
        var book = LedgerBook()
        _ = try book.reserve("a/run-1", reservation: [.tokens: 700], caps: Self.caps, day: "2026-12-03").get()
        let first = book.release("a/run-1")
        let second = book.release("a/run-1")
        #expect(first && !second)
        let after = book.reserve("b/run-1", reservation: Self.reserve, caps: Self.caps, day: "2026-12-03")
        #expect((try? after.get()) != nil)
        #expect(book.account(on: "2026-12-03").spent.isEmpty)
    }

    @Test func oldDaysAreForgotten() async {
        var book = LedgerBook()
        for day in ["2026-10-31", "2026-11-02", "2026-12-03"] {
            _ = book.charge("a/\(day)", usage: [.tokens: 1], caps: Self.caps, day: day)
        }
        book.forget(before: "2026-11-02")
        #expect(book.days.keys.sorted() == ["2026-11-02", "2026-12-03"])
    }

    @Test(arguments: [
        ("docs-site", true), ("a.b_c-1", true), ("", false), (".hidden", false), ("a/b", false), ("a b", false),
        ("..", false), (String(repeating: "x", count: 101), false),
    ])
    func aProjectNameMustNameAFile(_ name: String, _ fine: Bool) async {
        let problem = LedgerBook.problem(withProjectName: name)
        #expect((problem == nil) == fine)
        if let problem { #expect(problem.hasPrefix("budget.project is")) }
    }

    @Test func theDailyRefusalNamesTheDailyKey() async {
        let refusal = BudgetRules.Refusal.unreserved(unit: .costUSD, cap: 5)
        #expect(refusal.sentence(capKeys: "budget.daily.").hasPrefix("budget.daily.costUSD.hard is $5.00"))
        #expect(refusal.description.hasPrefix("budget.costUSD.hard is $5.00"))
    }
}
