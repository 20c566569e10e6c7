import Foundation
import Testing
import TollgateTestSupport

/// A reader that goes away (`tollgate log DIR | head -1`) ends the output quietly, never the command or the job.
@Suite(.runsProcesses)
struct ClosedPipeTests {
    /// Runs `tollgate <arguments>` with its standard output into a pipe whose reader closes it at once, and
    /// returns tollgate's own exit status (bash's `PIPESTATUS[0]`) with its standard error.
    private func intoAClosedPipe(_ job: CLIJob, _ arguments: [String]) async throws -> (status: Int32, stderr: String) {
        let script = """
            "$0" "$@" 2>"$TOLLGATE_TEST_ERR" | (exec <&-; sleep 0.3)
            echo "${PIPESTATUS[0]}"
            """
        let errFile = job.directory.path("closed-pipe.err")
        var environment = job.binary.environment
        environment["TOLLGATE_TEST_ERR"] = errFile.path
        let result = try await Subprocess.run(
            executable: URL(fileURLWithPath: "/bin/bash"),
            arguments: ["-c", script, job.binary.url.path] + arguments,
            environment: environment,
            directory: job.directory.url,
            timeout: 60
        )
        let stderr = (try? String(contentsOf: errFile, encoding: .utf8)) ?? ""
        let status = Int32(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        return (status, stderr)
    }

    @Test func aJobRunsToItsEndWhenNobodyReadsItsOutput() async throws {
        let job = try CLIJob("closed-pipe-run")
        try await job.initialize(["--autonomy", "full", "--agent", "tollgate example-agent"])
        let run = try await intoAClosedPipe(job, ["run", job.path])
        #expect(run.status == 0, "run into a closed pipe: \(run)")
        #expect(try await job.status()["status"] as? String == "completed")
        #expect(try await job.status()["mergedPhases"] as? Int == 3)
    }

    @Test func logAndStatusEndQuietlyWhenTheReaderHasGone() async throws {
        let job = try CLIJob("closed-pipe-log")
        try await job.initialize(["--autonomy", "full", "--agent", "tollgate example-agent"])
        #expect(try await job.tollgate("run", job.path).status == 0)
        for command in [["log", job.path], ["log", job.path, "--json"], ["status", job.path], ["--help"]] {
            let result = try await intoAClosedPipe(job, command)
            #expect(result.status == 0, "\(command) into a closed pipe: \(result)")
            #expect(result.stderr.isEmpty, "\(command) into a closed pipe wrote: \(result.stderr)")
        }
    }
}
