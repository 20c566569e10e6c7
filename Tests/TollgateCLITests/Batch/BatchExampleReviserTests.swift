import Foundation
import Testing
import TollgateTestSupport

/// The example critic and the example agent as a batch's critic and reviser (the README's batch walk-through), and
/// a unit accepted again after its accept was rolled back.
@Suite(.runsProcesses)
struct BatchExampleReviserTests {
    let binary: TollgateBinary
    let directory: TemporaryDirectory
    let repository: URL

    init() async throws {
        binary = try TollgateBinary()
        directory = try TemporaryDirectory("batch-example-reviser")
        repository = directory.path("scenes")
        try FileManager.default.createDirectory(at: repository, withIntermediateDirectories: true)
        try await GitCLI.run(["init", "-q", "-b", "main"], in: repository)
        for scene in ["01", "02", "03"] {
            try directory.write(
                "scenes/chapters/\(scene).md",
                "# Scene \(scene)\n\n## Goals\n- Open the door.\n\n## Steps\n1. Walk in.\n2. Look around.\n"
            )
        }
        try await GitCLI.run(["add", "-A"], in: repository)
        try await GitCLI.run(["commit", "-q", "-m", "scenes"], in: repository)
    }

    func tollgate(_ arguments: String...) async throws -> ProcessResult {
        try await binary.run(arguments, directory: directory.url, timeout: 120)
    }

    func git(_ arguments: String...) async throws -> String { try await GitCLI.run(arguments, in: repository) }

    /// Runs a batch over every scene with the example agent as its reviser; returns its id once every scene shipped.
    func revisedBatch() async throws -> String {
        let run = try await tollgate(
            "batch",
            repository.path,
            "--files",
            "chapters/*.md",
            "--critic",
            "tollgate example-critic",
            "--revise",
            "tollgate example-agent"
        )
        #expect(run.status == 0, "\(run)")
        #expect(run.stdout.contains("3 unit(s), 3 shipped"), "\(run)")
        let line = try #require(run.stdout.split(separator: "\n").first { $0.hasPrefix("batch ") })
        return String(line.dropFirst("batch ".count).prefix { $0 != ":" })
    }

    @Test func theExampleAgentRevisesEveryUnitTheExampleCriticHeldBackUntilItShips() async throws {
        let held = try await tollgate(
            "batch",
            repository.path,
            "--files",
            "chapters/*.md",
            "--critic",
            "tollgate example-critic"
        )
        #expect(held.status == 1, "\(held)")
        #expect(held.stdout.contains("3 unit(s), 0 shipped, 3 below threshold"), "\(held)")

        let id = try await revisedBatch()
        let scene = try await git("show", "batch/\(id):chapters/01.md")
        #expect(scene.contains("## Risks"), "\(scene)")
        #expect(scene.contains("## Review notes"), "\(scene)")
        #expect(try await git("show", "main:chapters/01.md").contains("## Risks") == false)
    }

    @Test func aUnitRolledBackIsAcceptedAgainAndThatAcceptIsSafeToRepeat() async throws {
        let id = try await revisedBatch()

        #expect(try await tollgate("batch", repository.path, "--accept", id, "--unit", "chapters/01.md").status == 0)
        #expect(try await tollgate("batch", repository.path, "--rollback", id).status == 0)
        #expect(try await git("show", "HEAD:chapters/01.md").contains("## Risks") == false)

        let again = try await tollgate("batch", repository.path, "--accept", id, "--unit", "chapters/01.md")
        #expect(again.status == 0, "\(again)")
        #expect(again.stdout.contains("accepted on main in commit"), "\(again)")
        #expect(!again.stdout.contains("already"), "\(again)")
        #expect(try await git("show", "HEAD:chapters/01.md").contains("## Risks"))
        let head = try await git("rev-parse", "HEAD")
        #expect(try await git("log", "-1", "--format=%B").contains("Tollgate-Batch-Accept: \(id): chapters/01.md"))

        let repeated = try await tollgate("batch", repository.path, "--accept", id, "--unit", "chapters/01.md")
        #expect(repeated.status == 0, "\(repeated)")
        #expect(repeated.stdout.contains("already accepted"), "\(repeated)")
        #expect(try await git("rev-parse", "HEAD") == head)

        // The second rollback reverts the second accept.
        #expect(try await tollgate("batch", repository.path, "--rollback", id).status == 0)
        #expect(try await git("show", "HEAD:chapters/01.md").contains("## Risks") == false)
        #expect(try await git("log", "-1", "--format=%s").contains("revert \(head.prefix(12))"))
    }

    @Test func acceptingTheRestLeavesOutTheUnitsAcceptedBefore() async throws {
        let id = try await revisedBatch()
        #expect(try await tollgate("batch", repository.path, "--accept", id, "--unit", "chapters/01.md").status == 0)
        let rest = try await tollgate("batch", repository.path, "--accept", id)
        #expect(rest.status == 0, "\(rest)")
        #expect(rest.stdout.contains("chapters/02.md, chapters/03.md"), "\(rest)")
        #expect(!rest.stdout.contains("chapters/01.md"), "\(rest)")
        let message = try await git("log", "-1", "--format=%B")
        #expect(message.contains("Tollgate-Unit: chapters/02.md") && !message.contains("Tollgate-Unit: chapters/01.md"))
    }
}
