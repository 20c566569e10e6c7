import Foundation
import GiteaKit
import HTTPKit
import Testing
import TollgateTestSupport

/// The token appears nowhere a job leaves traces: output, errors, the workspace's files, commits, the state branch,
/// pull requests and comments on Gitea.
extension GiteaEndToEndTests {
    @Test func theTokenIsInNoOutputFileCommitEventOrCommentOfAJob() async throws {
        defer { server.stop() }
        let token = server.bot.token
        var outputs: [ProcessResult] = []
        let pull = try await frozenAtFirstReview()
        try await requestChanges(pull)
        await outputs.append(try tollgate("resume", job.path))
        // Failures on the way: a merge Gitea keeps refusing, then a server that echoes the request's header.
        try await approve(pull)
        try server.makeNextMergesBusy(10)
        #expect(try await tollgate("config", job.path, "--set", "gitea.mergeWaitSeconds=0").status == 0)
        await outputs.append(try tollgate("resume", job.path))
        #expect(outputs.last?.status == 1, "\(outputs.last.map { "\($0)" } ?? "")")
        try server.clearFaults()
        await outputs.append(try tollgate("resume", job.path))
        await outputs.append(try tollgate("status", job.path))
        await outputs.append(try tollgate("status", job.path, "--json"))
        await outputs.append(
            try job.tollgate(["resume", job.path], environment: ["TOLLGATE_GITEA_TOKEN": "x" + token])
        )
        #expect(outputs.last?.status == 1, "a wrong token fails: \(outputs.last.map { "\($0)" } ?? "")")
        for output in outputs {
            #expect(!output.stdout.contains(token) && !output.stderr.contains(token), "\(output)")
        }

        // Every file of the workspace, .git included (its config, the run logs, briefs and results).
        let files = try #require(FileManager.default.enumerator(at: job.root, includingPropertiesForKeys: nil))
        var read = 0
        for case let file as URL in files {
            guard let data = FileManager.default.contents(atPath: file.path) else { continue }
            read += 1
            #expect(data.range(of: Data(token.utf8)) == nil, "the token is in \(file.path)")
        }
        #expect(read > 20)
        // Every commit and its changes on every branch, the state branch's job.json and events included.
        let history = try await job.git("log", "--all", "-p", "--format=%H%n%B")
        #expect(history.contains("Tollgate-Job:") && history.contains("\"type\""))
        #expect(!history.contains(token))
        // Pull requests and comments on Gitea, as a reviewer reads them.
        let alice = client(server.alice)
        for number in [pull.number, pull.number + 1] {
            let request = try await alice.pullRequest(number, in: repo)
            #expect(!request.title.contains(token) && !(request.body ?? "").contains(token))
            for comment in try await alice.issueComments(on: number, in: repo) {
                #expect(!comment.body.contains(token))
            }
        }
    }
    /// Agents (and critics and gates, which start from the same environment) do not get the token: an agent that
    /// writes its whole environment into the workspace commits no secret, even with `gitea.tokenEnv` renamed.
    @Test func anAgentThatDumpsItsEnvironmentCommitsNoToken() async throws {
        defer { server.stop() }
        let token = server.bot.token
        let agent = try job.script(
            "env-agent.sh",
            """
            #!/bin/sh
            env | sort > environment.txt
            printf '{"summary": "dumped the environment", "jobComplete": true}' > "$TOLLGATE_OUTCOME"

            """
        )
        let environment = ["MY_GITEA_TOKEN": token]
        let created = try await job.tollgate(
            [
                "init", job.path, "--review", "gitea", "--autonomy", "full", "--agent", "/bin/sh \(agent)",
                "--set", "gitea.url=\(server.baseURL.absoluteString)", "--set", "gitea.tokenEnv=MY_GITEA_TOKEN",
            ],
            environment: environment
        )
        #expect(created.status == 0, "\(created)")
        let run = try await job.tollgate(["run", job.path], environment: environment)
        #expect(run.status == 0, "\(run)")
        let dumped = try await job.git("show", "main:environment.txt")
        #expect(dumped.contains("TOLLGATE_PHASE="), "the agent's environment was written: \(dumped)")
        #expect(!dumped.contains(token))
        #expect(!dumped.contains("MY_GITEA_TOKEN"))
        #expect(try await !remoteGit("log", "--all", "-p").contains(token))
    }
}
