import Foundation
import Testing
import TollgateCore
import TollgateEngine
import TollgateTestSupport

/// The critique runner against real `/bin/sh` critics: streaming, deadlines, exits and what the critic is given.
@Suite(.runsProcesses)
struct CritiqueRunnerTests {
    let directory: TemporaryDirectory
    let artifact: URL

    init() throws {
        directory = try TemporaryDirectory("critique-runner")
        artifact = try directory.write("plan.md", "# Plan\n\n## Steps\n1. Do it.\n")
    }

    func runner(_ command: String, configure: (inout CritiqueConfig) -> Void = { _ in }) -> CritiqueRunner {
        var config = CritiqueConfig.default
        config.command = command
        configure(&config)
        return CritiqueRunner(config: config, environment: ["PATH": "/usr/bin:/bin"], graceSeconds: 1)
    }

    @Test func shipsARunThatMeetsTheShipRuleAndKeepsItsArtifact() async throws {
        let script = try CriticScript.printing(CriticScript.shipping("# Plan, revised\n"), in: directory)
        let outcome = try runner(script).run(artifact: artifact, directory: directory.url)
        #expect(outcome.summary.status == .shipped)
        #expect(outcome.summary.composite == 9)
        #expect(outcome.keptArtifact == "# Plan, revised\n")
        #expect(outcome.events.first == .runStarted(CritiqueEvent.RunStart(version: 1)))
        #expect(outcome.events.last == .runFinished)
        let lines = try outcome.transcript().split(separator: "\n")
        #expect(lines.first?.contains("\"protocolVersion\":1") == true)
        #expect(lines.count == outcome.events.count + 1)
    }

    @Test(arguments: [CritiqueConfig.FallbackPolicy.shipBest, .shipLast, .fail])
    func appliesTheFallbackPolicyWhenNoRoundShips(policy: CritiqueConfig.FallbackPolicy) async throws {
        let script = try CriticScript.printing(CriticScript.neverShipping("# Plan"), in: directory)
        let outcome = try runner(script) { $0.fallbackPolicy = policy }.run(
            artifact: artifact,
            directory: directory.url
        )
        #expect(outcome.summary.status == .belowThreshold)
        #expect(outcome.summary.rounds.map(\.composite) == [6, 7, 6.5])
        switch policy {
        case .shipBest: #expect(outcome.keptArtifact == "# Plan\n<!-- round 2 -->\n")
        case .shipLast: #expect(outcome.keptArtifact == "# Plan\n<!-- round 3 -->\n")
        case .fail: #expect(outcome.keptArtifact == nil)
        }
    }

