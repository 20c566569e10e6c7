// tollgate-bench: timings that back the design's performance claims.
//
// Usage: `swift run -c release tollgate-bench [section]`, where section is `all` (the default) or one
// section's name. A new section is one `case` in `BenchSection` and one line in `run(_:)`.

import Foundation

/// The sections of the benchmark, in the order `all` runs them.
enum BenchSection: String, CaseIterable {
    case git
    case critique
    case gitea
    case job
    case task
    case dispatch
    case budget
    case batch
}

/// Runs one section.
func run(_ section: BenchSection) async throws {
    switch section {
    case .git: try GitBench.run()
    case .critique: try CritiqueBench.run()
    case .gitea: try await GiteaBench.run()
    case .job: try JobBench.run()
    case .task: try TaskBench.run()
    case .dispatch: try DispatchBench.run()
    case .budget: try BudgetBench.run()
    case .batch: try BatchBench.run()
    }
}

let requested = CommandLine.arguments.dropFirst().first ?? "all"
let sections = requested == "all" ? BenchSection.allCases : BenchSection(rawValue: requested).map { [$0] }
guard let sections else {
    let names = (["all"] + BenchSection.allCases.map(\.rawValue)).joined(separator: " | ")
    print("usage: tollgate-bench [\(names)]")
    exit(64)
}
for section in sections {
    do {
        try await run(section)
    } catch {
        // exit() flushes standard output, so the figures printed before the failure are kept.
        print("tollgate-bench \(section.rawValue): \(error)")
        exit(1)
    }
}
