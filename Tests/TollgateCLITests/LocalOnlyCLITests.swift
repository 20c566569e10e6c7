import Foundation
import Testing
import TollgateTestSupport

/// privacy.mode=local-only through the built binary (DESIGN §11): the job's agent cannot reach a server on the
/// machine's 127.0.0.1 that it reaches in standard; where the kernel refuses the namespace, nothing starts and the
/// message says why; a Gitea review host is refused with it.
@Suite(.runsProcesses, .serialized)
struct LocalOnlyCLITests {
    /// An agent that tries 127.0.0.1:`port`, writes what happened into `capture`, and completes the job.
    static func probingAgent(port: UInt16, capture: URL) -> String {
        AgentScript.custom(
            """
            if bash -c 'exec 3<>/dev/tcp/127.0.0.1/\(port)' 2>/dev/null; then echo reached; else echo unreachable; fi \
              > "\(capture.path)"
            echo "probed" > probe.txt
            printf '{"summary": "Probe", "details": "Tried the port.", "jobComplete": true}\\n' > "$TOLLGATE_OUTCOME"
            """
        )
    }

    func runProbe(mode: String) async throws -> (result: ProcessResult, seen: String, accepted: Int) {
        let job = try CLIJob("local-only-\(mode)")
        let listener = try LoopbackListener()
        let capture = job.directory.path("probe-result")
        let agent = try job.script("agent.sh", Self.probingAgent(port: listener.port, capture: capture))
        try await job.initialize(["--autonomy", "full", "--agent", agent, "--set", "privacy.mode=\(mode)"])
        let result = try await job.tollgate("run", job.path)
        let seen = (try? String(contentsOf: capture, encoding: .utf8)) ?? "(the agent did not run)"
        return (result, seen, listener.acceptedConnections())
    }

    @Test func theAgentReachesTheMachinesLoopbackInStandardAndNotInLocalOnly() async throws {
        let standard = try await runProbe(mode: "standard")
        #expect(standard.result.status == 0, "\(standard.result)")
        #expect(standard.seen == "reached\n")
        #expect(standard.accepted == 1)

        let local = try await runProbe(mode: "local-only")
        #expect(local.result.status == 0, "\(local.result)")
        #expect(local.seen == "unreachable\n")
        #expect(local.accepted == 0, "the local-only agent reached the machine's 127.0.0.1")
    }

    @Test func whereTheKernelRefusesTheNamespaceNothingStartsAndTheMessageSaysWhatToChange() async throws {
        // A real refusal: tollgate runs in a user namespace whose limit on further user namespaces is 0, so its
        // unshare(CLONE_NEWUSER) fails with ENOSPC as on a machine that forbids them.
        let job = try CLIJob("local-only-refused")
        let marker = job.directory.path("agent-ran")
        let agent = try job.script("agent.sh", AgentScript.custom("touch \"\(marker.path)\""))
        try await job.initialize(["--autonomy", "full", "--agent", agent, "--set", "privacy.mode=local-only"])
        let wrapped = try await Subprocess.run(
            executable: URL(fileURLWithPath: "/usr/bin/unshare"),
            arguments: [
                "-Ur", "/bin/sh", "-c",
                "echo 0 > /proc/sys/user/max_user_namespaces && exec \"$0\" run \"$1\"",
                job.binary.url.path, job.path,
            ],
            environment: job.binary.environment,
            directory: job.directory.url,
            timeout: 60
        )
        #expect(wrapped.status != 0, "\(wrapped)")
        for words in [
            "privacy.mode is local-only", "user.max_user_namespaces = 0", "Nothing was started",
            "privacy.mode=standard",
        ] {
            #expect(wrapped.stderr.contains(words), "'\(words)' missing from: \(wrapped.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: marker.path), "the agent ran outside its sandbox")
    }

    @Test func aGiteaReviewHostIsRefusedAtInit() async throws {
        let job = try CLIJob("local-only-gitea-init")
        let result = try await job.tollgate(
            "init",
            job.path,
            "--review",
            "gitea",
            "--set",
            "gitea.url=http://127.0.0.1:9",
            "--set",
            "privacy.mode=local-only"
        )
        #expect(result.status == 64, "\(result)")
        #expect(result.stderr.contains("privacy.mode is local-only but review.host is gitea"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: job.root.appendingPathComponent(".git").path))
    }

    @Test func switchingAGiteaJobToLocalOnlyIsRefusedAtConfigSet() async throws {
        let server = try GiteaTestServer()
        defer { server.stop() }
        let job = try CLIJob("local-only-gitea-set")
        let token = ["TOLLGATE_GITEA_TOKEN": server.bot.token]
        let created = try await job.tollgate(
            ["init", job.path, "--review", "gitea", "--set", "gitea.url=\(server.baseURL.absoluteString)"],
            environment: token
        )
        #expect(created.status == 0, "\(created)")
        let before = try await job.git("rev-parse", "tollgate/state")
        let result = try await job.tollgate(
            ["config", job.path, "--set", "privacy.mode=local-only"],
            environment: token
        )
        #expect(result.status == 64, "\(result)")
        #expect(result.stderr.contains("privacy.mode is local-only but review.host is gitea"), "\(result.stderr)")
        #expect(try await job.git("rev-parse", "tollgate/state") == before)
    }
}
