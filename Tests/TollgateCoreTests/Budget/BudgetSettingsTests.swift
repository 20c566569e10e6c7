import Testing
import TollgateCore

/// The budget keys read into caps and reservations (DESIGN §11): 0 is no cap, an empty project is none.
struct BudgetSettingsTests {
    func settings(_ assignments: [String]) throws -> BudgetSettings {
        BudgetSettings(try ResolvedConfig(layers: [ConfigLayer(assignments: assignments, source: "--set")]))
    }

    @Test func theDefaultsCapNothing() async throws {
        let settings = try settings([])
        #expect(settings.job == BudgetCaps())
        #expect(settings.daily == BudgetCaps())
        #expect(settings.project == nil)
        #expect(settings.agentReservation.isEmpty && settings.critiqueReservation.isEmpty)
        #expect(!settings.isCapped)
    }

    @Test func everyKeyLandsInItsPlace() async throws {
        let settings = try settings([
            "budget.tokens.soft=800", "budget.tokens.hard=1000", "budget.costUSD.hard=2.5", "budget.seconds.soft=60",
            "budget.project=docs", "budget.daily.tokens.hard=50000", "budget.daily.costUSD.soft=10",
            "agent.reserve.tokens=300", "agent.reserve.costUSD=0.25", "critique.reserve.tokens=40",
        ])
        #expect(settings.job == BudgetCaps(soft: [.tokens: 800, .seconds: 60], hard: [.tokens: 1000, .costUSD: 2.5]))
        #expect(settings.project == "docs")
        #expect(settings.daily == BudgetCaps(soft: [.costUSD: 10], hard: [.tokens: 50000]))
        #expect(settings.agentReservation == [.tokens: 300, .costUSD: 0.25])
        #expect(settings.critiqueReservation == [.tokens: 40])
        #expect(settings.isCapped)
    }

    @Test(arguments: [
        (["budget.daily.tokens.hard=10"], false),
        (["budget.project=docs"], false),
        (["budget.project=docs", "budget.daily.tokens.hard=10"], true),
        (["budget.seconds.hard=10"], true),
    ])
    func dailyCapsCountOnlyWithAProject(_ assignments: [String], _ capped: Bool) async throws {
        #expect(try settings(assignments).isCapped == capped)
    }
}
