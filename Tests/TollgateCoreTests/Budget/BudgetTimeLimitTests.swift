import Testing
import TollgateCore

/// A run's time limit under the hard seconds caps (DESIGN §11), as a table: its own timeout, the caps with their
/// spend and holds, the limit and the cap named.
struct BudgetTimeLimitTests {
    struct Row: Sendable, CustomTestStringConvertible {
        var name: String
        var own: Int
        /// Each scope: its cap keys, its hard seconds cap (nil: none), the spend, what running work holds.
        var scopes: [(String, Double?, Double, Double)]
        var seconds: Int
        var cap: String?

        var testDescription: String { name }

        var limit: BudgetTimeLimit {
            BudgetTimeLimit.limiting(
                own,
                under: scopes.map { keys, cap, spent, held in
                    var account = BudgetAccount()
                    if spent > 0 { account.spent[.seconds] = spent }
                    if held > 0 { account.reserved["running"] = [.seconds: held] }
                    return BudgetTimeLimit.Scope(
                        capKeys: keys,
                        caps: BudgetCaps(hard: cap.map { [.seconds: $0] } ?? [:]),
                        account: account
                    )
                }
            )
        }
    }

    static let rows: [Row] = [
        Row(name: "no cap: the run's own timeout", own: 600, scopes: [("budget.", nil, 500, 0)], seconds: 600),
        Row(name: "no scope at all", own: 600, scopes: [], seconds: 600),
        Row(name: "a cap with room: its own timeout", own: 600, scopes: [("budget.", 3_600, 100, 0)], seconds: 600),
        Row(name: "exactly its own timeout left", own: 600, scopes: [("budget.", 700, 100, 0)], seconds: 600),
        Row(
            name: "less left than its timeout: shortened, the cap named",
            own: 600,
            scopes: [("budget.", 60, 48, 0)],
            seconds: 12,
            cap: "budget.seconds.hard"
        ),
        Row(
            name: "what running work holds counts",
            own: 600,
            scopes: [("budget.", 100, 20, 50)],
            seconds: 30,
            cap: "budget.seconds.hard"
        ),
        Row(
            name: "a part second left rounds down",
            own: 600,
            scopes: [("budget.", 100, 89.6, 0)],
            seconds: 10,
            cap: "budget.seconds.hard"
        ),
        Row(
            name: "used up: 0, never below",
            own: 600,
            scopes: [("budget.", 100, 130, 0)],
            seconds: 0,
            cap: "budget.seconds.hard"
        ),
        Row(
            name: "the tightest of several caps wins",
            own: 600,
            scopes: [("budget.", 100, 10, 0), ("budget.daily.", 50, 10, 0)],
            seconds: 40,
            cap: "budget.daily.seconds.hard"
        ),
        Row(
            name: "a tie names the first scope",
            own: 600,
            scopes: [("budget.", 100, 60, 0), ("budget.daily.", 50, 10, 0)],
            seconds: 40,
            cap: "budget.seconds.hard"
        ),
        Row(
            name: "a scope without a seconds cap is skipped",
            own: 600,
            scopes: [("budget.daily.", nil, 0, 0), ("budget.", 30, 0, 0)],
            seconds: 30,
            cap: "budget.seconds.hard"
        ),
    ]

    @Test(arguments: rows) func theLimitIsTheLeastOfItsTimeoutAndWhatEveryCapLeaves(_ row: Row) async {
        let limit = row.limit
        #expect(limit.seconds == row.seconds)
        #expect(limit.own == row.own)
        #expect(limit.cap?.key == row.cap)
        #expect(limit.isShortened == (row.cap != nil))
    }

    @Test func aRunStoppedAtACapsLimitNamesTheCapAndTheCommandThatRaisesIt() async throws {
        let limit = BudgetTimeLimit(seconds: 12, own: 600, cap: .init(key: "budget.seconds.hard", value: 60))
        let sentence = try #require(limit.stopped("the critic") { "tollgate config /jobs/a --set \($0)" })
        #expect(
            sentence
                == "the critic was stopped after 12 s by the budget: budget.seconds.hard (60 s) left it 12 s of its own "
                + "600 s timeout. To give such a run its whole timeout, raise the cap: `tollgate config /jobs/a --set "
                + "budget.seconds.hard=648` (the spend so far is kept)"
        )
        // Its own timeout was the limit: the budget did not stop it.
        #expect(BudgetTimeLimit(seconds: 600, own: 600).stopped("the critic") { $0 } == nil)
    }

    @Test func gatesSharingOneHoldAreEachGivenWhatIsLeftOfIt() async {
        let shared = BudgetTimeLimit(seconds: 90, own: 240, cap: .init(key: "budget.seconds.hard", value: 100))
        // A first gate of 120 s gets 90 of them; after it took 70, a second gate of 60 s gets the 20 left.
        #expect(shared.narrowed(own: 120, seconds: 90) == BudgetTimeLimit(seconds: 90, own: 120, cap: shared.cap))
        #expect(shared.narrowed(own: 60, seconds: 20) == BudgetTimeLimit(seconds: 20, own: 60, cap: shared.cap))
        // A gate whose own timeout fits is not shortened by the budget.
        #expect(shared.narrowed(own: 30, seconds: 90) == BudgetTimeLimit(seconds: 30, own: 30))
        #expect(shared.narrowed(own: 30, seconds: -5).seconds == 0)
    }
}
