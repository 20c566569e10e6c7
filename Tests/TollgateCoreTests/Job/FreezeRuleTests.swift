import Testing
import TollgateCore

/// The autonomy table of DESIGN §3, row by row: every level × the first four phases × whether the agent reported the
/// job complete.
struct FreezeRuleTests {
    /// The phases of the table: 1 strategic, 2 tactical, 3 strategic, 4 tactical.
    static let phases = (1...4).map { PhaseRef(number: $0, type: PhaseType.of(phase: $0)) }

    /// Which of the phases 1…4 freeze for the level's own reason when the agent does not report the job complete.
    static let reviewedPhases: [AutonomyLevel: Set<Int>] = [
        .full: [], .review: [], .partial: [1], .guided: [1, 3], .dependent: [1, 2, 3, 4],
    ]

    struct Row: Sendable, CustomTestStringConvertible {
        var level: AutonomyLevel
        var phase: PhaseRef
        var jobComplete: Bool
        var testDescription: String { "\(level) \(phase.label) complete=\(jobComplete)" }
    }

    static let rows: [Row] = AutonomyLevel.allCases.flatMap { level in
        phases.flatMap { phase in [false, true].map { Row(level: level, phase: phase, jobComplete: $0) } }
    }

    @Test(arguments: rows)
    func decidesEveryBoundaryOfTheTable(_ row: Row) async {
        let expected: FreezeRule.Reason?
        if row.level == .full {
            expected = nil
        } else if row.jobComplete {
            expected = .finalReview
        } else if Self.reviewedPhases[row.level, default: []].contains(row.phase.number) {
            expected = .autonomy(row.level)
        } else {
            expected = nil
        }
        #expect(FreezeRule.decide(level: row.level, phase: row.phase, jobComplete: row.jobComplete) == expected)
    }

    @Test func checksTheTableItself() async {
        // 5 levels × 4 phases × 2; the table must have 40 rows and 13 freezes for the autonomy levels' own reasons
        // plus the final review for the 4 levels other than full.
        #expect(Self.rows.count == 40)
        let freezes = Self.rows.filter {
            FreezeRule.decide(level: $0.level, phase: $0.phase, jobComplete: $0.jobComplete) != nil
        }
        #expect(freezes.count == 7 + 16)
    }

    @Test func partialReviewsARedoneFirstPlanToo() async {
        let redone = PhaseRef.first.redone
        #expect(redone.branch == "phase-1-strategic-rev-2")
        #expect(FreezeRule.decide(level: .partial, phase: redone, jobComplete: false) == .autonomy(.partial))
        #expect(
            FreezeRule.decide(level: .partial, phase: PhaseRef(number: 5, type: .strategic), jobComplete: false) == nil
        )
    }

    @Test func describesEachReasonForPeople() async {
        #expect(FreezeRule.Reason.finalReview.description.contains("complete"))
        #expect(FreezeRule.Reason.autonomy(.guided).description.contains("guided"))
        #expect(FreezeRule.Reason.guardTripped("critique 5.0 < 8.0").description.contains("critique 5.0 < 8.0"))
    }
}
