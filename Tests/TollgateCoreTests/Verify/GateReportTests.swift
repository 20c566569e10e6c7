import Foundation
import Testing
import TollgateCore

/// The texts of a verification: `report.md`, `gates.json` and the commit statuses, as tables of results and texts.
struct GateReportTests {
    static let passed = GateResult(
        name: "test",
        command: "swift test",
        passed: true,
        exitCode: 0,
        timeoutSeconds: 600,
        durationMs: 12_345,
        outputTail: "All tests passed",
        outputSHA256: SHA256.hex(of: "All tests passed\n".utf8),
        outputBytes: 17
    )
    static let failed = GateResult(
        name: "lint",
        command: "make lint | tee lint.log",
        passed: false,
        exitCode: 2,
        timeoutSeconds: 600,
        durationMs: 400,
        outputTail: "a.swift:3: trailing space\nuse ``` fences"
    )
    static let timedOut = GateResult(
        name: "slow",
        command: "sleep 999",
        passed: false,
        exitCode: nil,
        timedOut: true,
        timeoutSeconds: 5,
        durationMs: 5_010
    )
    static let killed = GateResult(
        name: "k",
        command: "kill -9 $$",
        passed: false,
        exitCode: nil,
        signal: 9,
        timeoutSeconds: 600,
        durationMs: 3
    )
    static let unstartable = GateResult(
        name: "x",
        command: "x",
        passed: false,
        exitCode: nil,
        timeoutSeconds: 600,
        durationMs: 0,
        startError: "the gate could not start: no /bin/sh"
    )

    struct OutcomeRow: Sendable, CustomTestStringConvertible {
        var result: GateResult
        var outcome: String
        var status: GateReport.Status
        var testDescription: String { result.name }
    }

    @Test(arguments: [
        OutcomeRow(
            result: passed,
            outcome: "passed",
            status: .init(context: "tollgate/gate/test", state: "success", description: "passed in 12.3 s")
        ),
        OutcomeRow(
            result: failed,
            outcome: "exit 2",
            status: .init(context: "tollgate/gate/lint", state: "failure", description: "exit 2 (0.4 s)")
        ),
        OutcomeRow(
            result: timedOut,
            outcome: "timed out after 5 s",
            status: .init(context: "tollgate/gate/slow", state: "failure", description: "timed out after 5 s (5.0 s)")
        ),
        OutcomeRow(
            result: killed,
            outcome: "killed by signal 9",
            status: .init(context: "tollgate/gate/k", state: "failure", description: "killed by signal 9 (0.0 s)")
        ),
        OutcomeRow(
            result: unstartable,
            outcome: "did not start",
            status: .init(context: "tollgate/gate/x", state: "failure", description: "did not start (0.0 s)")
        ),
    ])
    func eachEndingHasItsWordsAndStatus(_ row: OutcomeRow) async {
        #expect(row.result.outcome == row.outcome)
        #expect(GateReport.finished(row.result) == row.status)
    }

    @Test func theWholeVerificationHasOneStatus() async {
        #expect(
            GateReport.started(GateSpec(name: "test", command: "swift test"))
                == .init(context: "tollgate/gate/test", state: "pending", description: "running")
        )
        #expect(
            GateReport.verifyStarted(gates: 1)
                == .init(context: "tollgate/verify", state: "pending", description: "running 1 gate")
        )
        let good = GateReport(phase: 2, revision: 1, commit: "c", results: [Self.passed])
        #expect(
            good.verifyFinished
                == .init(context: "tollgate/verify", state: "success", description: "1 gate passed in 12.3 s")
        )
        let bad = GateReport(phase: 2, revision: 1, commit: "c", results: [Self.passed, Self.failed, Self.timedOut])
        #expect(
            bad.verifyFinished
                == .init(context: "tollgate/verify", state: "failure", description: "failed: lint, slow (17.8 s)")
        )
    }

    struct MarkdownRow: Sendable, CustomTestStringConvertible {
        var results: [GateResult]
        var expected: String
        var testDescription: String { results.map(\.name).joined(separator: ",") }
    }

    @Test(arguments: [
        MarkdownRow(
            results: [],
            expected: """
                # Verify: phase 3, revision 2

                Commit `0123456789ab`: no gates.

                """
        ),
        MarkdownRow(
            results: [passed],
            expected: """
                # Verify: phase 3, revision 2

                Commit `0123456789ab`: all 1 passed.

                | Gate | Result | Time | Command |
                |---|---|---|---|
                | `test` | passed | 12.3 s | `swift test` |

                """
        ),
        MarkdownRow(
            results: [passed, failed, timedOut],
            expected: """
                # Verify: phase 3, revision 2

                Commit `0123456789ab`: 2 of 3 failed.

                | Gate | Result | Time | Command |
                |---|---|---|---|
                | `test` | passed | 12.3 s | `swift test` |
                | `lint` | **exit 2** | 0.4 s | `make lint \\| tee lint.log` |
                | `slow` | **timed out after 5 s** | 5.0 s | `sleep 999` |

                ## lint: exit 2

                ````text
                a.swift:3: trailing space
                use ``` fences
                ````

                ## slow: timed out after 5 s

                No output.

                """
        ),
        MarkdownRow(
            results: [unstartable],
            expected: """
                # Verify: phase 3, revision 2

                Commit `0123456789ab`: 1 of 1 failed.

                | Gate | Result | Time | Command |
                |---|---|---|---|
                | `x` | **did not start** | 0.0 s | `x` |

                ## x: did not start

                the gate could not start: no /bin/sh

                No output.

                """
        ),
    ])
    func theReportIsATableThenEachFailure(_ row: MarkdownRow) async {
        let report = GateReport(
            phase: 3,
            revision: 2,
            commit: "0123456789abcdef0123456789abcdef01234567",
            results: row.results
        )
        #expect(report.markdown() == row.expected)
        #expect(report.folder == "verify/phase-3/rev-2")
    }

    @Test func gatesJSONRoundTripsWithItsLayoutAndVerdict() async throws {
        let report = GateReport(phase: 1, revision: 1, commit: "abc", results: [Self.passed, Self.killed])
        let text = report.json()
        #expect(text.hasSuffix("}\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["version"] as? Int == 1)
        #expect(object["passed"] as? Bool == false)
        let gates = try #require(object["gates"] as? [[String: Any]])
        #expect(gates.map { $0["name"] as? String } == ["test", "k"])
        #expect(gates[1]["signal"] as? Int == 9)
        #expect(gates[0]["outputSHA256"] as? String == SHA256.hex(of: "All tests passed\n".utf8))
        #expect(try JSONDecoder().decode(GateReport.self, from: Data(text.utf8)) == report)
        let future = text.replacingOccurrences(of: "\"version\" : 1", with: "\"version\" : 2")
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(GateReport.self, from: Data(future.utf8)) }
    }
}
