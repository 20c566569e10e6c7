import Foundation
import Testing
import TollgateTestSupport

/// What a tollgate process loads: libcurl only once it makes an HTTP request.
///
/// The commands of a local job so start without its twenty libraries (docs/decisions.md, "libcurl is loaded on
/// first use"). The dynamic loader's own report (`LD_DEBUG=files`, on standard error) is the judge.
@Suite(.runsProcesses)
struct LibraryLoadingTests {
    /// Whether the loader reported loading libcurl in `result`'s standard error.
    private func loadedLibcurl(_ result: ProcessResult) -> Bool {
        result.stderr.contains("file=libcurl.so")
    }

    @Test func aLocalJobRunsWithoutLibcurlAndAGiteaJobLoadsItToTalkToTheServer() async throws {
        let trace = ["LD_DEBUG": "files"]
        let local = try CLIJob("lazy-libcurl")
        let created = try await local.tollgate(
            "init",
            local.path,
            "--autonomy",
            "full",
            "--agent",
            "tollgate example-agent",
            "--description",
            "Report",
            environment: trace
        )
        #expect(created.status == 0, "\(created)")
        #expect(
            created.stderr.contains("file=libgit2.so"),
            "the loader's report is read: \(created.stderr.prefix(300))"
        )
        #expect(!loadedLibcurl(created))
        let run = try await local.tollgate("run", local.path, environment: trace)
        #expect(run.status == 0, "\(run)")
        #expect(!loadedLibcurl(run))

        let server = try GiteaTestServer()
        defer { server.stop() }
        let hosted = try CLIJob("lazy-libcurl-gitea")
        let onGitea = try await hosted.tollgate(
            "init",
            hosted.path,
            "--review",
            "gitea",
            "--autonomy",
            "guided",
            "--agent",
            "tollgate example-agent",
            "--description",
            "Report",
            "--set",
            "gitea.url=\(server.baseURL.absoluteString)",
            environment: trace.merging(["TOLLGATE_GITEA_TOKEN": server.bot.token]) { $1 }
        )
        #expect(onGitea.status == 0, "\(onGitea)")
        #expect(loadedLibcurl(onGitea))
    }
}
