import Foundation
import Testing
import TollgateTestSupport

/// A job driven through the built `tollgate` executable, in its own temporary directory: the workspace is
/// `<temp>/job` (so the job id is always `job`), and scripts and captures live beside it.
final class CLIJob {
    let binary: TollgateBinary
    let directory: TemporaryDirectory
    let root: URL

    init(_ label: String) throws {
        binary = try TollgateBinary()
        directory = try TemporaryDirectory(label)
        root = directory.path("job")
    }

    var path: String { root.path }

    /// `tollgate <arguments>`, run from the temporary directory.
    @discardableResult
    func tollgate(_ arguments: String..., environment: [String: String] = [:], timeout: Double = 60) async throws
        -> ProcessResult
    {
        try await tollgate(arguments, environment: environment, timeout: timeout)
    }

    @discardableResult
    func tollgate(_ arguments: [String], environment: [String: String] = [:], timeout: Double = 60) async throws
        -> ProcessResult
    {
        try await binary.run(arguments, environment: environment, directory: directory.url, timeout: timeout)
    }

    /// `tollgate init <job> <arguments>`, which must succeed.
    func initialize(_ arguments: [String]) async throws {
        let result = try await tollgate(["init", path] + arguments)
        #expect(result.status == 0, "init failed: \(result)")
    }

    /// Writes an executable agent script into the temporary directory and returns its path.
    func script(_ name: String, _ text: String) throws -> String {
        try directory.write(name, text, executable: true).path
    }

    /// `tollgate status --json`, decoded.
    func status() async throws -> [String: Any] {
        let result = try await tollgate("status", path, "--json")
        #expect(result.status == 0, "status failed: \(result)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
        guard let status = object as? [String: Any] else {
            throw GitCLI.Failure(description: "status --json is not an object: \(result.stdout)")
        }
        return status
    }

    /// `tollgate log --json`, one object per event.
    func events() async throws -> [[String: Any]] {
        let result = try await tollgate("log", path, "--json")
        #expect(result.status == 0, "log failed: \(result)")
        return try result.stdout.split(separator: "\n").map { line in
            guard let event = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw GitCLI.Failure(description: "a log line is not an object: \(line)")
            }
            return event
        }
    }

    /// `git <arguments>` in the workspace.
    @discardableResult
    func git(_ arguments: String...) async throws -> String { try await GitCLI.run(arguments, in: root) }

    /// Every file of the working tree but `.git`, with its contents.
    func workingTree() throws -> [String: Data] { try JobFingerprint.files(under: root) }
}