    @Test func stopsACriticThatHangsPastTheRoundTimeout() async throws {
        let stream =
            CriticScript.open + CriticScript.round(1, artifact: "# Plan\n", scores: [7, 7, 7, 7]) + "<ROUND n=\"2\">\n"
        let pidFile = directory.path("critic.pid")
        let script = try CriticScript.printing(
            stream,
            in: directory,
            before: "echo $$ > \"\(pidFile.path)\"",
            after: "sleep 30"
        )
        // A critic left to finish would end its stream after the sleep: timed out means the limit stopped it.
        let outcome = try runner(script) { $0.roundTimeoutSeconds = 1 }.run(
            artifact: artifact,
            directory: directory.url
        )
        #expect(outcome.summary.status == .timedOut)
        #expect(outcome.events.last == .timedOut(.round))
        #expect(outcome.summary.shippedRound == 1)
        #expect(outcome.keptArtifact == "# Plan\n")
        // The whole group is gone: the shell and its sleep.
        let pid = try #require(
            Int32(String(contentsOf: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))
        )
        #expect(await ProcessGroupProbe.ended(pid), "left running: \(ProcessGroupProbe.livingMembers(of: pid))")
    }

    @Test func stopsACriticThatRunsPastTheTotalTimeout() async throws {
        let script = try CriticScript.printing(CriticScript.open, in: directory, after: "sleep 30")
        let outcome = try runner(script) {
            $0.roundTimeoutSeconds = 20
            $0.totalTimeoutSeconds = 1
        }.run(artifact: artifact, directory: directory.url)
        #expect(outcome.events.last == .timedOut(.total))
        #expect(outcome.summary.status == .timedOut)
    }

    @Test func aCriticExitingNonZeroMidStreamFailsTheRun() async throws {
        let stream = CriticScript.open + "<ROUND n=\"1\">\n<PANELIST role=\"critic\" score=\"8\">"
        let script = try CriticScript.printing(stream, in: directory, after: "exit 3")
        let outcome = try runner(script).run(artifact: artifact, directory: directory.url)
        #expect(outcome.summary.status == .failed)
        #expect(outcome.events.last == .processFailed(exitStatus: 3))
    }

    @Test func aStreamCutMidBlockWithExitZeroIsDegraded() async throws {
        let stream = CriticScript.open + "<ROUND n=\"1\">\n<PANELIST role=\"critic\" score=\"8\">"
        let script = try CriticScript.printing(stream, in: directory)
        let outcome = try runner(script).run(artifact: artifact, directory: directory.url)
        #expect(outcome.summary.status == .degraded)
        #expect(outcome.summary.composite == nil)
    }

    @Test func aCriticStoppedBySIGTERMFromElsewhereIsInterruptedAndKeepsTheBestRound() async throws {
        let stream = CriticScript.open + CriticScript.round(1, artifact: "# Plan\n", scores: [7, 7, 7, 7])
        let script = try CriticScript.printing(stream, in: directory, after: "kill -TERM $$")
        let outcome = try runner(script).run(artifact: artifact, directory: directory.url)
        #expect(outcome.summary.status == .interrupted)
        #expect(outcome.summary.shippedRound == 1)
    }

    /// The background child keeps the critic's output open for an hour: a runner that waited for it would hit the
    /// time limit (a bound on hanging, not a measure of speed).
    @Test(.timeLimit(.minutes(10))) func aCriticThatLeavesABackgroundProcessFinishesWithItsRun() async throws {
        let script = try CriticScript.printing(
            CriticScript.shipping("# Plan\n"),
            in: directory,
            before: "sleep 3600 &"
        )
        let outcome = try runner(script).run(artifact: artifact, directory: directory.url)
        #expect(outcome.summary.status == .shipped)
    }

    @Test func givesTheCriticTheArtifactOnStdinAndByPathWithTheSettings() async throws {
        let capture = directory.path("capture")
        let script = try CriticScript.printing(
            CriticScript.shipping("x"),
            in: directory,
            before: """
                cat > "\(capture.path).stdin"
                echo "$TOLLGATE_CRITIQUE_ARTIFACT|$TOLLGATE_CRITIQUE_THRESHOLD|$TOLLGATE_CRITIQUE_MAX_ROUNDS|$TOLLGATE_CRITIQUE_WEIGHTS_CRITIC|$(pwd)" > "\(capture.path).env"
                """
        )
        _ = try runner(script) {
            $0.threshold = 7.5
            $0.maxRounds = 2
        }.run(artifact: artifact, directory: directory.url)
        #expect(
            try String(contentsOf: directory.path("capture.stdin"), encoding: .utf8)
                == "# Plan\n\n## Steps\n1. Do it.\n"
        )
        let env = try String(contentsOf: directory.path("capture.env"), encoding: .utf8)
        #expect(env == "\(artifact.path)|7.5|2|0.4|\(directory.url.path)\n")
    }

    @Test func theCriticsSettingsEnvironmentReadsBackAsTheSameSettings() async throws {
        var config = CritiqueConfig.default
        config.threshold = 6.5
        config.weights[.brand] = 0.7
        config.panel = [.critic, .brand]
        let runner = CritiqueRunner(config: config, environment: [:])
        let variables = runner.critiqueEnvironment(artifact: artifact)
        #expect(variables[CritiqueRunner.artifactVariable] == artifact.path)
        let readBack = CritiqueConfig(try ResolvedConfig(layers: ConfigLayer.environment(variables)))
        #expect(readBack.threshold == 6.5)
        #expect(readBack.weight(of: .brand) == 0.7)
        // The panel is protocol v1's, not a setting: the critic is told it, and reading settings skips it.
        #expect(variables["TOLLGATE_CRITIQUE_PANEL"] == "critic,brand")
    }

    @Test func aCommandThatIsNotFoundFailsTheRunWithStatus127() async throws {
        let outcome = try runner("no-such-critic-command-here").run(artifact: artifact, directory: directory.url)
        #expect(outcome.summary.status == .failed)
        #expect(outcome.events.last == .processFailed(exitStatus: 127))
    }
}
